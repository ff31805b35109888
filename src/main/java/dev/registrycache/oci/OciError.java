package dev.registrycache.oci;

/**
 * An error answer: code, HTTP status and message, rendered as the spec's JSON body
 * {@code {"errors":[{"code":"...","message":"..."}]}}.
 */
public record OciError(ErrorCode code, int status, String message) {

  public OciError(ErrorCode code, String message) {
    this(code, code.status(), message);
  }

  public byte[] toJson() {
    return JsonBodies.error(code, message);
  }
}
