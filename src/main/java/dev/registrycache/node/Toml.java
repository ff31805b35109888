package dev.registrycache.node;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import com.fasterxml.jackson.dataformat.toml.TomlReadFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads TOML (containerd's {@code config.toml} and {@code hosts.toml}, containers-registries.conf,
 * crio.conf) with jackson-dataformat-toml into a tree: tables, inline tables and dotted keys all
 * end up as nested objects, and a document that is not valid TOML 1.0 (duplicate keys, a table
 * defined twice, an inline table extended later) is refused with the line it fails on.
 */
final class Toml {
  /** A document that is not valid TOML; the message names the file and the line. */
  static final class InvalidTomlException extends IOException {
    InvalidTomlException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private static final TomlMapper MAPPER = TomlMapper.builder().enable(TomlReadFeature.PARSE_JAVA_TIME).build();

  private Toml() {}

  /** @param origin what to call the text in an error, usually its file name */
  static ObjectNode parse(String text, String origin) throws InvalidTomlException {
    try {
      return (ObjectNode) MAPPER.readTree(text);
    } catch (JsonProcessingException e) {
      JsonLocation at = e.getLocation();
      String where = at == null || at.getLineNr() < 1 ? ""
          : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
      throw new InvalidTomlException(origin + " is not valid TOML: " + e.getOriginalMessage() + where, e);
    }
  }

  static ObjectNode read(Path file) throws IOException {
    return parse(Files.readString(file, UTF_8), file.toString());
  }

  /** The value at a path of keys, or a missing node (never {@code null}). */
  static JsonNode at(JsonNode root, String... path) {
    JsonNode n = root;
    for (String key : path) {
      n = n.isObject() ? n.path(key) : MissingNode.getInstance();
    }
    return n;
  }

  /** The strings of an array value; other elements and non-arrays give nothing. */
  static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    if (array.isArray()) {
      array.forEach(e -> {
        if (e.isTextual()) {
          out.add(e.asText());
        }
      });
    }
    return out;
  }
}
