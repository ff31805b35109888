package dev.registrycache.oci;

import static dev.registrycache.oci.ManifestAccept.Choice.LINUX_AMD64_OF_LIST;
import static dev.registrycache.oci.ManifestAccept.Choice.REFUSE;
import static dev.registrycache.oci.ManifestAccept.Choice.SERVE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Accept headers exactly as real clients send them (see ../shared/e2e/README.md). */
class ManifestAcceptTest {
  /** containers/image 5.23 (skopeo, podman, CRI-O): one header line per type, in this order. */
  static final List<String> CONTAINERS_IMAGE = List.of(
      MediaTypes.OCI_MANIFEST, MediaTypes.DOCKER_MANIFEST, MediaTypes.DOCKER_SCHEMA1_SIGNED,
      MediaTypes.DOCKER_SCHEMA1, MediaTypes.DOCKER_MANIFEST_LIST, MediaTypes.OCI_INDEX);
  /** containerd 1.6 resolving a tag: one line, a comma list ending in a wildcard. */
  static final List<String> CONTAINERD_RESOLVE = List.of(String.join(", ", MediaTypes.DOCKER_MANIFEST,
      MediaTypes.DOCKER_MANIFEST_LIST, MediaTypes.OCI_MANIFEST, MediaTypes.OCI_INDEX, "*/*"));

  @Test
  void everyLineAndEveryEntryCounts() {
    ManifestAccept cimg = ManifestAccept.parse(CONTAINERS_IMAGE);
    for (String t : CONTAINERS_IMAGE) {
      assertTrue(cimg.accepts(t), t);
    }
    ManifestAccept ctrd = ManifestAccept.parse(CONTAINERD_RESOLVE);
    assertTrue(ctrd.accepts(MediaTypes.OCI_INDEX));
    assertTrue(ctrd.accepts(MediaTypes.DOCKER_MANIFEST_LIST));
    assertFalse(ctrd.accepts(MediaTypes.DOCKER_SCHEMA1_SIGNED));
  }

  @Test
  void parametersAndCaseAreIgnoredWildcardsNameNothing() {
    ManifestAccept a = ManifestAccept.parse(List.of(
        " Application/VND.oci.image.index.v1+json ; q=0.5,*/*", "application/*"));
    assertTrue(a.accepts(MediaTypes.OCI_INDEX));
    assertFalse(a.accepts(MediaTypes.OCI_MANIFEST));
    assertEquals(REFUSE, a.choose(MediaTypes.OCI_MANIFEST, true));
  }

  @Test
  void choicesFollowDistribution() {
    ManifestAccept onlyDocker = ManifestAccept.parse(List.of(MediaTypes.DOCKER_MANIFEST));
    assertEquals(REFUSE, onlyDocker.choose(MediaTypes.OCI_INDEX, true));
    assertEquals(REFUSE, onlyDocker.choose(MediaTypes.OCI_MANIFEST, false));
    assertEquals(LINUX_AMD64_OF_LIST, onlyDocker.choose(MediaTypes.DOCKER_MANIFEST_LIST, true));
    assertEquals(SERVE, onlyDocker.choose(MediaTypes.DOCKER_MANIFEST_LIST, false), "by digest: as is");
    assertEquals(SERVE, onlyDocker.choose(MediaTypes.DOCKER_MANIFEST, true));

    ManifestAccept schema1Only = ManifestAccept.parse(List.of(MediaTypes.DOCKER_SCHEMA1_SIGNED));
    assertEquals(SERVE, schema1Only.choose(MediaTypes.DOCKER_MANIFEST, true), "never converted to schema 1");
    assertEquals(SERVE, schema1Only.choose(MediaTypes.DOCKER_SCHEMA1_SIGNED, true));
    assertEquals(REFUSE, schema1Only.choose(MediaTypes.OCI_MANIFEST, true));

    for (ManifestAccept none : List.of(ManifestAccept.parse(List.of()), ManifestAccept.parse(List.of("*/*")))) {
      for (String t : List.of(MediaTypes.OCI_INDEX, MediaTypes.OCI_MANIFEST, MediaTypes.DOCKER_MANIFEST_LIST)) {
        assertEquals(SERVE, none.choose(t, true), "no type named: as stored, " + t);
      }
    }

    ManifestAccept cimg = ManifestAccept.parse(CONTAINERS_IMAGE);
    ManifestAccept ctrd = ManifestAccept.parse(CONTAINERD_RESOLVE);
    for (String t : List.of(MediaTypes.OCI_INDEX, MediaTypes.OCI_MANIFEST, MediaTypes.DOCKER_MANIFEST,
        MediaTypes.DOCKER_MANIFEST_LIST)) {
      assertEquals(SERVE, cimg.choose(t, true), t);
      assertEquals(SERVE, ctrd.choose(t, true), t);
    }
  }
}
