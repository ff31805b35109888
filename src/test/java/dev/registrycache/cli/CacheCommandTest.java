package dev.registrycache.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class CacheCommandTest {
  /** A re-apply running when SIGTERM comes is waited for; none starts after (restore then holds). */
  @Test
  void noReapplyRunsOnceStopped() throws Exception {
    ScheduledExecutorService s = Executors.newSingleThreadScheduledExecutor();
    AtomicInteger runs = new AtomicInteger();
    AtomicInteger running = new AtomicInteger();
    s.scheduleWithFixedDelay(() -> {
      running.incrementAndGet();
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      runs.incrementAndGet();
      running.decrementAndGet();
    }, 0, 10, TimeUnit.MILLISECONDS);
    Thread.sleep(100);
    CacheCommand.stopReapplying(s);
    assertTrue(s.isTerminated());
    assertEquals(0, running.get(), "the running re-apply finished before restore");
    int after = runs.get();
    Thread.sleep(300);
    assertEquals(after, runs.get(), "nothing re-applied after stopping");
  }
}
