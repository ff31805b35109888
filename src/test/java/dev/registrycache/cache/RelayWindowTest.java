package dev.registrycache.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registrycache.upstream.Transfer;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** The memory a relayed blob holds: bounded by its slowest reader, never by its upstream. */
class RelayWindowTest {
  private static final int CHUNK = 64 * 1024;

  private static ByteBuffer chunk(int fill) {
    byte[] b = new byte[CHUNK];
    java.util.Arrays.fill(b, (byte) fill);
    return ByteBuffer.wrap(b);
  }

  @Test
  void upstreamPausesWhenTheSlowestReaderIsAWindowBehindAndResumesAtHalf() {
    RelayWindow w = new RelayWindow(0, Transfer.NONE);
    Object slow = new Object();
    Object fast = new Object();
    w.at(slow, 0);
    w.at(fast, 0);
    int chunks = (int) (RelayWindow.MAX_BYTES / CHUNK);
    for (int i = 0; i < chunks - 1; i++) {
      w.append(chunk(i));
      assertEquals(0, w.pausedNanos(System.nanoTime()), "chunk " + i);
      w.at(fast, (long) (i + 1) * CHUNK); // the fast one keeps up
    }
    w.append(chunk(99));
    assertTrue(w.pausedNanos(System.nanoTime() + 1) > 0, "a window behind the slow one: paused");
    assertSame(slow, w.slowestReader());
    assertFalse(w.at(slow, RelayWindow.MAX_BYTES / 4), "a quarter taken: not yet");
    assertFalse(w.holdsAll(), "what everyone has is let go");
    assertTrue(w.at(slow, RelayWindow.MAX_BYTES / 2), "half taken: resume");
    assertEquals(0, w.pausedNanos(System.nanoTime()));
  }

  @Test
  void readsComeFromTheChunkHoldingThePositionAndAreReadOnlyViews() {
    RelayWindow w = new RelayWindow(1000, Transfer.NONE);
    Object r = new Object();
    w.at(r, 0); // still reading the file: counts as at the window's base
    w.append(chunk(1));
    w.append(chunk(2));
    ByteBuffer b = w.read(1000 + CHUNK - 10, 100);
    assertEquals(10, b.remaining(), "up to the end of its chunk");
    assertTrue(b.isReadOnly());
    assertEquals(1, b.get());
    assertEquals(2, w.read(1000 + CHUNK, 1).get());
    assertNull(w.read(999, 10), "before the base: the file's");
    assertTrue(w.holdsAll());
  }

  @Test
  void aReaderThatLeavesNoLongerHoldsTheWindow() {
    RelayWindow w = new RelayWindow(0, Transfer.NONE);
    Object gone = new Object();
    w.at(gone, 0);
    for (int i = 0; i * (long) CHUNK < RelayWindow.MAX_BYTES; i++) {
      w.append(chunk(i));
    }
    assertTrue(w.leave(gone), "nobody left to wait for: resume");
    assertEquals(0, w.readers());
    assertNull(w.read(0, 1), "and nothing is kept for nobody");
  }

  /**
   * The window fills on the download's thread while the one reader takes half of it on its own:
   * whichever way the two interleave, upstream ends up reading again (a pause that lands after
   * the resume would leave the download stalled with room to spare).
   */
  @Test
  void aReaderFreeingTheWindowWhileItFillsNeverLeavesUpstreamPaused() throws Exception {
    Object reader = new Object();
    RelayWindow[] w = new RelayWindow[1];
    java.util.concurrent.atomic.AtomicBoolean paused = new java.util.concurrent.atomic.AtomicBoolean();
    java.util.concurrent.ExecutorService other = java.util.concurrent.Executors.newSingleThreadExecutor();
    try {
      Transfer upstream = new Transfer() {
        @Override
        public void cancel() {
        }

        @Override
        public void pause() {
          // the reader catches up right as the pause is on its way
          java.util.concurrent.Future<?> f = other.submit(() -> w[0].at(reader, RelayWindow.MAX_BYTES));
          try {
            f.get(300, java.util.concurrent.TimeUnit.MILLISECONDS);
          } catch (java.util.concurrent.TimeoutException waitsForTheLock) {
            // it runs once the pause is in
          } catch (Exception e) {
            throw new AssertionError(e);
          }
          paused.set(true);
        }

        @Override
        public void resume() {
          paused.set(false);
        }
      };
      w[0] = new RelayWindow(0, upstream);
      w[0].at(reader, 0);
      for (int i = 0; i < RelayWindow.MAX_BYTES / CHUNK; i++) {
        w[0].append(chunk(i));
      }
      other.submit(() -> { }).get(5, java.util.concurrent.TimeUnit.SECONDS); // the reader's move is done
      assertEquals(0, w[0].pausedNanos(System.nanoTime()), "the window has room again");
      assertFalse(paused.get(), "and upstream was told to read on last");
    } finally {
      other.shutdownNow();
    }
  }
}
