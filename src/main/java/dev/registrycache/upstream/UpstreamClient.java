package dev.registrycache.upstream;

import dev.registrycache.concurrent.Failures;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.registrycache.config.CacheConfig;
import dev.registrycache.config.RegistryConfig;
import dev.registrycache.config.UpstreamProxy;
import dev.registrycache.metrics.CacheMetrics;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.ResponseInfo;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * Talks to upstream registries: anonymous and credentialed Bearer-token flows (tokens cached
 * per scope), Basic auth, redirects to blob storage (the registry's {@code Authorization} is
 * never sent to another host), bounded connect and response timeouts. Every request travels on
 * the cache's event loops ({@link UpstreamTransports}): blob bodies in pooled direct buffers
 * straight to their sink ({@link #stream}), small answers into memory up to a limit ({@link #fetch}).
 */
public final class UpstreamClient implements AutoCloseable {
  private static final int MAX_REDIRECTS = 5;
  /** A token answer is a few KiB of JSON; more is not read. */
  static final int MAX_TOKEN_ANSWER_BYTES = 1024 * 1024;
  private static final String USER_AGENT = "registry-cache/0.1";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(UpstreamClient.class);

  private final UpstreamTransports transports;
  private final Duration responseTimeout;
  private final TokenCache tokens = new TokenCache(Clock.systemUTC());
  /**
   * Registries that answered with a Basic challenge: we send credentials up front next time (see
   * {@link #basicKey}).
   */
  private final ConcurrentHashMap<String, Boolean> basicRegistries = new ConcurrentHashMap<>();
  private final CacheMetrics metrics;
  /** Null when every request goes direct. */
  private final UpstreamProxySelector proxies;

  /**
   * A small answer (manifests, tag lists) held in memory; the body is empty for HEAD, for
   * answers other than 2xx, and when upstream announced or sent more than the caller's limit
   * ({@code tooLarge}: nothing past the limit was read).
   */
  public record Response(int status, HttpHeaders headers, byte[] body, URI uri, boolean tooLarge) {
    public String header(String name) {
      return headers.firstValue(name).orElse(null);
    }
  }

  /**
   * @param executor runs the JDK client's work, name lookups and the continuations of every
   *     exchange (redirect checks resolve names, credentials are read from files)
   * @param loops the cache's event loops, which carry blob downloads
   */
  public UpstreamClient(CacheConfig config, CacheMetrics metrics, ExecutorService executor, EventLoopGroup loops,
      Class<? extends SocketChannel> socketType) {
    UpstreamProxy proxy = config.upstreamProxy() == null ? UpstreamProxy.NONE : config.upstreamProxy();
    this.proxies = proxy.isNone() ? null : new UpstreamProxySelector(proxy);
    this.transports = new UpstreamTransports(config, executor, loops, socketType, proxies);
    this.responseTimeout = config.responseTimeout();
    this.metrics = metrics;
  }

  /** Closes the kept upstream connections. */
  @Override
  public void close() {
    transports.close();
  }

  /**
   * Sends one request; a connection, proxy or TLS failure, or a proxy asking for credentials,
   * becomes an {@link UpstreamException} naming the host or the proxy.
   */
  private CompletableFuture<HttpResponse<Void>> send(RegistryConfig reg, HttpRequest request,
      Function<ResponseInfo, BodySink> onSuccess) {
    return described(reg, request.uri(), transports.stream(reg, request, onSuccess));
  }

  private CompletableFuture<HttpResponse<Void>> described(RegistryConfig reg, URI uri,
      CompletableFuture<HttpResponse<Void>> sent) {
    java.net.Proxy proxy = proxies == null ? null : proxies.proxyFor(uri);
    return sent
        .exceptionallyCompose(e -> CompletableFuture.failedFuture(TransportFailures.describe(reg.name(), uri, proxy, e)))
        .thenCompose(r -> r.statusCode() == 407 && proxy != null
            ? CompletableFuture.failedFuture(TransportFailures.proxyWantsCredentials(reg.name(), proxy))
            : CompletableFuture.completedFuture(r));
  }

  /**
   * GET or HEAD with the whole (small) body in memory, at most {@code maxBytes} of it (see
   * {@link Response#tooLarge()}); non-2xx answers are returned, not thrown.
   */
  public CompletableFuture<Response> fetch(RegistryConfig reg, String repository, String path,
      String accept, boolean head, int maxBytes) {
    // one sink per request sent; the answer that ends the exchange is the last one's
    AtomicReference<BytesSink> last = new AtomicReference<>();
    Sender collect = request -> {
      BytesSink sink = new BytesSink(maxBytes, responseTimeout);
      last.set(sink);
      return send(reg, request, sink::forAnswer);
    };
    return measured(reg, repository, path, head ? "HEAD" : "GET", accept, collect).thenApply(r -> {
      BytesSink body = last.get();
      return new Response(r.statusCode(), r.headers(), body.bytes(), r.uri(), body.tooLarge());
    });
  }

  /**
   * GET whose 2xx body goes to the sink made by {@code onSuccess}, on the cache's event loops
   * (see {@link BodySink}). The result completes when the body has ended or broken off; other
   * answers arrive without a body.
   */
  public CompletableFuture<HttpResponse<Void>> stream(RegistryConfig reg, String repository,
      String path, String accept, Function<ResponseInfo, BodySink> onSuccess) {
    return stream(reg, repository, path, accept, null, onSuccess);
  }

  /**
   * {@link #stream} asking for part of the body: {@code range} is a {@code Range} header value such
   * as {@code bytes=1048576-} (sent on every request of the exchange, redirects included), or null.
   * An upstream may ignore it and send the whole body with 200; 206 means it sent the part.
   */
  public CompletableFuture<HttpResponse<Void>> stream(RegistryConfig reg, String repository,
      String path, String accept, String range, Function<ResponseInfo, BodySink> onSuccess) {
    return measured(reg, repository, path, "GET", accept, request -> send(reg, range == null ? request
        : HttpRequest.newBuilder(request, (name, value) -> true).header("Range", range).build(), onSuccess));
  }

  /**
   * One exchange from its first request to its final answer (redirects and challenges
   * followed), timed and counted; any failure ends up as an {@link UpstreamException}.
   */
  private CompletableFuture<HttpResponse<Void>> measured(RegistryConfig reg, String repository, String path,
      String method, String accept, Sender sender) {
    long t0 = System.nanoTime();
    return start(() -> exchange(reg, repository, reg.baseUri().resolve(path), method, accept, sender, 0, null))
        .thenApply(r -> {
          metrics.upstreamRequest(reg.name(), r.statusCode(), System.nanoTime() - t0);
          return r;
        })
        .exceptionallyCompose(e -> failed(reg, e, t0));
  }

  /** Whatever goes wrong while a request is being started ends up in the future, not thrown. */
  private static <T> CompletableFuture<T> start(java.util.function.Supplier<CompletableFuture<T>> request) {
    try {
      return request.get();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private <T> CompletableFuture<T> failed(RegistryConfig reg, Throwable e, long t0) {
    Throwable cause = Failures.unwrap(e);
    // transport failures were described where the request was sent (send), knowing its host
    UpstreamException ue = cause instanceof UpstreamException u ? u
        : new UpstreamException(0, reg.name() + ": " + describe(cause), cause);
    metrics.upstreamError(reg.name(), ue.status() != 0 ? String.valueOf(ue.status())
        : TransportFailures.isTls(ue) ? "tls" : ue.transportReason());
    metrics.upstreamRequest(reg.name(), ue.status(), System.nanoTime() - t0);
    return CompletableFuture.failedFuture(ue);
  }

  /**
   * A failure that is not the transport's (those were described where the request was sent): an
   * I/O error while receiving says what it says; anything else is a bug, logged in full under an
   * id, and the answer carries only the id.
   */
  private static String describe(Throwable t) {
    if (t instanceof IOException && t.getMessage() != null) {
      return "transfer failed: " + t.getMessage();
    }
    String id = dev.registrycache.oci.OciError.newIncidentId();
    LOG.error("internal error {} in an upstream request", id, t);
    return "internal error " + id;
  }

  private static String scopeFor(String repository) {
    return repository == null ? null : "repository:" + repository + ":pull";
  }

  /** Sends one request, without following redirects or answering challenges. */
  private interface Sender {
    CompletableFuture<HttpResponse<Void>> send(HttpRequest request);
  }

  private CompletableFuture<HttpResponse<Void>> exchange(RegistryConfig reg, String repository,
      URI uri, String method, String accept, Sender sender, int hops, String forcedAuth) {
    boolean sameHost = sameOrigin(uri, reg.baseUri());
    HttpRequest.Builder b = HttpRequest.newBuilder(uri)
        .method(method, HttpRequest.BodyPublishers.noBody())
        .timeout(responseTimeout)
        .header("User-Agent", USER_AGENT);
    if (accept != null) {
      b.header("Accept", accept);
    }
    String auth = null;
    if (sameHost) {
      auth = forcedAuth != null ? forcedAuth : cachedAuthorization(reg, repository);
    } else {
      // another host (reached by a redirect) only ever gets a token it issued itself
      auth = forcedAuth != null ? forcedAuth : tokenFor(foreignKey(uri), scopeFor(repository));
    }
    if (auth != null) {
      b.header("Authorization", auth);
    }
    final String sentAuth = auth;
    return sender.send(b.build()).thenCompose(r -> {
      noteRateLimit(reg, r.headers());
      int s = r.statusCode();
      if (s == 401 && !sameHost && hops < MAX_REDIRECTS) {
        // e.g. registry.k8s.io -> an Artifact Registry host with its own Bearer challenge:
        // an anonymous token from that host's realm, never the registry's credentials
        AuthChallenge ch = AuthChallenge.preferred(AuthChallenge.parseAll(r.headers().allValues("WWW-Authenticate")));
        if (ch == null || !ch.isBearer() || forcedAuth != null) {
          return CompletableFuture.completedFuture(r); // no usable challenge, or a fresh token refused
        }
        if (sentAuth != null) {
          tokens.invalidate(foreignKey(uri), scopeFor(repository)); // a cached one expired
        }
        return fetchToken(reg, ch, repository, foreignKey(uri), false).thenCompose(token ->
            exchange(reg, repository, uri, method, accept, sender, hops + 1, "Bearer " + token));
      }
      if (s == 401 && sameHost && hops < MAX_REDIRECTS) {
        AuthChallenge ch = AuthChallenge.preferred(AuthChallenge.parseAll(r.headers().allValues("WWW-Authenticate")));
        if (ch == null) {
          return CompletableFuture.completedFuture(r);
        }
        if (sentAuth != null && sentAuth.startsWith("Bearer ")) {
          tokens.invalidate(authKey(reg), scopeFor(repository));
          if (forcedAuth != null) {
            return CompletableFuture.completedFuture(r); // a fresh token was refused: give up
          }
        } else if (sentAuth != null && forcedAuth != null) {
          return CompletableFuture.completedFuture(r);
        }
        if (ch.isBearer()) {
          return fetchToken(reg, ch, repository, authKey(reg), true).thenCompose(token ->
              exchange(reg, repository, uri, method, accept, sender, hops + 1, "Bearer " + token));
        }
        if (ch.isBasic() && reg.username() != null) {
          basicRegistries.put(basicKey(reg), Boolean.TRUE);
          return exchange(reg, repository, uri, method, accept, sender, hops + 1, basic(reg));
        }
        return CompletableFuture.completedFuture(r);
      }
      if (s >= 300 && s < 400 && s != 304) {
        String location = r.headers().firstValue("Location").orElse(null);
        if (location == null) {
          return CompletableFuture.completedFuture(r);
        }
        if (hops >= MAX_REDIRECTS) {
          return CompletableFuture.failedFuture(
              new UpstreamException(s, reg.name() + ": too many redirects at " + UpstreamUris.safe(uri)));
        }
        URI next;
        try {
          next = uri.resolve(location);
        } catch (IllegalArgumentException e) {
          return CompletableFuture.failedFuture(new UpstreamException(502, reg.name() + ": unusable redirect location"));
        }
        // a target behind the proxy is resolved by the proxy, not here: judged by its name only
        boolean viaProxy = proxies != null && proxies.proxyFor(next) != null;
        String refused = viaProxy ? RedirectPolicy.refusal(uri, next, reg.baseUri(), RedirectPolicy.NAME_ONLY)
            : RedirectPolicy.refusal(uri, next, reg.baseUri());
        if (refused != null) {
          metrics.upstreamError(reg.name(), "redirect-refused");
          return CompletableFuture.failedFuture(new UpstreamException(502, reg.name() + ": redirect from "
              + uri.getHost() + " refused: " + refused));
        }
        // the registry's credentials stay with the registry
        String carry = sameOrigin(next, reg.baseUri()) ? sentAuth : null;
        return exchange(reg, repository, next, method, accept, sender, hops + 1, carry);
      }
      return CompletableFuture.completedFuture(r);
    });
  }

  private static boolean sameOrigin(URI a, URI b) {
    return Objects.equals(a.getScheme(), b.getScheme())
        && Objects.equals(a.getHost(), b.getHost()) && port(a) == port(b);
  }

  private static int port(URI u) {
    return u.getPort() >= 0 ? u.getPort() : "https".equals(u.getScheme()) ? 443 : 80;
  }

  /** Token-cache key of a host other than the registry's (its own tokens, never shared). */
  private static String foreignKey(URI uri) {
    return "host " + uri.getScheme() + "://" + uri.getHost() + ":" + port(uri);
  }

  private String tokenFor(String key, String scope) {
    String token = tokens.get(key, scope);
    return token == null ? null : "Bearer " + token;
  }

  private String cachedAuthorization(RegistryConfig reg, String repository) {
    String token = tokens.get(authKey(reg), scopeFor(repository));
    if (token != null) {
      return "Bearer " + token;
    }
    if (reg.username() != null && basicRegistries.containsKey(basicKey(reg))) {
      return basic(reg);
    }
    return null;
  }

  /**
   * Whose tokens and Basic habit: the registry's own, or one client's (a registry reached with a
   * client's credentials never shares its tokens with anyone else).
   */
  private static String authKey(RegistryConfig reg) {
    return reg.isCaller() ? reg.name() + " caller " + reg.callerKey() : reg.name();
  }

  /**
   * Whether to send Basic credentials up front is the registry's habit, learnt once for the
   * registry's own and once for all its clients' (one entry per registry however many clients).
   */
  private static String basicKey(RegistryConfig reg) {
    return reg.isCaller() ? reg.name() + " callers" : reg.name();
  }

  private static String password(RegistryConfig reg) {
    if (reg.passwordFile() != null) {
      try {
        return Files.readString(Path.of(reg.passwordFile()), StandardCharsets.UTF_8).strip();
      } catch (IOException e) {
        String why = e instanceof java.nio.file.NoSuchFileException ? "no such file"
            : e instanceof java.nio.file.AccessDeniedException ? "permission denied" : "unreadable";
        throw new CompletionException(new UpstreamException(0,
            "registry " + reg.name() + ": cannot read passwordFile " + reg.passwordFile() + " (" + why + ")"));
      }
    }
    return reg.password() == null ? "" : reg.password();
  }

  private static String basic(RegistryConfig reg) {
    String raw = reg.username() + ":" + password(reg);
    return "Basic " + Base64.getEncoder().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * A token from the challenge's realm, cached under {@code key}; with the registry's
   * credentials only when {@code withCredentials} (the registry's own challenge), and never over
   * plain http to a host other than the registry's.
   */
  private CompletableFuture<String> fetchToken(RegistryConfig reg, AuthChallenge ch, String repository,
      String key, boolean withCredentials) {
    String realm = ch.param("realm");
    if (realm == null) {
      return CompletableFuture.failedFuture(
          new UpstreamException(401, reg.name() + ": Bearer challenge without realm"));
    }
    String scope = ch.param("scope") != null ? ch.param("scope") : scopeFor(repository);
    StringBuilder q = new StringBuilder();
    if (ch.param("service") != null) {
      q.append("service=").append(URLEncoder.encode(ch.param("service"), StandardCharsets.UTF_8));
    }
    if (scope != null) {
      q.append(q.length() > 0 ? "&" : "").append("scope=")
          .append(URLEncoder.encode(scope, StandardCharsets.UTF_8));
    }
    URI uri;
    try {
      uri = URI.create(realm + (q.length() > 0 ? (realm.contains("?") ? "&" : "?") + q : ""));
    } catch (IllegalArgumentException e) {
      return CompletableFuture.failedFuture(
          new UpstreamException(401, reg.name() + ": bad token realm " + realm));
    }
    HttpRequest.Builder b = HttpRequest.newBuilder(uri).GET().timeout(responseTimeout)
        .header("User-Agent", USER_AGENT);
    if (withCredentials && reg.username() != null) {
      if ("http".equals(uri.getScheme()) && !java.util.Objects.equals(uri.getHost(), reg.baseUri().getHost())) {
        return CompletableFuture.failedFuture(new UpstreamException(403, reg.name()
            + ": refusing to send credentials over plain http to the token service at " + uri.getHost()));
      }
      b.header("Authorization", basic(reg));
    }
    BytesSink answer = new BytesSink(MAX_TOKEN_ANSWER_BYTES, responseTimeout);
    return send(reg, b.build(), answer::forAnswer).thenCompose(r -> {
      if (r.statusCode() != 200) {
        metrics.upstreamError(reg.name(), "token");
        return CompletableFuture.failedFuture(new UpstreamException(r.statusCode() == 401 ? 401 : 403,
            reg.name() + ": token service " + realm + " answered " + r.statusCode()));
      }
      try {
        if (answer.tooLarge()) {
          throw new IOException("larger than " + MAX_TOKEN_ANSWER_BYTES + " bytes");
        }
        JsonNode n = JSON.readTree(answer.bytes());
        String token = n.hasNonNull("token") ? n.get("token").asText()
            : n.hasNonNull("access_token") ? n.get("access_token").asText() : null;
        if (token == null || token.isEmpty()) {
          throw new IOException("no token in answer");
        }
        // cache under our own scope key: the one we asked for and will look up
        tokens.put(key, scopeFor(repository), token, n.path("expires_in").asLong(0));
        return CompletableFuture.completedFuture(token);
      } catch (IOException e) {
        metrics.upstreamError(reg.name(), "token");
        return CompletableFuture.failedFuture(
            new UpstreamException(502, reg.name() + ": unreadable token answer: " + e.getMessage()));
      }
    });
  }

  private void noteRateLimit(RegistryConfig reg, HttpHeaders headers) {
    headers.firstValue("ratelimit-remaining").ifPresent(v -> {
      int semi = v.indexOf(';');
      try {
        metrics.rateLimitRemaining(reg.name(), Long.parseLong((semi < 0 ? v : v.substring(0, semi)).trim()));
      } catch (NumberFormatException ignored) {
        // a header we do not understand is not worth failing a pull for
      }
    });
  }
}
