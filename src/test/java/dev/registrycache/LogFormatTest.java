package dev.registrycache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.registrycache.logging.Logging;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The log formats, from a real JVM started the way users start it (the env var picks JSON). */
class LogFormatTest {
  private static String run(String format) throws Exception {
    String cp = System.getProperty("java.class.path");
    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", cp, LogProbe.class.getName()).redirectErrorStream(true);
    if (format != null) {
      pb.environment().put(Logging.FORMAT_VARIABLE, format);
    }
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "probe finished");
    return out;
  }

  @Test
  void textHasTimeLevelLoggerAndTheFormattedMessage() throws Exception {
    String out = run(null);
    assertTrue(out.matches("(?s)\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z INFO  \\[main\\] \\S*LogProbe - probe says 42\\R.*"), out);
  }

  @Test
  void jsonIsOneParseableObjectPerLine() throws Exception {
    String out = run("json");
    List<String> lines = out.lines().filter(l -> !l.isBlank()).toList();
    assertFalse(lines.isEmpty());
    JsonNode n = new ObjectMapper().readTree(lines.get(0));
    assertEquals("INFO", n.path("level").asText());
    assertEquals("probe says 42", n.path("message").asText());
    assertTrue(n.path("loggerName").asText().endsWith("LogProbe"));
    assertTrue(n.path("timestamp").asLong() > 0);
    for (String l : lines) {
      new ObjectMapper().readTree(l); // every line is JSON: no logback status noise
    }
  }

  /** Logs one line the way the application does (logback.xml reads the variable). */
  public static final class LogProbe {
    public static void main(String[] args) {
      org.slf4j.LoggerFactory.getLogger(LogProbe.class).info("probe says {}", 42);
    }
  }
}
