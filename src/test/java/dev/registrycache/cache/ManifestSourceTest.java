package dev.registrycache.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.registrycache.oci.Digest;
import dev.registrycache.oci.DistributionRequest;
import org.junit.jupiter.api.Test;

class ManifestSourceTest {
  @Test
  void aPeersAgeDatesTheConfirmationBackFromWhenItWasAsked() {
    assertEquals(7_000, ManifestSource.checkedAt("3", 10_000));
    assertEquals(10_000, ManifestSource.checkedAt("0", 10_000));
  }

  @Test
  void noOrAMalformedAgeCountsFromWhenItWasAsked() {
    for (String age : new String[] {null, "", "-5", "1.5", "abc", "12345678901"}) {
      assertEquals(10_000, ManifestSource.checkedAt(age, 10_000), "Age: " + age);
    }
  }

  @Test
  void aTagIsOwnedByRegistryRepositoryAndTagAManifestByDigestByItsDigest() {
    Digest d = Digest.parse("sha256:" + "a".repeat(64));
    DistributionRequest byDigest = new DistributionRequest(DistributionRequest.Kind.MANIFEST, false, "docker.io",
        "library/app", d.toString(), d, -1, null);
    assertEquals(d.toString(), ManifestSource.key(byDigest));
    DistributionRequest tag = new DistributionRequest(DistributionRequest.Kind.MANIFEST, false, "docker.io",
        "library/app", "v1", null, -1, null);
    DistributionRequest otherRegistry = new DistributionRequest(DistributionRequest.Kind.MANIFEST, false, "quay.io",
        "library/app", "v1", null, -1, null);
    assertEquals("docker.io/library/app:v1", ManifestSource.key(tag));
    assertNotEquals(ManifestSource.key(tag), ManifestSource.key(otherRegistry));
  }
}
