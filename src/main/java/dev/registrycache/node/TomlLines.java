package dev.registrycache.node;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A small line-based TOML reader: enough to find a key in a containerd {@code config.toml} and to
 * split a {@code hosts.toml} into its top-level part and its tables, keeping every line verbatim.
 * It understands table headers, dotted and quoted keys, comments, strings, arrays that span lines
 * and multi-line strings; it does not validate documents and does not build values.
 */
final class TomlLines {
  enum Kind { BLANK, COMMENT, TABLE, KEY_VALUE, CONTINUATION }

  /**
   * One physical line. {@code table} is the path of the table the line belongs to (for a header,
   * the table it opens); {@code key} and {@code value} are set for {@link Kind#KEY_VALUE} lines
   * ({@code value} is the raw text after '=' on that line, comment removed).
   */
  record Line(String text, Kind kind, List<String> table, List<String> key, String value) {
    List<String> fullKey() {
      List<String> k = new ArrayList<>(table);
      k.addAll(key);
      return k;
    }
  }

  private TomlLines() {}

  static List<Line> read(String text) {
    List<Line> out = new ArrayList<>();
    List<String> table = List.of();
    int depth = 0;
    String openString = null;
    for (String line : splitLines(text)) {
      if (openString != null) {
        out.add(new Line(line, Kind.CONTINUATION, table, List.of(), null));
        if (line.contains(openString)) {
          openString = null;
        }
        continue;
      }
      if (depth > 0) {
        out.add(new Line(line, Kind.CONTINUATION, table, List.of(), null));
        depth = Math.max(0, depth + bracketDelta(line));
        continue;
      }
      String t = line.strip();
      if (t.isEmpty()) {
        out.add(new Line(line, Kind.BLANK, table, List.of(), null));
      } else if (t.startsWith("#")) {
        out.add(new Line(line, Kind.COMMENT, table, List.of(), null));
      } else if (t.startsWith("[")) {
        boolean array = t.startsWith("[[");
        String inner = t.substring(array ? 2 : 1);
        int end = indexOutsideQuotes(inner, ']');
        table = splitKey(end < 0 ? inner : inner.substring(0, end));
        out.add(new Line(line, Kind.TABLE, table, List.of(), null));
      } else {
        int eq = indexOutsideQuotes(t, '=');
        if (eq < 0) {
          out.add(new Line(line, Kind.CONTINUATION, table, List.of(), null));
          continue;
        }
        String value = stripComment(t.substring(eq + 1)).strip();
        out.add(new Line(line, Kind.KEY_VALUE, table, splitKey(t.substring(0, eq)), value));
        if (value.startsWith("\"\"\"") || value.startsWith("'''")) {
          String delim = value.substring(0, 3);
          if (value.indexOf(delim, 3) < 0) {
            openString = delim;
          }
        } else {
          depth = Math.max(0, bracketDelta(value));
        }
      }
    }
    return out;
  }

  /** Every key's full dotted path mapped to its raw value; a later definition wins. */
  static Map<List<String>, String> keyValues(String text) {
    Map<List<String>, String> out = new LinkedHashMap<>();
    for (Line l : read(text)) {
      if (l.kind() == Kind.KEY_VALUE) {
        out.put(List.copyOf(l.fullKey()), l.value());
      }
    }
    return out;
  }

  /** The string a raw value holds ({@code "..."} with escapes or {@code '...'}), if it is one. */
  static Optional<String> string(String raw) {
    if (raw == null) {
      return Optional.empty();
    }
    String v = raw.strip();
    if (v.startsWith("'") && v.length() >= 2) {
      int end = v.indexOf('\'', 1);
      return end < 0 ? Optional.empty() : Optional.of(v.substring(1, end));
    }
    if (v.startsWith("\"")) {
      StringBuilder sb = new StringBuilder();
      for (int i = 1; i < v.length(); i++) {
        char c = v.charAt(i);
        if (c == '"') {
          return Optional.of(sb.toString());
        }
        if (c == '\\' && i + 1 < v.length()) {
          char n = v.charAt(++i);
          sb.append(switch (n) {
            case 'n' -> '\n';
            case 't' -> '\t';
            default -> n;
          });
        } else {
          sb.append(c);
        }
      }
    }
    return Optional.empty();
  }

  /** The strings of a one-line array value such as {@code ["a", 'b']}. */
  static List<String> strings(String raw) {
    List<String> out = new ArrayList<>();
    if (raw == null) {
      return out;
    }
    String v = raw.strip();
    int i = 0;
    while (i < v.length()) {
      char c = v.charAt(i);
      if (c == '"' || c == '\'') {
        Optional<String> s = string(v.substring(i));
        if (s.isEmpty()) {
          break;
        }
        out.add(s.get());
        i = endOfString(v, i) + 1;
      } else {
        i++;
      }
    }
    return out;
  }

  /** "true"/"false" values; anything else is empty. */
  static Optional<Boolean> bool(String raw) {
    if ("true".equals(raw)) {
      return Optional.of(true);
    }
    return "false".equals(raw) ? Optional.of(false) : Optional.empty();
  }

  static List<String> splitKey(String raw) {
    List<String> parts = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    int i = 0;
    String s = raw.strip();
    while (i < s.length()) {
      char c = s.charAt(i);
      if (c == '"' || c == '\'') {
        int end = endOfString(s, i);
        cur.append(string(s.substring(i, Math.min(s.length(), end + 1))).orElse(s.substring(i + 1)));
        i = end + 1;
      } else if (c == '.') {
        parts.add(cur.toString().strip());
        cur.setLength(0);
        i++;
      } else {
        if (!Character.isWhitespace(c)) {
          cur.append(c);
        }
        i++;
      }
    }
    parts.add(cur.toString().strip());
    return List.copyOf(parts);
  }

  private static List<String> splitLines(String text) {
    List<String> lines = new ArrayList<>(List.of(text.split("\n", -1)));
    if (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) {
      lines.remove(lines.size() - 1);
    }
    return lines;
  }

  private static int endOfString(String s, int start) {
    char q = s.charAt(start);
    for (int i = start + 1; i < s.length(); i++) {
      char c = s.charAt(i);
      if (q == '"' && c == '\\') {
        i++;
      } else if (c == q) {
        return i;
      }
    }
    return s.length() - 1;
  }

  private static int indexOutsideQuotes(String s, char wanted) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\'') {
        i = endOfString(s, i);
      } else if (c == wanted) {
        return i;
      }
    }
    return -1;
  }

  private static String stripComment(String value) {
    int hash = indexOutsideQuotes(value, '#');
    return hash < 0 ? value : value.substring(0, hash);
  }

  private static int bracketDelta(String value) {
    String v = stripComment(value);
    int d = 0;
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (c == '"' || c == '\'') {
        i = endOfString(v, i);
      } else if (c == '[') {
        d++;
      } else if (c == ']') {
        d--;
      }
    }
    return d;
  }
}
