package dev.registrycache.operator;

/** A RegistryCache that cannot be put in place as it is: reported in its status, with the reason. */
public final class InvalidSpecException extends RuntimeException {
  private final String reason;

  public InvalidSpecException(String reason, String message) {
    super(message);
    this.reason = reason;
  }

  public String reason() {
    return reason;
  }
}
