package dev.registrycache.store;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the storage takes writes, as the last write (or write probe) found: every failed write
 * is counted by what went wrong, and the state shown on {@code /status} and {@code /readyz}. A
 * store that takes no writes still serves what it holds; what it cannot store is passed through.
 * The log says when writes start failing (then at most once a minute) and when they work again.
 */
public final class StorageHealth {
  private static final Logger LOG = LoggerFactory.getLogger(StorageHealth.class);
  private static final long REPORT_NANOS = TimeUnit.MINUTES.toNanos(1);

  /** What a failed write ran into; {@link #label()} is the metric's reason. */
  public enum Problem {
    NO_SPACE("no-space", "no space left on the file system"),
    READ_ONLY("read-only", "read-only file system"),
    MISSING("missing", "a storage directory is missing"),
    PERMISSION("permission", "permission denied"),
    IO_ERROR("io-error", "I/O error");

    private final String label;
    private final String words;

    Problem(String label, String words) {
      this.label = label;
      this.words = words;
    }

    public String label() {
      return label;
    }
  }

  /** The failure that made the storage unwritable, and since when. */
  private record Failure(Problem problem, String what, Instant since) {}

  private final Map<Problem, AtomicLong> failures = new EnumMap<>(Problem.class);
  private volatile Failure failure;
  private final AtomicLong lastReport = new AtomicLong(System.nanoTime() - REPORT_NANOS);

  public StorageHealth() {
    for (Problem p : Problem.values()) {
      failures.put(p, new AtomicLong());
    }
  }

  /** What an I/O error while writing means for the storage. */
  public static Problem classify(IOException e) {
    String m = e instanceof FileSystemException fse && fse.getReason() != null ? fse.getReason() : e.getMessage();
    String text = m == null ? "" : m.toLowerCase(Locale.ROOT);
    if (text.contains("no space left") || text.contains("quota exceeded")) {
      return Problem.NO_SPACE;
    }
    if (text.contains("read-only file system")) {
      return Problem.READ_ONLY;
    }
    if (e instanceof NoSuchFileException) {
      return Problem.MISSING;
    }
    if (e instanceof AccessDeniedException || text.contains("permission denied")) {
      return Problem.PERMISSION;
    }
    return Problem.IO_ERROR;
  }

  /**
   * A write failed: counted, and the storage marked unwritable until a write succeeds.
   *
   * @param what what was being written, for the log and {@code /status}
   * @return what went wrong
   */
  public Problem failed(String what, IOException e) {
    Problem p = classify(e);
    failures.get(p).incrementAndGet();
    Failure before = failure;
    if (before == null || before.problem() != p) {
      failure = new Failure(p, what, Instant.now());
    }
    long last = lastReport.get();
    long now = System.nanoTime();
    if ((before == null || now - last >= REPORT_NANOS) && lastReport.compareAndSet(last, now)) {
      LOG.warn("storage cannot be written ({}): {} failed: {}; serving what is stored, passing the rest through"
          + " without storing it", p.words, what, e.getMessage());
    }
    return p;
  }

  /** A write worked: the storage takes writes (again). */
  public void succeeded() {
    Failure before = failure;
    if (before != null) {
      failure = null;
      LOG.info("storage takes writes again (it had failed since {}: {})", before.since(), before.problem().words);
    }
  }

  public boolean writable() {
    return failure == null;
  }

  /** Failed writes for {@code p} so far (a counter). */
  public long failures(Problem p) {
    return failures.get(p).get();
  }

  /** One line for {@code /status}: empty while writable. */
  public String problem() {
    Failure f = failure;
    return f == null ? "" : "storage not writable since " + f.since() + ": " + f.problem().words + " (" + f.what()
        + "); serving what is stored, passing the rest through without storing it";
  }
}
