package dev.registrycache.upstream;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A challenge from a {@code WWW-Authenticate} header: {@code Bearer realm="...",service="...",scope="..."}
 * or {@code Basic realm="..."}. A response may carry several headers, and one header several
 * challenges ({@code Basic realm="x", Bearer realm="y"}); {@link #parseAll} reads them all.
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

  /** The first challenge of one header value; null when there is none. */
  public static AuthChallenge parse(String header) {
    List<AuthChallenge> all = parseAll(header == null ? List.of() : List.of(header));
    return all.isEmpty() ? null : all.get(0);
  }

  /** Every challenge of every header value, in order. */
  public static List<AuthChallenge> parseAll(List<String> headers) {
    List<AuthChallenge> out = new ArrayList<>();
    for (String h : headers) {
      parseInto(h, out);
    }
    return out;
  }

  /** The one to answer: a Bearer challenge with a realm if there is one, else Basic, else null. */
  public static AuthChallenge preferred(List<AuthChallenge> challenges) {
    for (AuthChallenge c : challenges) {
      if (c.isBearer() && c.param("realm") != null) {
        return c;
      }
    }
    return challenges.stream().filter(AuthChallenge::isBasic).findFirst().orElse(null);
  }

  private static void parseInto(String h, List<AuthChallenge> out) {
    int i = 0;
    int n = h.length();
    Map<String, String> params = null;
    while (i < n) {
      while (i < n && (h.charAt(i) == ' ' || h.charAt(i) == ',' || h.charAt(i) == '\t')) {
        i++;
      }
      int start = i;
      while (i < n && h.charAt(i) != ' ' && h.charAt(i) != '=' && h.charAt(i) != ',' && h.charAt(i) != '\t') {
        i++;
      }
      if (start == i) {
        i++; // a stray '=': skip it
        continue;
      }
      String token = h.substring(start, i);
      int j = i;
      while (j < n && (h.charAt(j) == ' ' || h.charAt(j) == '\t')) {
        j++;
      }
      if (params != null && j < n && h.charAt(j) == '=') {
        j++;
        while (j < n && (h.charAt(j) == ' ' || h.charAt(j) == '\t')) {
          j++;
        }
        StringBuilder value = new StringBuilder();
        if (j < n && h.charAt(j) == '"') {
          j++;
          while (j < n && h.charAt(j) != '"') {
            if (h.charAt(j) == '\\' && j + 1 < n) {
              j++;
            }
            value.append(h.charAt(j++));
          }
          j++; // closing quote
        } else {
          while (j < n && h.charAt(j) != ',') {
            value.append(h.charAt(j++));
          }
        }
        params.put(token.toLowerCase(Locale.ROOT), value.toString().trim());
        i = j;
      } else {
        params = new LinkedHashMap<>();
        out.add(new AuthChallenge(token.toLowerCase(Locale.ROOT), params));
      }
    }
  }
}
