package dev.registrycache.oci;

import java.nio.charset.StandardCharsets;

/**
 * An error answer: code, HTTP status and message, rendered as the spec's JSON body
 * {@code {"errors":[{"code":"...","message":"...","detail":...}]}}.
 */
public record OciError(ErrorCode code, int status, String message) {

  public OciError(ErrorCode code, String message) {
    this(code, code.status(), message);
  }

  public byte[] toJson() {
    StringBuilder sb = new StringBuilder(64 + message.length());
    sb.append("{\"errors\":[{\"code\":\"").append(code.name()).append("\",\"message\":\"");
    Json.appendEscaped(sb, message);
    sb.append("\"}]}\n");
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }
}
