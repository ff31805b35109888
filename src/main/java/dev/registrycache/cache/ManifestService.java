package dev.registrycache.cache;

import dev.registrycache.config.CacheConfig;
import dev.registrycache.config.RegistryConfig;
import dev.registrycache.metrics.CacheMetrics;
import dev.registrycache.oci.Digest;
import dev.registrycache.oci.DistributionRequest;
import dev.registrycache.oci.ErrorCode;
import dev.registrycache.oci.MediaTypes;
import dev.registrycache.oci.OciError;
import dev.registrycache.oci.OciException;
import dev.registrycache.store.ManifestStore;
import dev.registrycache.store.ManifestStore.CachedManifest;
import dev.registrycache.store.TagEntry;
import dev.registrycache.store.TagStore;
import dev.registrycache.upstream.UpstreamClient;
import dev.registrycache.upstream.UpstreamException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Manifests. By digest: immutable, cached forever. By tag: trusted for the tag TTL, then
 * revalidated with a HEAD; when upstream is unreachable, answers 5xx or 429 (or has deleted
 * the tag) the last known digest is served (stale-if-error). Unknown tags are remembered
 * briefly. Manifests are never rewritten: the bytes served are the bytes upstream published.
 * Concurrent identical fetches share one upstream request.
 */
public final class ManifestService {
  private static final Logger LOG = LoggerFactory.getLogger(ManifestService.class);

  private final CacheConfig config;
  private final ManifestStore manifests;
  private final TagStore tags;
  private final UpstreamClient upstream;
  private final CacheMetrics metrics;
  private final Executor background;
  private final ConcurrentHashMap<String, Long> unknownTags = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, CompletableFuture<ManifestResult>> inFlight =
      new ConcurrentHashMap<>();

  public ManifestService(CacheConfig config, ManifestStore manifests, TagStore tags,
      UpstreamClient upstream, CacheMetrics metrics, Executor background) {
    this.config = config;
    this.manifests = manifests;
    this.tags = tags;
    this.upstream = upstream;
    this.metrics = metrics;
    this.background = background;
  }

  /** Completes with the manifest, or exceptionally with an {@link OciException}. */
  public CompletableFuture<ManifestResult> get(RegistryConfig reg, DistributionRequest req, String accept) {
    try {
      return req.byDigest() ? byDigest(reg, req, accept) : byTag(reg, req, accept);
    } catch (IOException e) {
      return CompletableFuture.failedFuture(new UncheckedIOException(e));
    }
  }

  private CompletableFuture<ManifestResult> byDigest(RegistryConfig reg, DistributionRequest req,
      String accept) throws IOException {
    Optional<CachedManifest> m = manifests.get(req.digest());
    if (m.isPresent()) {
      metrics.lookup("manifest", "hit");
      return CompletableFuture.completedFuture(new ManifestResult(m.get(), "hit"));
    }
    metrics.lookup("manifest", "miss");
    return shared(req.qualifiedName() + "@" + req.digest(), () -> fetch(reg, req, accept, null));
  }

  private CompletableFuture<ManifestResult> byTag(RegistryConfig reg, DistributionRequest req,
      String accept) throws IOException {
    String key = req.qualifiedName() + ":" + req.reference();
    Optional<TagEntry> known = tags.get(req.registry(), req.repository(), req.reference());
    if (known.isPresent() && MediaTypes.accepts(accept, known.get().mediaType())) {
      TagEntry t = known.get();
      Optional<CachedManifest> m = manifests.get(t.digest());
      if (m.isPresent()) {
        if (System.currentTimeMillis() - t.checkedAtMillis() < config.tagTtl().toMillis()) {
          metrics.lookup("tag", "hit");
          return CompletableFuture.completedFuture(new ManifestResult(m.get(), "hit"));
        }
        return shared(key + "|revalidate", () -> revalidate(reg, req, accept, t, m.get()));
      }
    } else {
      Long until = unknownTags.get(key);
      if (until != null) {
        if (System.currentTimeMillis() < until) {
          metrics.lookup("tag", "negative");
          return CompletableFuture.failedFuture(new OciException(ErrorCode.MANIFEST_UNKNOWN,
              "manifest " + req.repository() + ":" + req.reference() + " unknown upstream at "
                  + reg.name() + " (remembered)"));
        }
        unknownTags.remove(key, until);
      }
    }
    metrics.lookup("tag", "miss");
    return shared(key + "|" + accept, () -> fetch(reg, req, accept, known.orElse(null)));
  }

  private CompletableFuture<ManifestResult> shared(String key,
      java.util.function.Supplier<CompletableFuture<ManifestResult>> fetch) {
    CompletableFuture<ManifestResult> mine = new CompletableFuture<>();
    CompletableFuture<ManifestResult> running = inFlight.putIfAbsent(key, mine);
    if (running != null) {
      return running;
    }
    fetch.get().whenComplete((r, e) -> {
      inFlight.remove(key, mine);
      if (e != null) {
        mine.completeExceptionally(e instanceof CompletionException && e.getCause() != null ? e.getCause() : e);
      } else {
        mine.complete(r);
      }
    });
    return mine;
  }

  private static String upstreamAccept(String accept) {
    if (accept == null) {
      return MediaTypes.ALL_MANIFESTS_ACCEPT;
    }
    for (String t : MediaTypes.ALL_MANIFESTS) {
      if (accept.contains(t)) {
        return accept;
      }
    }
    return MediaTypes.ALL_MANIFESTS_ACCEPT + ", " + accept;
  }

  private String path(DistributionRequest req) {
    return "/v2/" + req.repository() + "/manifests/" + req.reference();
  }

  private CompletableFuture<ManifestResult> revalidate(RegistryConfig reg, DistributionRequest req,
      String accept, TagEntry known, CachedManifest cached) {
    return upstream.fetch(reg, req.repository(), path(req), upstreamAccept(accept), true)
        .handleAsync((r, err) -> {
          if (err == null && r.status() == 200) {
            String d = r.header("Docker-Content-Digest");
            if (known.digest().toString().equals(d)) {
              storeTag(req, known.withCheckedAt(System.currentTimeMillis()));
              metrics.lookup("tag", "revalidated");
              return CompletableFuture.completedFuture(new ManifestResult(cached, "revalidated"));
            }
            metrics.lookup("tag", "changed");
            return fetch(reg, req, accept, known);
          }
          String why = err != null ? "unreachable" : String.valueOf(r.status());
          return CompletableFuture.completedFuture(stale(reg, req, cached, why));
        }, background).thenCompose(f -> f);
  }

  private ManifestResult stale(RegistryConfig reg, DistributionRequest req, CachedManifest m, String why) {
    metrics.staleServed(reg.name(), why);
    metrics.lookup("tag", "stale");
    LOG.info("serving stale {}:{} from cache ({} upstream: {})", req.qualifiedName(), req.reference(),
        reg.name(), why);
    return new ManifestResult(m, "stale");
  }

  /** GET from upstream; {@code known} (may be null) is the stale fallback for tags. */
  private CompletableFuture<ManifestResult> fetch(RegistryConfig reg, DistributionRequest req,
      String accept, TagEntry known) {
    return upstream.fetch(reg, req.repository(), path(req), upstreamAccept(accept), false)
        .handleAsync((r, err) -> {
          try {
            if (err != null) {
              UpstreamException ue = unwrap(err);
              ManifestResult s = staleFallback(reg, req, known, "unreachable");
              if (s != null) {
                return s;
              }
              throw new OciException(ue != null
                  ? Errors.fromUpstream(ue, ErrorCode.MANIFEST_UNKNOWN, describe(req))
                  : new OciError(ErrorCode.UNAVAILABLE, 502, err.toString()));
            }
            if (r.status() != 200) {
              ManifestResult s = staleFallback(reg, req, known, String.valueOf(r.status()));
              if (s != null) {
                return s;
              }
              if (r.status() == 404 && !req.byDigest()) {
                unknownTags.put(req.qualifiedName() + ":" + req.reference(),
                    System.currentTimeMillis() + config.negativeTtl().toMillis());
              }
              throw new OciException(Errors.fromStatus(r.status(), reg.name(),
                  ErrorCode.MANIFEST_UNKNOWN, describe(req)));
            }
            return store(reg, req, r);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }, background);
  }

  private ManifestResult staleFallback(RegistryConfig reg, DistributionRequest req, TagEntry known,
      String why) throws IOException {
    if (known == null) {
      return null;
    }
    Optional<CachedManifest> m = manifests.get(known.digest());
    return m.map(cm -> stale(reg, req, cm, why)).orElse(null);
  }

  private ManifestResult store(RegistryConfig reg, DistributionRequest req, UpstreamClient.Response r)
      throws IOException {
    byte[] body = r.body();
    if (body.length > ManifestStore.MAX_MANIFEST_BYTES) {
      throw new OciException(new OciError(ErrorCode.MANIFEST_INVALID, 502,
          describe(req) + " from " + reg.name() + " is larger than " + ManifestStore.MAX_MANIFEST_BYTES + " bytes"));
    }
    Digest computed = Digest.of(req.byDigest() ? req.digest().algorithm() : "sha256", body);
    Digest expected = req.byDigest() ? req.digest() : null;
    String header = r.header("Docker-Content-Digest");
    if (expected == null && header != null && header.startsWith("sha256:") && !header.equals(computed.toString())) {
      expected = Digest.parse(header);
    }
    if (expected != null && !expected.equals(computed)) {
      metrics.digestMismatch(reg.name());
      throw new OciException(new OciError(ErrorCode.DIGEST_INVALID, 502, reg.name() + " sent "
          + describe(req) + " with content " + computed + ", expected " + expected + "; not cached"));
    }
    String type = r.header("Content-Type");
    if (type != null) {
      int semi = type.indexOf(';');
      type = (semi >= 0 ? type.substring(0, semi) : type).trim();
    }
    if (type == null || !MediaTypes.isManifestType(type)) {
      type = MediaTypes.sniff(body);
    }
    CachedManifest m = manifests.put(computed, type, body);
    tags.markRepository(req.registry(), req.repository());
    if (!req.byDigest()) {
      storeTag(req, new TagEntry(computed, type, body.length, System.currentTimeMillis()));
    }
    return new ManifestResult(m, "miss");
  }

  private void storeTag(DistributionRequest req, TagEntry e) {
    try {
      tags.put(req.registry(), req.repository(), req.reference(), e);
    } catch (IOException ex) {
      LOG.warn("could not record tag {}:{}: {}", req.qualifiedName(), req.reference(), ex.toString());
    }
  }

  private static String describe(DistributionRequest req) {
    return "manifest " + req.repository() + (req.byDigest() ? "@" : ":") + req.reference();
  }

  private static UpstreamException unwrap(Throwable t) {
    while (t != null) {
      if (t instanceof UpstreamException u) {
        return u;
      }
      t = t.getCause();
    }
    return null;
  }
}
