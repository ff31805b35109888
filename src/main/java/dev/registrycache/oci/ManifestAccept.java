package dev.registrycache.oci;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * The manifest media types one client accepts, read from every {@code Accept} header line
 * (containers/image sends one line per type) and every comma-separated entry in a line
 * (containerd sends one line), parameters such as {@code q=} ignored. Wildcards name no
 * manifest type, as in distribution.
 *
 * <p>{@link #choose} decides, the way distribution's manifest handler does, what a client that
 * names at least one type gets for a manifest the cache holds:
 * <ul>
 *   <li>an OCI manifest or OCI index the client did not list: 404 {@code MANIFEST_UNKNOWN};
 *   <li>a Docker manifest list asked for by tag by a client that does not list that type: the
 *       list's linux/amd64 manifest instead (the client is assumed to predate lists);
 *   <li>anything else: the manifest as stored. A Docker schema 2 manifest goes to a client that
 *       did not list it too (distribution 2.x would convert it to schema 1; the cache never
 *       generates schema 1), and schema 1 manifests of old images are served as they are.
 * </ul>
 * A request that names no type at all (no {@code Accept}, or wildcards only) gets the manifest
 * as stored, where distribution would answer 404 for the OCI types: no client is helped by that.
 */
public final class ManifestAccept {
  /** The answer for one stored manifest. */
  public enum Choice { SERVE, REFUSE, LINUX_AMD64_OF_LIST }

  private final Set<String> types;

  private ManifestAccept(Set<String> types) {
    this.types = types;
  }

  /** From the values of every {@code Accept} header of a request (empty when there is none). */
  public static ManifestAccept parse(List<String> headerValues) {
    Set<String> types = new TreeSet<>();
    for (String line : headerValues) {
      for (String entry : line.split(",")) {
        String t = MediaTypes.bare(entry);
        if (!t.isEmpty() && !t.contains("*")) {
          types.add(t);
        }
      }
    }
    return new ManifestAccept(Set.copyOf(types));
  }

  public boolean accepts(String mediaType) {
    return mediaType != null && types.contains(mediaType.toLowerCase(Locale.ROOT));
  }

  public Choice choose(String storedType, boolean byTag) {
    if (types.isEmpty()) {
      return Choice.SERVE;
    }
    if (MediaTypes.OCI_MANIFEST.equals(storedType) || MediaTypes.OCI_INDEX.equals(storedType)) {
      return accepts(storedType) ? Choice.SERVE : Choice.REFUSE;
    }
    if (byTag && MediaTypes.DOCKER_MANIFEST_LIST.equals(storedType) && !accepts(storedType)) {
      return Choice.LINUX_AMD64_OF_LIST;
    }
    return Choice.SERVE;
  }

  /** Why {@link Choice#REFUSE}: the message of the 404. */
  public static String refusal(String storedType) {
    String what = MediaTypes.OCI_INDEX.equals(storedType) ? "an OCI index" : "an OCI manifest";
    return "the manifest is " + what + " (" + storedType
        + "), which the request's Accept header does not list";
  }

  /** The accepted types, for logs. */
  @Override
  public String toString() {
    return types.toString();
  }
}
