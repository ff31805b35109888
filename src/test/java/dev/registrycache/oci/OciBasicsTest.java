package dev.registrycache.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class OciBasicsTest {
  @Test
  void digestParsing() {
    Digest d = Digest.parse("sha256:" + "0".repeat(64));
    assertEquals("sha256", d.algorithm());
    assertThrows(IllegalArgumentException.class, () -> Digest.parse("sha256:" + "0".repeat(63)));
    assertThrows(IllegalArgumentException.class, () -> Digest.parse("sha1:" + "0".repeat(40)));
    assertThrows(IllegalArgumentException.class, () -> Digest.parse("nocolon"));
    assertEquals(128, Digest.parse("sha512:" + "f".repeat(128)).hex().length());
  }

  @Test
  void sha256OfKnownValue() {
    // sha256("abc"), from FIPS 180-2
    assertEquals("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        Digest.sha256Of("abc".getBytes(StandardCharsets.US_ASCII)).toString());
  }

  @Test
  void errorJson() {
    String json = new String(new OciError(ErrorCode.MANIFEST_UNKNOWN, "tag \"x\" unknown\n").toJson(),
        StandardCharsets.UTF_8);
    assertEquals("{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"tag \\\"x\\\" unknown\\n\"}]}\n", json);
    assertEquals(404, new OciError(ErrorCode.MANIFEST_UNKNOWN, "m").status());
    assertEquals(405, new OciError(ErrorCode.UNSUPPORTED, "m").status());
  }

  @Test
  void handWrittenNameMatcherAgreesWithTheSpecRegex() {
    String alphabet = "ab0._-/";
    java.util.Random r = new java.util.Random(42);
    for (int i = 0; i < 200_000; i++) {
      int len = 1 + r.nextInt(9);
      StringBuilder sb = new StringBuilder();
      for (int j = 0; j < len; j++) {
        sb.append(alphabet.charAt(r.nextInt(alphabet.length())));
      }
      String s = sb.toString();
      assertEquals(RepositoryName.matchesNameRegex(s), RepositoryName.matchesName(s), s);
    }
  }

  @Test
  void names() {
    assertTrue(RepositoryName.isValid("library/nginx"));
    assertTrue(RepositoryName.isValid("a-b__c.d/e--f"));
    assertFalse(RepositoryName.isValid("a/../b"));
    assertFalse(RepositoryName.isValid("a/_manifests"));
    assertEquals("library/nginx", RepositoryName.normalizeDockerHub("nginx"));
    assertEquals("bitnami/nginx", RepositoryName.normalizeDockerHub("bitnami/nginx"));
    assertTrue(RepositoryName.isValidTag("v1.2.3-rc_1"));
    assertFalse(RepositoryName.isValidTag("-x"));
  }
}
