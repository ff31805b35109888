package dev.registrycache.oci;

import java.util.regex.Pattern;

/** Validation of repository names, tags and references against the distribution spec's grammar. */
public final class RepositoryName {
  private static final Pattern NAME = Pattern.compile(
      "[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*)*");
  /** The spec's limit on the length of a name including a registry host. */
  public static final int MAX_LENGTH = 255;

  private RepositoryName() {}

  public static boolean isValid(String name) {
    return name.length() <= MAX_LENGTH && matchesName(name);
  }

  public static boolean isValidTag(String tag) {
    int n = tag.length();
    if (n == 0 || n > 128) {
      return false;
    }
    for (int i = 0; i < n; i++) {
      char c = tag.charAt(i);
      boolean ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
          || i > 0 && (c == '.' || c == '-');
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /**
   * The spec's name grammar without a regex (this runs on every request): components of
   * {@code [a-z0-9]+} joined by {@code .}, {@code _}, {@code __} or {@code -+}, separated by {@code /}.
   */
  static boolean matchesName(String s) {
    int n = s.length();
    boolean needAlnum = true; // at the start, after '/' and after a separator
    int i = 0;
    while (i < n) {
      char c = s.charAt(i);
      if (c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
        needAlnum = false;
        i++;
        continue;
      }
      if (needAlnum) {
        return false;
      }
      if (c == '/' || c == '.') {
        i++;
      } else if (c == '_') {
        i += i + 1 < n && s.charAt(i + 1) == '_' ? 2 : 1;
      } else if (c == '-') {
        while (i < n && s.charAt(i) == '-') {
          i++;
        }
      } else {
        return false;
      }
      needAlnum = true;
    }
    return !needAlnum;
  }

  /** The regex form of the grammar, kept to test {@link #matchesName} against. */
  static boolean matchesNameRegex(String s) {
    return NAME.matcher(s).matches();
  }

  /** Docker Hub's single-component names live under {@code library/}. */
  public static String normalizeDockerHub(String repository) {
    return repository.indexOf('/') < 0 ? "library/" + repository : repository;
  }
}
