package dev.registrycache.store;

import java.io.IOException;

/** A stored blob's file is not its blob: the wrong length ({@code size}) or content ({@code digest}). */
public class CorruptBlobException extends IOException {
  private final String reason;

  public CorruptBlobException(String reason, String message) {
    super(message);
    this.reason = reason;
  }

  /** {@code size} or {@code digest}: the metric's reason. */
  public String reason() {
    return reason;
  }
}
