package dev.registrycache.metrics;

/** Asks the API server whether a bearer token may get {@code /metrics}: blocking I/O. */
@FunctionalInterface
public interface AccessReviewer {
  /**
   * @return {@link AccessDecision#ALLOWED}, {@link AccessDecision#UNAUTHENTICATED} or
   *     {@link AccessDecision#FORBIDDEN}
   * @throws RuntimeException when the API server cannot be asked
   */
  AccessDecision review(String token);
}
