package dev.registrycache.it;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * How {@link FakeUpstream} answers one path: the content registered there sent normally, slowly,
 * broken off, stalled or corrupted, or replaced by an error status or a redirect.
 */
@FunctionalInterface
interface UpstreamBehavior {
  /** Longest a gated or stalled answer waits before it gives up (tests never wait this long). */
  Duration MAX_HOLD = Duration.ofSeconds(30);

  void respond(Reply reply) throws IOException, InterruptedException;

  /**
   * One answer in progress. {@code body} is null when nothing is registered at the path;
   * {@code closing} opens when the fake upstream shuts down, releasing held answers.
   */
  record Reply(HttpExchange exchange, byte[] body, String contentType, String digest,
      boolean head, CountDownLatch closing) {

    void headers(int status, long length) throws IOException {
      if (contentType != null) {
        exchange.getResponseHeaders().set("Content-Type", contentType);
      }
      if (digest != null) {
        exchange.getResponseHeaders().set("Docker-Content-Digest", digest);
      }
      if (head) {
        exchange.getResponseHeaders().set("Content-Length", Long.toString(length));
        exchange.sendResponseHeaders(status, -1);
      } else {
        exchange.sendResponseHeaders(status, length == 0 ? -1 : length);
      }
    }

    void write(byte[] bytes, int from, int to) throws IOException {
      OutputStream out = exchange.getResponseBody();
      out.write(bytes, from, to - from);
      out.flush();
    }

    void error(int status, String code) throws IOException {
      byte[] json = ("{\"errors\":[{\"code\":\"" + code + "\",\"message\":\"fake upstream says "
          + status + "\"}]}").getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      if (head) {
        exchange.sendResponseHeaders(status, -1);
      } else {
        exchange.sendResponseHeaders(status, json.length);
        write(json, 0, json.length);
      }
    }

    boolean notFound() throws IOException {
      if (body == null) {
        error(404, "BLOB_UNKNOWN");
        return true;
      }
      return false;
    }

    /** Breaks the connection: the server closes it when a handler throws. */
    IOException brokenOff(String why) {
      return new IOException("fake upstream: " + why);
    }
  }

  /** The registered content, all at once. */
  UpstreamBehavior NORMAL = r -> {
    if (r.notFound()) {
      return;
    }
    r.headers(200, r.body().length);
    if (!r.head()) {
      r.write(r.body(), 0, r.body().length);
    }
  };

  /**
   * As distribution answers blobs: {@code Range: bytes=N-} gets 206 with the bytes from N on,
   * anything else the whole body.
   */
  UpstreamBehavior RANGED = r -> {
    if (r.notFound()) {
      return;
    }
    String range = r.exchange().getRequestHeaders().getFirst("Range");
    if (range == null || !range.matches("bytes=[0-9]+-")) {
      NORMAL.respond(r);
      return;
    }
    int from = Integer.parseInt(range.substring(6, range.length() - 1));
    r.exchange().getResponseHeaders().set("Content-Range", "bytes " + from + "-" + (r.body().length - 1) + "/"
        + r.body().length);
    r.headers(206, r.body().length - from);
    if (!r.head()) {
      r.write(r.body(), from, r.body().length);
    }
  };

  /** The registered content in {@code chunk}-byte pieces with a pause after each. */
  static UpstreamBehavior throttled(int chunk, Duration pause) {
    return r -> {
      if (r.notFound()) {
        return;
      }
      r.headers(200, r.body().length);
      if (r.head()) {
        return;
      }
      for (int at = 0; at < r.body().length; at += chunk) {
        r.write(r.body(), at, Math.min(r.body().length, at + chunk));
        Thread.sleep(pause.toMillis());
      }
    };
  }

  /**
   * The first half, then {@code halfSent} opens and the rest waits for {@code proceed}: a test
   * can observe what clients received while upstream has not finished.
   */
  static UpstreamBehavior gated(CountDownLatch halfSent, CountDownLatch proceed) {
    return r -> {
      if (r.notFound()) {
        return;
      }
      r.headers(200, r.body().length);
      if (r.head()) {
        return;
      }
      int half = r.body().length / 2;
      r.write(r.body(), 0, half);
      halfSent.countDown();
      if (!proceed.await(MAX_HOLD.toMillis(), TimeUnit.MILLISECONDS)) {
        throw r.brokenOff("gate never opened");
      }
      r.write(r.body(), half, r.body().length);
    };
  }

  /** Announces the full Content-Length, sends half of it and closes the connection. */
  UpstreamBehavior FAIL_MID_BODY = r -> {
    if (r.notFound()) {
      return;
    }
    r.headers(200, r.body().length);
    if (!r.head()) {
      r.write(r.body(), 0, r.body().length / 2);
      throw r.brokenOff("failing mid-body");
    }
  };

  /** Sends half the body, then nothing at all (until the fake upstream shuts down). */
  UpstreamBehavior STALL = stallAfter(2);

  /**
   * Sends the headers and {@code 1/divisor} of the body (nothing when {@code divisor} is 0),
   * then nothing at all (until the fake upstream shuts down).
   */
  static UpstreamBehavior stallAfter(int divisor) {
    return r -> {
      if (r.notFound()) {
        return;
      }
      r.headers(200, r.body().length);
      if (!r.head()) {
        if (divisor > 0) {
          r.write(r.body(), 0, r.body().length / divisor);
        }
        r.closing().await(MAX_HOLD.toMillis(), TimeUnit.MILLISECONDS);
        throw r.brokenOff("stalled");
      }
    };
  }

  /**
   * Accepts the request and sends nothing, not even a status line (until the fake upstream
   * shuts down): an upstream stuck before its first byte.
   */
  UpstreamBehavior SILENT = r -> {
    r.closing().await(MAX_HOLD.toMillis(), TimeUnit.MILLISECONDS);
    throw r.brokenOff("silent");
  };

  /** As many bytes as the real content, but the first one is different. */
  UpstreamBehavior WRONG_CONTENT = r -> {
    if (r.notFound()) {
      return;
    }
    byte[] wrong = r.body().clone();
    wrong[0] ^= 0x5a;
    r.headers(200, wrong.length);
    if (!r.head()) {
      r.write(wrong, 0, wrong.length);
    }
  };

  /** An error status with an OCI error body (and {@code Retry-After} for 429). */
  static UpstreamBehavior status(int status) {
    return r -> {
      if (status == 429) {
        r.exchange().getResponseHeaders().set("Retry-After", "60");
      }
      r.error(status, status == 429 ? "TOOMANYREQUESTS" : status == 404 ? "NAME_UNKNOWN" : "UNAVAILABLE");
    };
  }

  /** A {@code 307 Temporary Redirect} to {@code location}, as registries do for blob storage. */
  static UpstreamBehavior redirect(String location) {
    return r -> {
      r.exchange().getResponseHeaders().set("Location", location);
      r.exchange().sendResponseHeaders(307, -1);
    };
  }
}
