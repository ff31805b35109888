package dev.registrycache.metrics;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link AccessReviewer}'s answers remembered briefly, as kubelet does for its own metrics: a
 * scrape every 15 s costs the API server one review per token and {@link #ALLOWED_TTL}, not one
 * per scrape. Bounded whatever callers send: at most {@link #MAX_ENTRIES} tokens remembered (by
 * their SHA-256, never the token itself), one review per token at a time however many requests
 * carry it, and at most {@link #MAX_REVIEWS_IN_FLIGHT} reviews at once, so that a stream of
 * made-up tokens cannot make this process a load generator for the API server (beyond that:
 * {@link AccessDecision#UNAVAILABLE}). A failed review is not remembered.
 */
public final class CachedAccessReviews {
  private static final Logger LOG = LoggerFactory.getLogger(CachedAccessReviews.class);
  /** How long an allowed token stays allowed (kubelet: 2 min for authentication). */
  public static final Duration ALLOWED_TTL = Duration.ofMinutes(2);
  /** How long a refused token stays refused (kubelet: 30 s for unauthorized). */
  public static final Duration DENIED_TTL = Duration.ofSeconds(30);
  static final int MAX_ENTRIES = 256;
  static final int MAX_REVIEWS_IN_FLIGHT = 4;

  private record Remembered(AccessDecision decision, long expiresNanos) {}

  private final AccessReviewer reviewer;
  private final Executor executor;
  private final LongSupplier nanos;
  private final Map<String, Remembered> remembered = new LinkedHashMap<>(64, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Remembered> eldest) {
      return size() > MAX_ENTRIES;
    }
  };
  private final ConcurrentHashMap<String, CompletableFuture<AccessDecision>> inFlight = new ConcurrentHashMap<>();
  private final AtomicLong reviews = new AtomicLong();

  /** @param executor runs the (blocking) reviews; {@code nanos} is the clock ({@link System#nanoTime}) */
  public CachedAccessReviews(AccessReviewer reviewer, Executor executor, LongSupplier nanos) {
    this.reviewer = reviewer;
    this.executor = executor;
    this.nanos = nanos;
  }

  public CachedAccessReviews(AccessReviewer reviewer, Executor executor) {
    this(reviewer, executor, System::nanoTime);
  }

  /** The decision for an {@code Authorization} header; completes on the executor, or at once when known. */
  public CompletableFuture<AccessDecision> check(String authorizationHeader) {
    String token = BearerToken.of(authorizationHeader).orElse(null);
    if (token == null) {
      return CompletableFuture.completedFuture(AccessDecision.UNAUTHENTICATED);
    }
    String key = sha256(token);
    long now = nanos.getAsLong();
    synchronized (remembered) {
      Remembered r = remembered.get(key);
      if (r != null && r.expiresNanos - now > 0) {
        return CompletableFuture.completedFuture(r.decision);
      }
    }
    CompletableFuture<AccessDecision> running = inFlight.get(key);
    if (running != null) {
      return running;
    }
    if (inFlight.size() >= MAX_REVIEWS_IN_FLIGHT) {
      return CompletableFuture.completedFuture(AccessDecision.UNAVAILABLE);
    }
    CompletableFuture<AccessDecision> mine = new CompletableFuture<>();
    running = inFlight.putIfAbsent(key, mine);
    if (running != null) {
      return running;
    }
    try {
      executor.execute(() -> review(key, token, mine));
    } catch (RuntimeException e) {
      inFlight.remove(key, mine);
      mine.complete(AccessDecision.UNAVAILABLE);
    }
    return mine;
  }

  private void review(String key, String token, CompletableFuture<AccessDecision> result) {
    AccessDecision d;
    try {
      reviews.incrementAndGet();
      d = reviewer.review(token);
      Duration ttl = d == AccessDecision.ALLOWED ? ALLOWED_TTL : DENIED_TTL;
      synchronized (remembered) {
        remembered.put(key, new Remembered(d, nanos.getAsLong() + ttl.toNanos()));
      }
    } catch (RuntimeException e) {
      // the exception may quote the request, never the token: the client does not log bodies
      LOG.warn("cannot review a metrics scraper's token with the API server: {}", e.getClass().getSimpleName()
          + (e.getMessage() == null ? "" : ": " + e.getMessage().lines().findFirst().orElse("")));
      d = AccessDecision.UNAVAILABLE;
    } finally {
      inFlight.remove(key, result);
    }
    result.complete(d);
  }

  /** Reviews asked of the API server so far. */
  public long reviews() {
    return reviews.get();
  }

  private static String sha256(String token) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(token.getBytes(StandardCharsets.US_ASCII)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
