package dev.registrycache.concurrent;

import java.util.concurrent.CompletionException;

/** The failure behind a future's {@link CompletionException}. */
public final class Failures {
  private Failures() {}

  /** {@code t}'s cause when {@code t} is a {@link CompletionException} that has one, else {@code t}. */
  public static Throwable unwrap(Throwable t) {
    return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
  }
}
