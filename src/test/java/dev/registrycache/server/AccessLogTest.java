package dev.registrycache.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registrycache.metrics.CacheMetrics;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class AccessLogTest {
  @Test
  void timeFormatMatchesIsoInstantWithMillis() {
    for (long t : new long[] {0L, 1_763_892_930_007L, 1_763_892_930_999L, 1_763_892_931_050L}) {
      StringBuilder sb = new StringBuilder();
      AccessLog.appendTime(sb, t);
      String expected = java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
          .withZone(java.time.ZoneOffset.UTC).format(java.time.Instant.ofEpochMilli(t));
      assertEquals(expected, sb.toString());
    }
  }

  @Test
  void oneLinePerRequestWithAllFields() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    AccessLog log = new AccessLog(out, CacheMetrics.inMemory());
    log.log("127.0.0.1", "GET", "/v2/library/a/blobs/sha256:x", 200, 4096, 1_500_000, "docker.io", "hit");
    log.log("127.0.0.1", "HEAD", "/v2/", 200, 0, 100_000, null, null);
    log.close();
    String[] lines = out.toString(StandardCharsets.UTF_8).split("\n");
    assertEquals(2, lines.length);
    assertTrue(lines[0].endsWith(" 127.0.0.1 GET /v2/library/a/blobs/sha256:x 200 4096 1.5ms docker.io hit"), lines[0]);
    assertTrue(lines[1].endsWith(" HEAD /v2/ 200 0 0.1ms - -"), lines[1]);
  }
}
