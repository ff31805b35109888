package dev.registrycache.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DistributionPathParserTest {
  private static final String D = "sha256:" + "a".repeat(64);
  private final DistributionPathParser parser =
      new DistributionPathParser(Set.of("docker.io", "quay.io", "registry.k8s.io", "localhost:5000")::contains, "docker.io");

  private static ErrorCode code(Runnable r) {
    OciException e = assertThrows(OciException.class, r::run);
    return e.error().code();
  }

  @Test
  void baseAndCatalog() {
    assertEquals(DistributionRequest.Kind.BASE, parser.parse("GET", "/v2/").kind());
    assertEquals(DistributionRequest.Kind.BASE, parser.parse("HEAD", "/v2").kind());
    DistributionRequest c = parser.parse("GET", "/v2/_catalog?n=10&last=docker.io%2Flibrary%2Fa");
    assertEquals(DistributionRequest.Kind.CATALOG, c.kind());
    assertEquals(10, c.pageSize());
    assertEquals("docker.io/library/a", c.last());
  }

  @Test
  void dockerRegistryMirrorStyleDefaultsToDockerHubAndNormalises() {
    DistributionRequest r = parser.parse("GET", "/v2/nginx/manifests/latest");
    assertEquals("docker.io", r.registry());
    assertEquals("library/nginx", r.repository());
    assertEquals("latest", r.reference());
    assertNull(r.digest());
    assertEquals(DistributionRequest.Kind.MANIFEST, r.kind());
  }

  @Test
  void containerdNsParameterChoosesRegistry() {
    DistributionRequest r = parser.parse("HEAD", "/v2/prometheus/node-exporter/manifests/v1.8.0?ns=quay.io");
    assertEquals("quay.io", r.registry());
    assertEquals("prometheus/node-exporter", r.repository());
    assertTrue(r.head());
    // quay.io names are not normalised to library/
    assertEquals("coreos", parser.parse("GET", "/v2/coreos/manifests/x?ns=quay.io").repository());
  }

  @Test
  void nsAliasesOfDockerHub() {
    assertEquals("docker.io", parser.parse("GET", "/v2/x/manifests/y?ns=index.docker.io").registry());
    assertEquals("docker.io", parser.parse("GET", "/v2/x/manifests/y?ns=registry-1.docker.io").registry());
  }

  @Test
  void pathPrefixChoosesRegistry() {
    DistributionRequest r = parser.parse("GET", "/v2/quay.io/prometheus/node-exporter/blobs/" + D);
    assertEquals("quay.io", r.registry());
    assertEquals("prometheus/node-exporter", r.repository());
    assertEquals(D, r.digest().toString());
    DistributionRequest h = parser.parse("GET", "/v2/docker.io/nginx/manifests/1.27?ns=docker.io");
    assertEquals("docker.io", h.registry());
    assertEquals("library/nginx", h.repository());
    DistributionRequest port = parser.parse("GET", "/v2/localhost:5000/app/manifests/v1");
    assertEquals("localhost:5000", port.registry());
  }

  @Test
  void nsNamesTheRegistryAndAPrefixThatDiffersIsPartOfTheRepository() {
    // ctr pull harbor.example/docker.io/library/nginx through a hosts.toml mirror
    DistributionRequest r = parser.parse("GET", "/v2/docker.io/library/nginx/manifests/v1?ns=harbor.example");
    assertEquals("harbor.example", r.registry());
    assertEquals("docker.io/library/nginx", r.repository());
    DistributionRequest q = parser.parse("GET", "/v2/quay.io/library/x/manifests/v1?ns=docker.io");
    assertEquals("docker.io", q.registry());
    assertEquals("quay.io/library/x", q.repository());
    // the same name in prefix and ns: the prefix is the mirror's path (override_path)
    DistributionRequest same = parser.parse("GET", "/v2/quay.io/library/x/manifests/v1?ns=quay.io");
    assertEquals("quay.io", same.registry());
    assertEquals("library/x", same.repository());
  }

  @Test
  void containerdHostWithPathWithoutOverride() {
    DistributionRequest r = parser.parse("GET", "/registry.k8s.io/v2/pause/manifests/3.10");
    assertEquals("registry.k8s.io", r.registry());
    assertEquals("pause", r.repository());
    assertEquals(DistributionRequest.Kind.BASE, parser.parse("GET", "/quay.io/v2/").kind());
  }

  @Test
  void unconfiguredPrefixIsARepositoryComponent() {
    DistributionRequest r = parser.parse("GET", "/v2/example.com/app/manifests/v1");
    assertEquals("docker.io", r.registry());
    assertEquals("example.com/app", r.repository());
  }

  @Test
  void unknownNsIsPassedOnForTheCallerToReject() {
    assertEquals("unknown.example", parser.parse("GET", "/v2/a/manifests/b?ns=unknown.example").registry());
  }

  @Test
  void tagsListAndPagination() {
    DistributionRequest r = parser.parse("GET", "/v2/library/busybox/tags/list?n=5&last=1.0");
    assertEquals(DistributionRequest.Kind.TAGS_LIST, r.kind());
    assertEquals(5, r.pageSize());
    assertEquals("1.0", r.last());
    assertEquals(ErrorCode.UNSUPPORTED, code(() -> parser.parse("GET", "/v2/a/tags/list?n=-1")));
  }

  @Test
  void digestWithEscapedColon() {
    assertEquals(D, parser.parse("GET", "/v2/a/blobs/sha256%3A" + "a".repeat(64)).digest().toString());
  }

  @ParameterizedTest
  @ValueSource(strings = {"PUT", "POST", "DELETE", "PATCH", "OPTIONS"})
  void writesAreUnsupported(String method) {
    assertEquals(ErrorCode.UNSUPPORTED, code(() -> parser.parse(method, "/v2/a/manifests/b")));
  }

  @ParameterizedTest
  @CsvSource({
      "PUT, /v2/A/manifests/v1, NAME_INVALID",
      "PUT, /v2/a/manifests/sha256:totallywrong, DIGEST_INVALID",
      "PUT, /v2/a/manifests/.INVALID_MANIFEST_NAME, MANIFEST_INVALID",
      "DELETE, /v2/a/manifests/.bad, MANIFEST_INVALID",
      "DELETE, /v2/a/blobs/sha256:abc, DIGEST_INVALID",
      "DELETE, /v2/a_/blobs/sha256:abc, NAME_INVALID",
      "POST, /v2/A/blobs/uploads/, NAME_INVALID",
      "PATCH, /v2/a/blobs/uploads/0c5e8a, UNSUPPORTED",
      "PUT, /v2/a/blobs/uploads/0c5e8a?digest=sha256:bad, DIGEST_INVALID",
      "POST, /v2/a/blobs/uploads/?mount=sha256:bad&from=b, DIGEST_INVALID",
      "POST, /v2/a/blobs/uploads/, UNSUPPORTED",
      "PUT, /v2/a/manifests/v1, UNSUPPORTED",
      "DELETE, /v2/, UNSUPPORTED",
      "OPTIONS, /v2/A/manifests/.bad, UNSUPPORTED"})
  void aPushIsValidatedBeforeItIsRefused(String method, String target, ErrorCode expected) {
    OciException e = assertThrows(OciException.class, () -> parser.parse(method, target));
    assertEquals(expected, e.error().code());
    assertEquals(expected == ErrorCode.UNSUPPORTED ? 405 : 400, e.error().status());
  }

  @ParameterizedTest
  @ValueSource(strings = {".INVALID_MANIFEST_NAME", ".hidden", "-dash", "sha256:short", "md5:00ff"})
  void aManifestReferenceThatCannotExistIsUnknown(String reference) {
    for (String method : new String[] {"GET", "HEAD"}) {
      OciException e = assertThrows(OciException.class,
          () -> parser.parse(method, "/v2/foo/manifests/" + reference));
      assertEquals(ErrorCode.MANIFEST_UNKNOWN, e.error().code());
      assertEquals(404, e.error().status());
      assertTrue(e.error().message().contains(reference), e.error().message());
    }
  }

  @Test
  void uploadsAreUnsupportedEvenWithGet() {
    assertEquals(ErrorCode.UNSUPPORTED, code(() -> parser.parse("GET", "/v2/a/blobs/uploads/123")));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "/v2/../../etc/passwd/manifests/x", "/v2/a/../b/manifests/x", "/v2/%2e%2e/x/manifests/y",
      "/v2/A/manifests/x", "/v2/a//b/manifests/x", "/v2/a%2f..%2fb/manifests/x", "/v2/-a/manifests/x",
      "/v2/a_/manifests/x"})
  void invalidNames(String path) {
    assertEquals(ErrorCode.NAME_INVALID, code(() -> parser.parse("GET", path)));
  }

  @Test
  void invalidTagsAndDigests() {
    // a tag that cannot exist names no manifest (what the OCI conformance suite expects)
    assertEquals(ErrorCode.MANIFEST_UNKNOWN, code(() -> parser.parse("GET", "/v2/a/manifests/.INVALID_MANIFEST_NAME")));
    assertEquals(ErrorCode.MANIFEST_UNKNOWN, code(() -> parser.parse("HEAD", "/v2/a/manifests/" + "t".repeat(129))));
    assertEquals(ErrorCode.DIGEST_INVALID, code(() -> parser.parse("GET", "/v2/a/blobs/sha256:abc")));
    assertEquals(ErrorCode.DIGEST_INVALID, code(() -> parser.parse("GET", "/v2/a/blobs/latest")));
    assertEquals(ErrorCode.MANIFEST_UNKNOWN, code(() -> parser.parse("GET", "/v2/a/manifests/md5:" + "a".repeat(32))));
    assertEquals(ErrorCode.DIGEST_INVALID,
        code(() -> parser.parse("GET", "/v2/a/blobs/sha256:" + "A".repeat(64))));
  }

  @Test
  void nonDistributionPaths() {
    assertEquals(ErrorCode.NAME_UNKNOWN, code(() -> parser.parse("GET", "/")));
    assertEquals(ErrorCode.NAME_UNKNOWN, code(() -> parser.parse("GET", "/etc/passwd")));
    assertEquals(ErrorCode.NAME_UNKNOWN, code(() -> parser.parse("GET", "/v2/a/b")));
    assertEquals(ErrorCode.NAME_INVALID, code(() -> parser.parse("GET", "/v2/a%/manifests/x")));
    assertEquals(ErrorCode.NAME_INVALID, code(() -> parser.parse("GET", "/v2/a%00b/manifests/x")));
  }

  @Test
  void nameLengthLimit() {
    String longName = "a".repeat(200) + "/" + "b".repeat(60);
    assertEquals(ErrorCode.NAME_INVALID, code(() -> parser.parse("GET", "/v2/" + longName + "/manifests/x")));
  }
}
