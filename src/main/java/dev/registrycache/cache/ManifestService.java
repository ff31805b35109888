package dev.registrycache.cache;

import dev.registrycache.concurrent.Failures;
import dev.registrycache.config.CacheConfig;
import dev.registrycache.config.RegistryConfig;
import dev.registrycache.metrics.CacheMetrics;
import dev.registrycache.oci.Digest;
import dev.registrycache.oci.DistributionRequest;
import dev.registrycache.oci.ErrorCode;
import dev.registrycache.oci.ManifestAccept;
import dev.registrycache.oci.ManifestDocument;
import dev.registrycache.oci.MediaTypes;
import dev.registrycache.oci.OciError;
import dev.registrycache.oci.OciException;
import dev.registrycache.peer.Peers;
import dev.registrycache.store.DigestMismatchException;
import dev.registrycache.store.LruMap;
import dev.registrycache.store.ManifestStore;
import dev.registrycache.store.PrivateDigests;
import dev.registrycache.store.ManifestStore.CachedManifest;
import dev.registrycache.store.StorageHealth;
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
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Manifests. By digest: immutable, cached forever. By tag: trusted for the tag TTL, then
 * revalidated with a HEAD; when upstream is unreachable, answers 5xx or 429 (or has deleted
 * the tag) the last known digest is served (stale-if-error). Unknown tags are remembered
 * briefly. Manifests are never rewritten: the bytes served are the bytes upstream published.
 * Concurrent identical fetches share one upstream request.
 *
 * <p>Upstream is always asked with every manifest type the cache stores, so what is cached
 * under a tag does not depend on which client asked first; each client is then answered from
 * the cache by its own {@code Accept} ({@link ManifestAccept}). Disk is only read off the
 * caller's thread: a request served from memory completes at once, anything else runs on the
 * background executor.
 */
public final class ManifestService {
  private static final Logger LOG = LoggerFactory.getLogger(ManifestService.class);
  /** Unknown tags remembered at most (each for the negative TTL). */
  static final int MAX_UNKNOWN_TAGS = 4096;

  private final CacheConfig config;
  private final ManifestStore manifests;
  private final TagStore tags;
  private final ManifestSource source;
  private final CacheMetrics metrics;
  private final Executor background;
  private final StorageHealth health;
  /** Where manifests fetched with a client's credentials are marked (null: none ever are). */
  private final PrivateDigests privateDigests;
  /** Unknown tags and until when ({@link System#nanoTime()}: no wall-clock step moves it). */
  private final LruMap<String, Long> unknownTags = new LruMap<>(MAX_UNKNOWN_TAGS);
  private final ConcurrentHashMap<String, CompletableFuture<ManifestResult>> inFlight =
      new ConcurrentHashMap<>();
  /** Tag TTL per registry that sets its own. */
  private final java.util.Map<String, Long> tagTtlMillis = new java.util.HashMap<>();

  public ManifestService(CacheConfig config, ManifestStore manifests, TagStore tags,
      UpstreamClient upstream, CacheMetrics metrics, Executor background, StorageHealth health) {
    this(config, manifests, tags, upstream, metrics, background, health, null);
  }

  public ManifestService(CacheConfig config, ManifestStore manifests, TagStore tags,
      UpstreamClient upstream, CacheMetrics metrics, Executor background, StorageHealth health,
      PrivateDigests privateDigests) {
    this.privateDigests = privateDigests;
    this.config = config;
    this.manifests = manifests;
    this.tags = tags;
    this.source = new ManifestSource(upstream, metrics);
    this.metrics = metrics;
    this.background = background;
    this.health = health;
    for (RegistryConfig r : config.registries()) {
      if (r.tagTtl() != null) {
        tagTtlMillis.put(r.name(), dev.registrycache.config.Sizes.parseDuration(r.tagTtl()).toMillis());
      }
    }
  }

  /**
   * The manifest {@code req} names, as this client may have it: completes with the manifest,
   * or exceptionally with an {@link OciException}.
   */
  public CompletableFuture<ManifestResult> get(RegistryConfig reg, DistributionRequest req,
      ManifestAccept accept) {
    return get(reg, req, accept, 0);
  }

  /** @param hop 0 for this node's clients, 1 or 2 for a peer's request (see {@link Peers#owner}) */
  public CompletableFuture<ManifestResult> get(RegistryConfig reg, DistributionRequest req,
      ManifestAccept accept, int hop) {
    return resolve(reg, req, hop).thenCompose(r -> negotiate(reg, req, accept, r, hop));
  }

  /** From now on manifests this cache lacks are asked of their owners among {@code p} first. */
  public void usePeers(Peers p) {
    source.usePeers(p);
  }

  /** Unknown tags currently remembered (for tests and the status page). */
  public int unknownTagCount() {
    return unknownTags.size();
  }

  private CompletableFuture<ManifestResult> negotiate(RegistryConfig reg, DistributionRequest req,
      ManifestAccept accept, ManifestResult r, int hop) {
    String type = r.manifest().mediaType();
    switch (accept.choose(type, !req.byDigest())) {
      case SERVE:
        return CompletableFuture.completedFuture(r);
      case REFUSE:
        return CompletableFuture.failedFuture(new OciException(ErrorCode.MANIFEST_UNKNOWN,
            describe(req) + ": " + ManifestAccept.refusal(type)));
      default:
        Digest amd64 = ManifestDocument.parse(r.manifest().bytes()).platformManifest("linux", "amd64");
        if (amd64 == null) {
          return CompletableFuture.failedFuture(new OciException(ErrorCode.MANIFEST_UNKNOWN,
              describe(req) + " is a manifest list without a linux/amd64 manifest, and the request's"
                  + " Accept header does not list " + MediaTypes.DOCKER_MANIFEST_LIST));
        }
        DistributionRequest platform = new DistributionRequest(DistributionRequest.Kind.MANIFEST,
            req.head(), req.registry(), req.repository(), amd64.toString(), amd64, -1, null);
        return resolve(reg, platform, hop).thenCompose(p -> negotiate(reg, platform, accept, p, hop));
    }
  }

  /** The manifest as cached (fetched first when it has to be), whatever the client accepts. */
  private CompletableFuture<ManifestResult> resolve(RegistryConfig reg, DistributionRequest req, int hop) {
    ManifestResult inMemory = fromMemory(req);
    if (inMemory != null) {
      return CompletableFuture.completedFuture(inMemory);
    }
    return CompletableFuture.supplyAsync(() -> {
      try {
        return req.byDigest() ? byDigest(reg, req, hop) : byTag(reg, req, hop);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }, background).thenCompose(f -> f);
  }

  private ManifestResult fromMemory(DistributionRequest req) {
    if (req.byDigest()) {
      CachedManifest m = manifests.peek(req.digest());
      if (m == null) {
        return null;
      }
      metrics.lookup(req.registry(), "manifest", "hit");
      return new ManifestResult(m, "hit");
    }
    TagEntry t = tags.peek(req.registry(), req.repository(), req.reference());
    if (t == null || !fresh(req, t)) {
      return null;
    }
    CachedManifest m = manifests.peek(t.digest());
    if (m == null) {
      return null;
    }
    metrics.lookup(req.registry(), "tag", "hit");
    return new ManifestResult(m, "hit", t.checkedAtMillis());
  }

  private boolean fresh(DistributionRequest req, TagEntry t) {
    return fresh(t.checkedAtMillis(), System.currentTimeMillis(), tagTtlMillis(req.registry()));
  }

  /**
   * Whether a tag checked upstream at {@code checkedAt} is still trusted at {@code now}. A check
   * time in the future (the clock stepped back, or the tag file came from a node whose clock is
   * ahead) proves nothing: the tag counts as expired and is revalidated.
   */
  static boolean fresh(long checkedAt, long now, long ttlMillis) {
    long age = now - checkedAt;
    return age >= 0 && age < ttlMillis;
  }

  private long tagTtlMillis(String registry) {
    return tagTtlMillis.getOrDefault(registry, config.tagTtl().toMillis());
  }

  /** How long a 404 for a tag is trusted: never longer than a found tag of the same registry. */
  private long negativeTtlNanos(String registry) {
    return TimeUnit.MILLISECONDS.toNanos(Math.min(config.negativeTtl().toMillis(), tagTtlMillis(registry)));
  }

  private CompletableFuture<ManifestResult> byDigest(RegistryConfig reg, DistributionRequest req, int hop)
      throws IOException {
    Optional<CachedManifest> m = manifests.get(req.digest());
    if (m.isPresent()) {
      metrics.lookup(req.registry(), "manifest", "hit");
      return CompletableFuture.completedFuture(new ManifestResult(m.get(), "hit"));
    }
    metrics.lookup(req.registry(), "manifest", "miss");
    // a client's own fetch is never shared with anyone else's (nor with an anonymous one)
    String who = reg.isCaller() ? "|caller " + reg.callerKey() : "";
    return shared(req.qualifiedName() + "@" + req.digest() + who, () -> fetch(reg, req, null, hop));
  }

  private CompletableFuture<ManifestResult> byTag(RegistryConfig reg, DistributionRequest req, int hop)
      throws IOException {
    if (reg.isCaller()) {
      // private tags are resolved upstream by the caller's check, never remembered here
      return shared(tagKey(req) + "|caller " + reg.callerKey(), () -> fetch(reg, req, null, hop));
    }
    String key = tagKey(req);
    Optional<TagEntry> known = tags.get(req.registry(), req.repository(), req.reference());
    if (known.isPresent()) {
      TagEntry t = known.get();
      Optional<CachedManifest> m = manifests.get(t.digest());
      if (m.isPresent()) {
        if (fresh(req, t)) {
          metrics.lookup(req.registry(), "tag", "hit");
          return CompletableFuture.completedFuture(new ManifestResult(m.get(), "hit", t.checkedAtMillis()));
        }
        return shared(key + "|revalidate", () -> revalidate(reg, req, t, m.get(), hop));
      }
    } else {
      Long until = unknownTags.get(key);
      if (until != null) {
        if (System.nanoTime() - until < 0) {
          metrics.lookup(req.registry(), "tag", "negative");
          return CompletableFuture.failedFuture(new OciException(ErrorCode.MANIFEST_UNKNOWN,
              describe(req) + " unknown upstream at " + reg.name() + " (remembered)"));
        }
        unknownTags.remove(key, until);
      }
    }
    metrics.lookup(req.registry(), "tag", "miss");
    return shared(key, () -> fetch(reg, req, known.orElse(null), hop));
  }

  /**
   * One upstream exchange per key at a time: later callers get the running one. Whatever
   * happens while starting it, even an exception thrown before a future exists, completes
   * every caller and clears the key, so the next request tries again.
   */
  private CompletableFuture<ManifestResult> shared(String key,
      Supplier<CompletableFuture<ManifestResult>> fetch) {
    CompletableFuture<ManifestResult> mine = new CompletableFuture<>();
    CompletableFuture<ManifestResult> running = inFlight.putIfAbsent(key, mine);
    if (running != null) {
      return running;
    }
    CompletableFuture<ManifestResult> started;
    try {
      started = fetch.get();
    } catch (RuntimeException e) {
      started = CompletableFuture.failedFuture(e);
    }
    started.whenComplete((r, e) -> {
      inFlight.remove(key, mine);
      if (e != null) {
        mine.completeExceptionally(Failures.unwrap(e));
      } else {
        mine.complete(r);
      }
    });
    return mine;
  }

  private CompletableFuture<ManifestResult> revalidate(RegistryConfig reg, DistributionRequest req,
      TagEntry known, CachedManifest cached, int hop) {
    return source.fetch(reg, req, true, 0, hop)
        .handleAsync((a, err) -> {
          if (err == null && a.response().status() == 200) {
            String d = a.response().header("Docker-Content-Digest");
            if (known.digest().toString().equals(d)) {
              TagEntry confirmed = known.withCheckedAt(a.checkedAtMillis());
              storeTag(req, confirmed);
              metrics.lookup(req.registry(), "tag", "revalidated");
              return CompletableFuture.completedFuture(new ManifestResult(cached, "revalidated",
                  confirmed.checkedAtMillis()));
            }
            metrics.lookup(req.registry(), "tag", "changed");
            return fetch(reg, req, known, hop);
          }
          String why = err != null ? transportReason(err) : String.valueOf(a.response().status());
          return CompletableFuture.completedFuture(stale(reg, req, known, cached, why));
        }, background).thenCompose(f -> f);
  }

  private ManifestResult stale(RegistryConfig reg, DistributionRequest req, TagEntry known, CachedManifest m,
      String why) {
    metrics.staleServed(reg.name(), why);
    metrics.lookup(req.registry(), "tag", "stale");
    LOG.info("serving stale {}:{} from cache ({} upstream: {})", req.qualifiedName(), req.reference(),
        reg.name(), why);
    return new ManifestResult(m, "stale", known.checkedAtMillis());
  }

  /** GET from upstream (or the owner); {@code known} (may be null) is the stale fallback for tags. */
  private CompletableFuture<ManifestResult> fetch(RegistryConfig reg, DistributionRequest req,
      TagEntry known, int hop) {
    return source.fetch(reg, req, false, ManifestStore.MAX_MANIFEST_BYTES, hop)
        .handleAsync((a, err) -> {
          UpstreamClient.Response r = a == null ? null : a.response();
          try {
            if (err != null) {
              UpstreamException ue = unwrap(err);
              ManifestResult s = staleFallback(reg, req, known, transportReason(err));
              if (s != null) {
                return s;
              }
              if (ue == null) {
                throw err instanceof CompletionException ce ? ce : new CompletionException(err);
              }
              throw new OciException(Errors.fromUpstream(ue, ErrorCode.MANIFEST_UNKNOWN, describe(req)));
            }
            if (r.status() != 200) {
              ManifestResult s = staleFallback(reg, req, known, String.valueOf(r.status()));
              if (s != null) {
                return s;
              }
              if (r.status() == 404 && !req.byDigest() && !reg.isCaller()) {
                // asked with every stored type, so this 404 is about the tag, not the Accept
                long now = System.nanoTime();
                if (unknownTags.size() >= MAX_UNKNOWN_TAGS / 2) {
                  unknownTags.removeIf((k, until) -> until - now <= 0);
                }
                unknownTags.put(tagKey(req), now + negativeTtlNanos(req.registry()));
              }
              throw new OciException(Errors.fromStatus(r.status(), reg.name(),
                  ErrorCode.MANIFEST_UNKNOWN, describe(req)));
            }
            return store(reg, req, r, a.checkedAtMillis());
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
    return m.map(cm -> stale(reg, req, known, cm, why)).orElse(null);
  }

  private ManifestResult store(RegistryConfig reg, DistributionRequest req, UpstreamClient.Response r,
      long checkedAtMillis) throws IOException {
    byte[] body = r.body();
    if (r.tooLarge()) { // not read past the limit
      throw new OciException(new OciError(ErrorCode.MANIFEST_INVALID, 502,
          describe(req) + " from " + reg.name() + " is larger than " + ManifestStore.MAX_MANIFEST_BYTES + " bytes"));
    }
    ManifestDocument doc;
    try {
      doc = ManifestDocument.parse(body);
    } catch (OciException notJson) {
      doc = null; // a wrong digest is the better message, if there is one: checked first
    }
    Digest computed = Digest.of(req.byDigest() ? req.digest().algorithm() : "sha256",
        doc == null ? body : doc.digestedBytes());
    Digest expected = req.byDigest() ? req.digest() : null;
    String header = r.header("Docker-Content-Digest");
    if (expected == null && header != null && header.startsWith("sha256:") && !header.equals(computed.toString())) {
      try {
        expected = Digest.parse(header);
      } catch (IllegalArgumentException e) {
        expected = null; // a malformed header proves nothing: the content's own digest stands
      }
    }
    if (expected != null && !expected.equals(computed)) {
      metrics.digestMismatch(reg.name());
      throw new OciException(new OciError(ErrorCode.DIGEST_INVALID, 502, reg.name() + " sent "
          + describe(req) + " with content " + computed + ", expected " + expected + "; not cached"));
    }
    if (doc == null) {
      doc = ManifestDocument.parse(body); // throws MANIFEST_INVALID
    }
    String type = mediaType(r.header("Content-Type"), doc);
    CachedManifest m;
    if (reg.isCaller()) {
      // marked before it is stored: never a moment where anyone could have it unchecked
      privateDigests.mark(computed);
      Digest held = Digest.of("sha256", body); // a signed schema 1 manifest's blob has its own digest
      if (!held.equals(computed)) {
        privateDigests.mark(held);
      }
    }
    try {
      m = manifests.put(computed, type, body);
      health.succeeded();
    } catch (DigestMismatchException e) {
      metrics.digestMismatch(reg.name());
      throw new OciException(new OciError(ErrorCode.DIGEST_INVALID, 502, reg.name() + " sent " + describe(req)
          + " whose payload does not match its digest; not cached"));
    } catch (IOException e) {
      // upstream's answer is good: the client gets it, only the cache goes without
      StorageHealth.Problem p = health.failed("storing manifest " + computed, e);
      metrics.servedUnstored("manifest", p.label());
      return new ManifestResult(new CachedManifest(computed, type, body), "miss");
    }
    if (reg.isCaller()) {
      return new ManifestResult(m, "miss"); // a private repository is not listed, its tags not kept
    }
    tags.markRepository(req.registry(), req.repository());
    if (req.byDigest()) {
      return new ManifestResult(m, "miss");
    }
    storeTag(req, new TagEntry(computed, type, body.length, checkedAtMillis));
    return new ManifestResult(m, "miss", checkedAtMillis);
  }

  /**
   * The type to serve a manifest with: upstream's {@code Content-Type} when it is a valid media
   * type naming a manifest, else what the content says. Nothing unvalidated becomes a header.
   */
  static String mediaType(String contentType, ManifestDocument doc) {
    String declared = MediaTypes.bare(contentType);
    if (MediaTypes.isValid(declared) && (declared.contains("manifest") || declared.contains("index"))) {
      return declared;
    }
    return doc.inferredType();
  }

  private void storeTag(DistributionRequest req, TagEntry e) {
    try {
      tags.put(req.registry(), req.repository(), req.reference(), e);
    } catch (IOException ex) {
      health.failed("recording tag " + req.qualifiedName() + ":" + req.reference(), ex);
    }
  }

  private static String tagKey(DistributionRequest req) {
    return req.qualifiedName() + ":" + req.reference();
  }

  private static String describe(DistributionRequest req) {
    return "manifest " + req.repository() + (req.byDigest() ? "@" : ":") + req.reference();
  }

  private static String transportReason(Throwable err) {
    UpstreamException ue = unwrap(err);
    return ue == null ? "unreachable" : ue.transportReason();
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
