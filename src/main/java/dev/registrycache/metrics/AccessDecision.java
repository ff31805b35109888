package dev.registrycache.metrics;

/** What the API server said about a bearer token asking for {@code GET /metrics}, and the HTTP answer to it. */
public enum AccessDecision {
  /** Authenticated, and allowed to get {@code /metrics}: 200. */
  ALLOWED(200),
  /** No token, or one the API server does not accept: 401. */
  UNAUTHENTICATED(401),
  /** A valid token whose user may not get {@code /metrics}: 403. */
  FORBIDDEN(403),
  /** The API server could not be asked (or too many reviews at once): 503, and not remembered. */
  UNAVAILABLE(503);

  private final int status;

  AccessDecision(int status) {
    this.status = status;
  }

  public int status() {
    return status;
  }
}
