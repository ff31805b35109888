package dev.registrycache.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Reviews remembered for their TTL, one per token at a time, a bounded number at once. */
class CachedAccessReviewsTest {
  private final AtomicLong clock = new AtomicLong();
  private final AtomicInteger asked = new AtomicInteger();

  @Test
  void answersAreRememberedForTheirTtlOnly() throws Exception {
    CachedAccessReviews reviews = new CachedAccessReviews(t -> {
      asked.incrementAndGet();
      return t.equals("good") ? AccessDecision.ALLOWED : AccessDecision.FORBIDDEN;
    }, Runnable::run, clock::get);
    assertEquals(AccessDecision.ALLOWED, reviews.check("Bearer good").get());
    assertEquals(AccessDecision.FORBIDDEN, reviews.check("Bearer bad").get());
    clock.addAndGet(CachedAccessReviews.DENIED_TTL.toNanos() - 1);
    assertEquals(AccessDecision.ALLOWED, reviews.check("Bearer good").get());
    assertEquals(AccessDecision.FORBIDDEN, reviews.check("Bearer bad").get());
    assertEquals(2, asked.get(), "both remembered");
    clock.addAndGet(2);
    assertEquals(AccessDecision.FORBIDDEN, reviews.check("Bearer bad").get());
    assertEquals(3, asked.get(), "a refusal is asked again after " + CachedAccessReviews.DENIED_TTL);
    clock.addAndGet(CachedAccessReviews.ALLOWED_TTL.toNanos());
    assertEquals(AccessDecision.ALLOWED, reviews.check("Bearer good").get());
    assertEquals(4, asked.get(), "and an allowed token after " + CachedAccessReviews.ALLOWED_TTL);
    assertEquals(AccessDecision.UNAUTHENTICATED, reviews.check(null).get());
    assertEquals(AccessDecision.UNAUTHENTICATED, reviews.check("Basic dTpw").get());
    assertEquals(4, asked.get(), "no token, no review");
  }

  @Test
  void madeUpTokensCannotFloodTheApiServer() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    ExecutorService pool = Executors.newCachedThreadPool();
    try {
      CachedAccessReviews reviews = new CachedAccessReviews(t -> {
        asked.incrementAndGet();
        try {
          release.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return AccessDecision.UNAUTHENTICATED;
      }, pool, clock::get);
      CompletableFuture<?>[] pending = new CompletableFuture<?>[CachedAccessReviews.MAX_REVIEWS_IN_FLIGHT];
      for (int i = 0; i < pending.length; i++) {
        pending[i] = reviews.check("Bearer t" + i);
      }
      CompletableFuture<AccessDecision> same = reviews.check("Bearer t0");
      assertEquals(AccessDecision.UNAVAILABLE, reviews.check("Bearer one-too-many").get(1, TimeUnit.SECONDS));
      release.countDown();
      CompletableFuture.allOf(pending).get(10, TimeUnit.SECONDS);
      assertEquals(AccessDecision.UNAUTHENTICATED, same.get(10, TimeUnit.SECONDS));
      assertEquals(CachedAccessReviews.MAX_REVIEWS_IN_FLIGHT, asked.get(), "one review per token at a time");
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void bearerTokensAreParsedStrictly() {
    assertEquals(Optional.of("abc.def"), BearerToken.of("Bearer abc.def"));
    assertEquals(Optional.of("abc"), BearerToken.of("bearer  abc "));
    assertEquals(Optional.empty(), BearerToken.of("Bearer "));
    assertEquals(Optional.empty(), BearerToken.of("Bearer a b"));
    assertEquals(Optional.empty(), BearerToken.of("Token abc"));
    assertEquals(Optional.empty(), BearerToken.of("Bearer " + "x".repeat(BearerToken.MAX_LENGTH + 1)));
  }
}
