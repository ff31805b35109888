package dev.registrycache.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.POJONode;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Builds TOML text: comments, {@code key = value} lines and tables written from a parsed tree
 * ({@link Toml}), with members indented under their table header. What it builds is checked by
 * parsing it again before it is written anywhere ({@link ManagedFiles#writeTomlIfChanged}).
 */
final class TomlWriter {
  private static final Pattern BARE_KEY = Pattern.compile("[A-Za-z0-9_-]+");

  private final StringBuilder sb = new StringBuilder();

  /** A line as it is (e.g. the marker line). */
  TomlWriter line(String text) {
    sb.append(text).append('\n');
    return this;
  }

  TomlWriter comment(String text) {
    for (String line : text.split("\n", -1)) {
      sb.append(line.isEmpty() ? "#" : "# " + line).append('\n');
    }
    return this;
  }

  TomlWriter blankLine() {
    sb.append('\n');
    return this;
  }

  /** {@code key = "value"} at the indentation of the members of {@code table}. */
  TomlWriter string(List<String> table, String key, String value) {
    sb.append(memberIndent(table)).append(key(key)).append(" = ").append(quote(value)).append('\n');
    return this;
  }

  TomlWriter keyValue(List<String> table, String key, JsonNode value) {
    sb.append(memberIndent(table)).append(key(key)).append(" = ").append(value(value)).append('\n');
    return this;
  }

  /** {@code [a."b.c"]}. */
  TomlWriter header(List<String> table) {
    sb.append(headerIndent(table)).append('[').append(path(table)).append("]\n");
    return this;
  }

  /** The header of {@code path}, then its members ({@link #members}). */
  TomlWriter table(List<String> path, ObjectNode table) {
    return header(path).members(path, table);
  }

  /**
   * The members of the table at {@code path} (whose header, if any, is already written): plain
   * values first, then each sub-table with its own header, so nothing lands in the wrong table.
   */
  TomlWriter members(List<String> path, ObjectNode table) {
    List<Map.Entry<String, JsonNode>> subTables = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = table.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (e.getValue().isObject()) {
        subTables.add(e);
      } else {
        keyValue(path, e.getKey(), e.getValue());
      }
    }
    for (Map.Entry<String, JsonNode> e : subTables) {
      table(append(path, e.getKey()), (ObjectNode) e.getValue());
    }
    return this;
  }

  @Override
  public String toString() {
    return sb.toString();
  }

  static String path(List<String> keys) {
    return String.join(".", keys.stream().map(TomlWriter::key).toList());
  }

  static String key(String key) {
    return BARE_KEY.matcher(key).matches() ? key : quote(key);
  }

  /** A TOML basic string. */
  static String quote(String s) {
    StringBuilder out = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\b' -> out.append("\\b");
        case '\t' -> out.append("\\t");
        case '\n' -> out.append("\\n");
        case '\f' -> out.append("\\f");
        case '\r' -> out.append("\\r");
        default -> {
          if (c < 0x20 || c == 0x7f) {
            out.append(String.format("\\u%04X", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.append('"').toString();
  }

  /** A value as TOML: strings, numbers, booleans, dates, arrays and (inside arrays) inline tables. */
  static String value(JsonNode v) {
    if (v.isTextual()) {
      return quote(v.asText());
    }
    if (v.isBoolean() || v.isIntegralNumber()) {
      return v.asText();
    }
    if (v.isFloatingPointNumber()) {
      double d = v.doubleValue();
      return Double.isNaN(d) ? "nan" : Double.isInfinite(d) ? (d > 0 ? "inf" : "-inf") : Double.toString(d);
    }
    if (v.isArray()) {
      List<String> items = new ArrayList<>();
      v.forEach(e -> items.add(value(e)));
      return "[" + String.join(", ", items) + "]";
    }
    if (v.isObject()) {
      List<String> items = new ArrayList<>();
      v.fields().forEachRemaining(e -> items.add(key(e.getKey()) + " = " + value(e.getValue())));
      return items.isEmpty() ? "{}" : "{ " + String.join(", ", items) + " }";
    }
    if (v instanceof POJONode p) {
      Object o = p.getPojo();
      if (o instanceof OffsetDateTime t) {
        return DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(t);
      } else if (o instanceof LocalDateTime t) {
        return DateTimeFormatter.ISO_LOCAL_DATE_TIME.format(t);
      } else if (o instanceof LocalDate t) {
        return DateTimeFormatter.ISO_LOCAL_DATE.format(t);
      } else if (o instanceof LocalTime t) {
        return DateTimeFormatter.ISO_LOCAL_TIME.format(t);
      }
    }
    throw new IllegalArgumentException("no TOML form for a " + v.getNodeType() + " value");
  }

  private static List<String> append(List<String> path, String key) {
    List<String> out = new ArrayList<>(path);
    out.add(key);
    return out;
  }

  private static String headerIndent(List<String> table) {
    return "  ".repeat(Math.max(0, table.size() - 2));
  }

  private static String memberIndent(List<String> table) {
    return table.isEmpty() ? "" : headerIndent(table) + "  ";
  }
}
