package dev.registrycache.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class JsonBodiesTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static JsonNode parse(byte[] body) throws IOException {
    String text = new String(body, StandardCharsets.UTF_8);
    assertTrue(text.endsWith("}\n"), text);
    return JSON.readTree(body);
  }

  @Test
  void errorKeepsTheSpecShapeForAnyMessage() throws IOException {
    String message = "tag \"x\" \\ unknown\n\t\u0001 \u00e9\u4e2d \ud83d\ude00 </script>";
    JsonNode n = parse(new OciError(ErrorCode.MANIFEST_UNKNOWN, message).toJson());
    assertEquals(1, n.size());
    assertEquals(1, n.get("errors").size());
    JsonNode e = n.get("errors").get(0);
    assertEquals("MANIFEST_UNKNOWN", e.get("code").asText());
    assertEquals(message, e.get("message").asText());
    assertEquals(2, e.size());
  }

  @Test
  void anUnpairedSurrogateStillGivesValidJson() throws IOException {
    JsonNode n = parse(JsonBodies.error(ErrorCode.NAME_INVALID, "bad \ud800 name"));
    assertEquals("bad ? name", n.get("errors").get(0).get("message").asText());
  }

  @Test
  void catalogAndTagList() throws IOException {
    assertEquals("{\"repositories\":[\"docker.io/library/a\",\"quay.io/o/b\"]}\n",
        new String(JsonBodies.catalog(List.of("docker.io/library/a", "quay.io/o/b")), StandardCharsets.UTF_8));
    assertEquals("{\"repositories\":[]}\n", new String(JsonBodies.catalog(List.of()), StandardCharsets.UTF_8));
    JsonNode tags = parse(JsonBodies.tagList("library/a", List.of("1.0", "latest")));
    assertEquals("library/a", tags.get("name").asText());
    assertEquals(List.of("1.0", "latest"), List.of(tags.get("tags").get(0).asText(), tags.get("tags").get(1).asText()));
  }
}
