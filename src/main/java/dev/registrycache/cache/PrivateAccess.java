package dev.registrycache.cache;

import dev.registrycache.config.RegistryConfig;
import dev.registrycache.metrics.CacheMetrics;
import dev.registrycache.oci.Digest;
import dev.registrycache.oci.MediaTypes;
import dev.registrycache.store.LruMap;
import dev.registrycache.store.PrivateDigests;
import dev.registrycache.concurrent.Failures;
import dev.registrycache.upstream.UpstreamClient;
import dev.registrycache.upstream.UpstreamException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Who may have content that upstream does not serve anonymously. Such content is fetched with
 * the asking client's own credentials and marked private ({@link PrivateDigests}); every later
 * request for it is checked upstream with the asking client's credentials (a {@code HEAD} of the
 * same manifest or blob in the same repository), and only an upstream {@code 200} lets the cache
 * answer from its disk. Decisions are remembered for a short time per client, repository and
 * reference; the client is told apart by a keyed hash whose key lives only in this process.
 * Credentials themselves are never stored, logged or hashed into anything that leaves memory.
 */
public final class PrivateAccess {
  /** How long upstream's yes is trusted for one client, repository and reference. */
  static final long ALLOWED_MILLIS = 60_000;
  /** How long a no is (so a wrong password does not hammer upstream). */
  static final long REFUSED_MILLIS = 10_000;
  /** How long a repository that refused an anonymous request counts as private. */
  static final long PRIVATE_REPOSITORY_MILLIS = 10 * 60_000;
  static final int MAX_DECISIONS = 8192;

  /** Upstream's answer to one client for one manifest or blob; {@code digest} from a manifest HEAD. */
  public record Decision(int status, String digest, long untilMillis) {
    public boolean allowed() {
      return status == 200;
    }
  }

  private final UpstreamClient upstream;
  private final PrivateDigests digests;
  private final CacheMetrics metrics;
  private final LruMap<String, Decision> decisions = new LruMap<>(MAX_DECISIONS);
  private final LruMap<String, Long> privateRepositories = new LruMap<>(MAX_DECISIONS);
  private final SecretKeySpec callerKey;

  public PrivateAccess(UpstreamClient upstream, PrivateDigests digests, CacheMetrics metrics) {
    this.upstream = upstream;
    this.digests = digests;
    this.metrics = metrics;
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    this.callerKey = new SecretKeySpec(key, "HmacSHA256");
  }

  /** Whether {@code d} was fetched with a client's credentials (and is checked before it is served). */
  public boolean isPrivate(Digest d) {
    return digests.contains(d);
  }

  /** Whether {@code repository} refused an anonymous request lately. */
  public boolean knownPrivate(RegistryConfig reg, String repository) {
    Long until = privateRepositories.get(reg.name() + "/" + repository);
    return until != null && System.currentTimeMillis() < until;
  }

  /** {@code repository} refused an anonymous request: its content goes the private way for a while. */
  public void rememberPrivate(RegistryConfig reg, String repository) {
    long now = System.currentTimeMillis();
    if (privateRepositories.size() >= MAX_DECISIONS / 2) {
      privateRepositories.removeIf((k, until) -> now >= until);
    }
    privateRepositories.put(reg.name() + "/" + repository, now + PRIVATE_REPOSITORY_MILLIS);
  }

  /**
   * {@code reg} as the client that sent {@code credentials} (a {@link BasicCredentials}) reaches
   * it, or null when it sent none.
   */
  public RegistryConfig as(RegistryConfig reg, BasicCredentials credentials) {
    if (credentials == null) {
      return null;
    }
    return reg.forCaller(credentials.user(), credentials.password(), keyOf(credentials));
  }

  private String keyOf(BasicCredentials c) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(callerKey);
      mac.update(c.user().getBytes(StandardCharsets.UTF_8));
      mac.update((byte) 0);
      return Base64.getUrlEncoder().withoutPadding()
          .encodeToString(mac.doFinal(c.password().getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }

  /** Marks {@code d} private before it is fetched with a client's credentials. */
  public void markBeforeFetch(Digest d) throws IOException {
    digests.mark(d);
  }

  /**
   * Asks upstream whether {@code as} (a client's view of the registry, or the registry itself for
   * an anonymous client) may have {@code reference} ({@code manifests} or {@code blobs}) in
   * {@code repository}. An anonymous yes for a digest makes it public again; an anonymous no
   * marks the repository private.
   */
  public CompletableFuture<Decision> check(RegistryConfig as, String repository, String kind, String reference) {
    String key = (as.isCaller() ? as.callerKey() : "-") + ' ' + as.name() + ' ' + repository + ' ' + kind + ' '
        + reference;
    long now = System.currentTimeMillis();
    Decision known = decisions.get(key);
    if (known != null && now < known.untilMillis()) {
      metrics.privateCheck(as.name(), known.allowed() ? "allowed-remembered" : "refused-remembered");
      return CompletableFuture.completedFuture(known);
    }
    String path = "/v2/" + repository + "/" + kind + "/" + reference;
    String accept = kind.equals("manifests") ? MediaTypes.UPSTREAM_ACCEPT : null;
    return upstream.fetch(as, repository, path, accept, true, 0).handle((r, err) -> {
      if (err != null) {
        // a token service that refuses the credentials (or an anonymous token) is upstream's no
        UpstreamException ue = Failures.unwrap(err) instanceof UpstreamException u ? u : null;
        if (ue == null || ue.status() != 401 && ue.status() != 403) {
          throw err instanceof java.util.concurrent.CompletionException ce ? ce
              : new java.util.concurrent.CompletionException(err);
        }
        return decided(as, key, repository, reference, ue.status(), null);
      }
      return decided(as, key, repository, reference, r.status(), r.header("Docker-Content-Digest"));
    });
  }

  /** Upstream's answer, remembered (yes, and the no's a client can act on) and counted. */
  private Decision decided(RegistryConfig as, String key, String repository, String reference, int status,
      String digest) {
    Decision d = new Decision(status, digest,
        System.currentTimeMillis() + (status == 200 ? ALLOWED_MILLIS : REFUSED_MILLIS));
    if (status == 200 || status == 401 || status == 403 || status == 404) {
      if (decisions.size() >= MAX_DECISIONS / 2) {
        long t = System.currentTimeMillis();
        decisions.removeIf((k, v) -> t >= v.untilMillis());
      }
      decisions.put(key, d);
    }
    if (!as.isCaller()) {
      if (status == 200 && reference.contains(":")) {
        digests.unmark(Digest.parse(reference)); // upstream gives it to anyone
      } else if (status == 401 || status == 403) {
        rememberPrivate(as, repository);
      }
    }
    metrics.privateCheck(as.name(), status == 200 ? "allowed" : "refused");
    return d;
  }
}
