package dev.registrycache.oci;

import java.util.Set;
import java.util.function.Predicate;

/**
 * Turns a request line (method + URI) into a {@link DistributionRequest}, deciding which
 * registry it is for, in this order: containerd's {@code ?ns=REGISTRY}; a first path segment
 * that names a configured registry ({@code /v2/quay.io/org/app/...}, as containers/image sends
 * for a mirror location {@code HOST:PORT/quay.io}, or containerd's {@code /quay.io/v2/...});
 * otherwise the default registry (what Docker's {@code registry-mirrors} sends).
 *
 * <p>Only GET and HEAD exist on a pull-through cache: everything else is {@code UNSUPPORTED}
 * (a push with a malformed name or reference first gets the 400 the spec names for it).
 * Names, tags and digests are checked against the spec's grammar, which also rules out any
 * path that could escape the storage directory ({@code ..}, {@code /}, {@code %2F}).
 */
public final class DistributionPathParser {
  public static final String DOCKER_HUB = "docker.io";
  /** The methods of the push side of the API: refused, but only after validation. */
  private static final Set<String> PUSH_METHODS = Set.of("PUT", "POST", "PATCH", "DELETE");

  private final Predicate<String> isRegistry;
  private final String defaultRegistry;

  public DistributionPathParser(Predicate<String> isRegistry, String defaultRegistry) {
    this.isRegistry = isRegistry;
    this.defaultRegistry = defaultRegistry;
  }

  /**
   * The request {@code method} and {@code uri} stand for. A push ({@code PUT}, {@code POST},
   * {@code PATCH}, {@code DELETE}) is validated like a pull, so that a malformed name or
   * reference gets the spec's 400 code, and is then refused as {@code UNSUPPORTED}; any other
   * method is refused at once. A manifest reference that can name nothing is 404
   * {@code MANIFEST_UNKNOWN} to a GET or HEAD, as the OCI conformance suite expects.
   */
  public DistributionRequest parse(String method, String uri) {
    boolean head = method.equals("HEAD");
    boolean push = !head && !method.equals("GET");
    if (push && !PUSH_METHODS.contains(method)) {
      throw unsupported(method);
    }
    DistributionRequest r = parsePath(head, push, uri);
    if (push) {
      throw unsupported(method);
    }
    return r;
  }

  private static OciException unsupported(String method) {
    return new OciException(ErrorCode.UNSUPPORTED,
        method + " is not supported: this is a read-only pull-through cache");
  }

  private DistributionRequest parsePath(boolean head, boolean push, String uri) {
    int q = uri.indexOf('?');
    String path = q < 0 ? uri : uri.substring(0, q);
    String query = q < 0 ? null : uri.substring(q + 1);
    path = decodePath(path);

    String ns = queryParam(query, "ns");
    String registry = ns == null ? null : canonicalRegistry(ns);

    String rest;
    if (path.startsWith("/v2/") || path.equals("/v2")) {
      rest = path.length() <= 4 ? "" : path.substring(4);
    } else {
      // containerd host "http://HOST:PORT/REGISTRY" without override_path: /REGISTRY/v2/...
      int v2 = path.indexOf("/v2", 1);
      String first = v2 > 1 ? path.substring(1, v2) : null;
      if (first == null || !isRegistry.test(canonicalRegistry(first))
          || !(path.length() == v2 + 3 || path.charAt(v2 + 3) == '/')) {
        throw new OciException(ErrorCode.NAME_UNKNOWN, "not a distribution API path: " + path);
      }
      if (registry == null) {
        registry = canonicalRegistry(first);
      }
      rest = path.length() <= v2 + 4 ? "" : path.substring(v2 + 4);
    }

    if (rest.isEmpty()) {
      return new DistributionRequest(DistributionRequest.Kind.BASE, head, registry, null, null,
          null, -1, null);
    }
    if (rest.equals("_catalog")) {
      return new DistributionRequest(DistributionRequest.Kind.CATALOG, head, registry, null, null,
          null, pageSize(query), queryParam(query, "last"));
    }

    // A leading registry segment (path-prefix mirrors) names the registry only without ns=.
    // With ns= (containerd), ns is the registry: the segment is dropped when it repeats ns (a
    // hosts.toml host with override_path, /v2/docker.io/...?ns=docker.io), and otherwise is part
    // of the repository (harbor.example/docker.io/library/nginx sends
    // /v2/docker.io/library/nginx/...?ns=harbor.example).
    int slash = rest.indexOf('/');
    if (slash > 0) {
      String first = canonicalRegistry(rest.substring(0, slash));
      boolean looksLikeHost = first.indexOf('.') >= 0 || first.indexOf(':') >= 0 || first.equals("localhost");
      if (ns == null ? looksLikeHost && isRegistry.test(first) : first.equals(registry)) {
        registry = first;
        rest = rest.substring(slash + 1);
      }
    }
    if (registry == null) {
      registry = defaultRegistry;
    }

    DistributionRequest.Kind kind;
    String name;
    String reference = null;
    int i;
    if (rest.endsWith("/tags/list")) {
      kind = DistributionRequest.Kind.TAGS_LIST;
      name = rest.substring(0, rest.length() - "/tags/list".length());
    } else if ((i = rest.lastIndexOf("/manifests/")) > 0) {
      kind = DistributionRequest.Kind.MANIFEST;
      name = rest.substring(0, i);
      reference = rest.substring(i + "/manifests/".length());
    } else if ((i = rest.lastIndexOf("/blobs/")) > 0) {
      kind = DistributionRequest.Kind.BLOB;
      name = rest.substring(0, i);
      reference = rest.substring(i + "/blobs/".length());
    } else if ((i = rest.lastIndexOf("/blobs/uploads")) > 0) {
      kind = DistributionRequest.Kind.BLOB;
      name = rest.substring(0, i);
      reference = "uploads";
    } else {
      throw new OciException(ErrorCode.NAME_UNKNOWN, "unknown distribution API path: " + path);
    }

    if (DOCKER_HUB.equals(registry)) {
      name = RepositoryName.normalizeDockerHub(name);
    }
    if (!RepositoryName.isValid(name)) {
      throw new OciException(ErrorCode.NAME_INVALID, "invalid repository name: " + name);
    }

    Digest digest = null;
    if (kind == DistributionRequest.Kind.BLOB) {
      if (reference.equals("uploads") || reference.startsWith("uploads/")) {
        if (push) { // the digest an upload would be committed or mounted as
          for (String param : new String[] {"digest", "mount"}) {
            String given = queryParam(query, param);
            if (given != null) {
              parseDigest(given);
            }
          }
        }
        throw new OciException(ErrorCode.UNSUPPORTED,
            "blob uploads are not supported: this is a read-only pull-through cache");
      }
      digest = parseDigest(reference);
    } else if (kind == DistributionRequest.Kind.MANIFEST) {
      digest = manifestReference(reference, push);
    }
    return new DistributionRequest(kind, head, registry, name, reference, digest,
        pageSize(query), queryParam(query, "last"));
  }

  /** Docker Hub answers to several names; all of them mean {@code docker.io}. */
  public static String canonicalRegistry(String name) {
    String n = name;
    for (int i = 0; i < name.length(); i++) {
      if (Character.isUpperCase(name.charAt(i))) {
        n = name.toLowerCase(java.util.Locale.ROOT);
        break;
      }
    }
    return switch (n) {
      case "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com" -> DOCKER_HUB;
      default -> n;
    };
  }

  /**
   * The digest of a manifest reference, or null for a tag. A reference that is neither names no
   * manifest: a pull gets {@code MANIFEST_UNKNOWN} (what the OCI conformance suite expects for
   * {@code .INVALID_MANIFEST_NAME}), a push the 400 the spec gives its mistake.
   */
  private static Digest manifestReference(String reference, boolean push) {
    if (Digest.looksLikeDigest(reference)) {
      try {
        return Digest.parse(reference);
      } catch (IllegalArgumentException e) {
        throw push ? new OciException(ErrorCode.DIGEST_INVALID, e.getMessage())
            : new OciException(ErrorCode.MANIFEST_UNKNOWN, "no manifest can be named " + reference
                + ": " + e.getMessage());
      }
    }
    if (!RepositoryName.isValidTag(reference)) {
      throw push ? new OciException(ErrorCode.MANIFEST_INVALID,
              reference + " is neither a valid tag nor a digest")
          : new OciException(ErrorCode.MANIFEST_UNKNOWN, "no manifest can be named " + reference
              + ": it is neither a valid tag nor a digest");
    }
    return null;
  }

  private static Digest parseDigest(String reference) {
    try {
      return Digest.parse(reference);
    } catch (IllegalArgumentException e) {
      throw new OciException(ErrorCode.DIGEST_INVALID, e.getMessage());
    }
  }

  private static int pageSize(String query) {
    String n = queryParam(query, "n");
    if (n == null) {
      return -1;
    }
    try {
      int v = Integer.parseInt(n);
      if (v < 0) {
        throw new NumberFormatException();
      }
      return v;
    } catch (NumberFormatException e) {
      throw new OciException(ErrorCode.UNSUPPORTED, "invalid page size n=" + n);
    }
  }

  static String queryParam(String query, String key) {
    if (query == null) {
      return null;
    }
    int start = 0;
    while (start <= query.length()) {
      int amp = query.indexOf('&', start);
      int end = amp < 0 ? query.length() : amp;
      int eq = query.indexOf('=', start);
      if (eq > start && eq < end && query.regionMatches(start, key, 0, key.length())
          && eq - start == key.length()) {
        return decodePath(query.substring(eq + 1, end));
      }
      if (amp < 0) {
        break;
      }
      start = amp + 1;
    }
    return null;
  }

  /** Percent-decoding; a malformed escape or a decoded control character is rejected. */
  static String decodePath(String s) {
    if (s.indexOf('%') < 0) {
      return s;
    }
    StringBuilder sb = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '%') {
        if (i + 2 >= s.length()) {
          throw new OciException(ErrorCode.NAME_INVALID, "malformed percent-escape in " + s);
        }
        int v = Character.digit(s.charAt(i + 1), 16) << 4 | Character.digit(s.charAt(i + 2), 16);
        if (v < 0x20 || v >= 0x7f) {
          throw new OciException(ErrorCode.NAME_INVALID, "malformed percent-escape in " + s);
        }
        sb.append((char) v);
        i += 2;
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }
}
