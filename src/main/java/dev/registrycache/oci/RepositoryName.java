package dev.registrycache.oci;

import java.util.regex.Pattern;

/** Validation of repository names, tags and references against the distribution spec's grammar. */
public final class RepositoryName {
  private static final Pattern NAME = Pattern.compile(
      "[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*)*");
  private static final Pattern TAG = Pattern.compile("[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}");
  /** The spec's limit on the length of a name including a registry host. */
  public static final int MAX_LENGTH = 255;

  private RepositoryName() {}

  public static boolean isValid(String name) {
    return name.length() <= MAX_LENGTH && NAME.matcher(name).matches();
  }

  public static boolean isValidTag(String tag) {
    return TAG.matcher(tag).matches();
  }

  /** Docker Hub's single-component names live under {@code library/}. */
  public static String normalizeDockerHub(String repository) {
    return repository.indexOf('/') < 0 ? "library/" + repository : repository;
  }
}
