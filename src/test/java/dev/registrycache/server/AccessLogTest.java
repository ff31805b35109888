package dev.registrycache.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.registrycache.logging.Logging;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The access log and the application log through logback.xml, as the cache runs them. */
class AccessLogTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  private final PrintStream stdout = System.out;

  private final PrintStream stderr = System.err;

  @AfterEach
  void restoreStdoutAndStderr() {
    System.setOut(stdout);
    System.setErr(stderr);
  }

  /**
   * A logger context configured from the real logback.xml, with stdout (access log) and stderr
   * (everything else) both going to {@link #out}.
   */
  private LoggerContext configure(String format) throws Exception {
    LoggerContext ctx = new LoggerContext();
    ctx.setMDCAdapter(new LogbackMDCAdapter()); // as the SLF4J provider does for the real context
    ctx.putProperty(Logging.FORMAT_VARIABLE, format);
    PrintStream both = new PrintStream(out, true, StandardCharsets.UTF_8);
    System.setOut(both);
    System.setErr(both);
    JoranConfigurator c = new JoranConfigurator();
    c.setContext(ctx);
    c.doConfigure(AccessLogTest.class.getResource("/logback.xml"));
    return ctx;
  }

  private List<String> lines(LoggerContext ctx) {
    ctx.stop();
    return List.of(out.toString(StandardCharsets.UTF_8).split("\n"));
  }

  private static void twoRequests(AccessLog log) {
    log.log("127.0.0.1", "GET", "/v2/library/a/blobs/sha256:x", 200, 4096, 1_500_000, "docker.io", "hit");
    log.log("::1", "HEAD", "/v2/", 200, 0, 100_000, null, null);
  }

  @Test
  void textLineHasEveryField() throws Exception {
    LoggerContext ctx = configure("text");
    twoRequests(new AccessLog(ctx.getLogger(AccessLog.LOGGER)));
    List<String> lines = lines(ctx);
    assertEquals(2, lines.size(), lines.toString());
    String time = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z";
    assertTrue(lines.get(0).matches(time + " registry_cache.access client=127.0.0.1 method=GET"
        + " uri=/v2/library/a/blobs/sha256:x status=200 bytes=4096 duration_ms=1.5 registry=docker.io source=hit"),
        lines.get(0));
    assertTrue(lines.get(1).matches(time + " registry_cache.access client=::1 method=HEAD uri=/v2/ status=200"
        + " bytes=0 duration_ms=0.1"), lines.get(1));
  }

  @Test
  void textLinesCarryTheTimeOfTheirRequest() throws Exception {
    LoggerContext ctx = configure("text");
    long before = System.currentTimeMillis();
    twoRequests(new AccessLog(ctx.getLogger(AccessLog.LOGGER)));
    long after = System.currentTimeMillis();
    for (String line : lines(ctx)) {
      long t = java.time.Instant.parse(line.substring(0, line.indexOf(' '))).toEpochMilli();
      assertTrue(t >= before && t <= after, line + " not within [" + before + ", " + after + "]");
    }
  }

  /** Spaces, quotes, backslashes, control and non-ASCII characters are written as nginx does: {@code \xNN}. */
  @Test
  void whatAClientSentCannotSplitOrForgeATextLine() throws Exception {
    LoggerContext ctx = configure("text");
    new AccessLog(ctx.getLogger(AccessLog.LOGGER)).log("127.0.0.1", "GET",
        "/v2/a b\"c\\d\u00e9\u2028/x\r\n2026-01-01T00:00:00.000Z registry_cache.access fake=1", 404, 0, 0, null, null);
    List<String> lines = lines(ctx);
    assertEquals(1, lines.size(), lines.toString());
    assertTrue(lines.get(0).endsWith(" uri=/v2/a\\x20b\\x22c\\x5Cd\\xE9\\x{2028}/x\\x0D\\x0A2026-01-01T00:00:00.000Z"
        + "\\x20registry_cache.access\\x20fake=1 status=404 bytes=0 duration_ms=0.0"), lines.get(0));
  }

  @Test
  void jsonLinesParseAndCarryEachFieldSeparately() throws Exception {
    LoggerContext ctx = configure("json");
    twoRequests(new AccessLog(ctx.getLogger(AccessLog.LOGGER)));
    ctx.getLogger("dev.registrycache.Some").warn("a \"quoted\"\nmessage {}", "with\targ",
        new IllegalStateException("boom"));
    List<String> lines = lines(ctx);
    assertEquals(3, lines.size(), lines.toString());
    List<JsonNode> events = new ArrayList<>();
    for (String l : lines) {
      events.add(new ObjectMapper().readTree(l));
    }
    JsonNode app = events.stream().filter(e -> e.path("level").asText().equals("WARN")).findFirst().orElseThrow();
    assertEquals("a \"quoted\"\nmessage with\targ", app.get("message").asText());
    assertEquals("java.lang.IllegalStateException", app.get("throwable").get("className").asText());
    assertEquals("dev.registrycache.Some", app.get("loggerName").asText());

    List<JsonNode> access = events.stream().filter(e -> e.path("loggerName").asText().equals(AccessLog.LOGGER)).toList();
    assertEquals(2, access.size());
    JsonNode get = access.get(0);
    assertEquals("127.0.0.1", get.get("client").asText());
    assertEquals("GET", get.get("method").asText());
    assertEquals("/v2/library/a/blobs/sha256:x", get.get("uri").asText());
    assertTrue(get.get("status").isInt() && get.get("status").asInt() == 200, get.toString());
    assertTrue(get.get("bytes").isIntegralNumber() && get.get("bytes").asLong() == 4096, get.toString());
    assertEquals(1.5, get.get("duration_ms").asDouble());
    assertEquals("docker.io", get.get("registry").asText());
    assertEquals("hit", get.get("source").asText());
    assertEquals("INFO", get.get("level").asText());
    assertTrue(get.get("timestamp").asLong() > 1_700_000_000_000L, get.toString());
    assertFalse(access.get(1).has("registry"), access.get(1).toString());
    assertFalse(get.has("throwable"), get.toString());
    assertTrue(lines.stream().anyMatch(l -> l.contains("\"uri\":\"/v2/library/a/blobs/sha256:x\"")), "'/' unescaped");
  }

  @Test
  void theDefaultConfigurationWritesText() throws Exception {
    LoggerContext ctx = configure("");
    ctx.getLogger("x.Y").info("hello {}", "world");
    String line = lines(ctx).get(0);
    assertTrue(line.matches("\\d{4}-.*Z INFO  \\[[^]]+\\] x\\.Y - hello world"), line);
  }
}
