package dev.registrycache.upstream;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A parsed {@code WWW-Authenticate} header: {@code Bearer realm="...",service="...",scope="..."}
 * or {@code Basic realm="..."}. Only the first challenge of the header is used.
 */
public record AuthChallenge(String scheme, Map<String, String> params) {

  public boolean isBearer() {
    return scheme.equals("bearer");
  }

  public boolean isBasic() {
    return scheme.equals("basic");
  }

  public String param(String name) {
    return params.get(name);
  }

  /** Returns null when the header is missing or unparseable. */
  public static AuthChallenge parse(String header) {
    if (header == null) {
      return null;
    }
    String h = header.trim();
    int sp = h.indexOf(' ');
    String scheme = (sp < 0 ? h : h.substring(0, sp)).toLowerCase(Locale.ROOT);
    if (scheme.isEmpty()) {
      return null;
    }
    Map<String, String> params = new LinkedHashMap<>();
    int i = sp < 0 ? h.length() : sp + 1;
    while (i < h.length()) {
      while (i < h.length() && (h.charAt(i) == ' ' || h.charAt(i) == ',')) {
        i++;
      }
      int eq = h.indexOf('=', i);
      if (eq < 0) {
        break;
      }
      String key = h.substring(i, eq).trim().toLowerCase(Locale.ROOT);
      if (key.contains(" ")) {
        break; // the start of a second challenge: ignore it
      }
      int j = eq + 1;
      String value;
      if (j < h.length() && h.charAt(j) == '"') {
        StringBuilder sb = new StringBuilder();
        j++;
        while (j < h.length() && h.charAt(j) != '"') {
          if (h.charAt(j) == '\\' && j + 1 < h.length()) {
            j++;
          }
          sb.append(h.charAt(j++));
        }
        value = sb.toString();
        j++; // closing quote
      } else {
        int end = h.indexOf(',', j);
        end = end < 0 ? h.length() : end;
        value = h.substring(j, end).trim();
        j = end;
      }
      params.put(key, value);
      i = j;
    }
    return new AuthChallenge(scheme, params);
  }
}
