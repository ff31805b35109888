package dev.registrycache.store;

import java.io.IOException;

/** The bytes received do not hash to the digest they were requested by. */
public class DigestMismatchException extends IOException {
  public DigestMismatchException(String message) {
    super(message);
  }
}
