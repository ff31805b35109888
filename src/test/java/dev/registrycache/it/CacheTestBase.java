package dev.registrycache.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.registrycache.oci.Digest;
import dev.registrycache.server.CacheApplication;
import dev.registrycache.store.BlobStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every integration test needs: a temp dir, fake upstreams and caches that are closed
 * after the test (in reverse order), and checks on the cache's storage directory.
 */
abstract class CacheTestBase {
  static final Duration SETTLE = Duration.ofSeconds(10);

  @TempDir
  Path tmp;

  private final Deque<AutoCloseable> resources = new ArrayDeque<>();

  @AfterEach
  void closeResources() throws Exception {
    Exception first = null;
    while (!resources.isEmpty()) {
      try {
        resources.pop().close();
      } catch (Exception e) {
        first = first == null ? e : first;
      }
    }
    if (first != null) {
      throw first;
    }
  }

  <T extends AutoCloseable> T closeAfter(T resource) {
    resources.push(resource);
    return resource;
  }

  /** The password of {@link #basicAuthCache()}'s upstream user {@code puller}. */
  static final String PASSWORD = "s3cret";

  /** A cache whose docker.io upstream wants Basic auth, the password in a file as from a mounted Secret. */
  record BasicAuthCache(FakeUpstream upstream, CacheApplication cache, Path passwordFile, CacheClient client) {}

  BasicAuthCache basicAuthCache() throws Exception {
    FakeUpstream upstream = upstream();
    upstream.requireBasic("puller", PASSWORD);
    Path password = tmp.resolve("password");
    Files.writeString(password, PASSWORD + "\n");
    CacheApplication cache = start(setup().registryWithPasswordFile("docker.io", upstream.url(), "puller", password));
    return new BasicAuthCache(upstream, cache, password, new CacheClient(cache.address()));
  }

  FakeUpstream upstream() throws IOException {
    return closeAfter(FakeUpstream.start());
  }

  Path storage() {
    return tmp.resolve("storage");
  }

  CacheSetup setup() {
    return new CacheSetup(storage());
  }

  CacheApplication start(CacheSetup setup) throws IOException, InterruptedException {
    return closeAfter(CacheApplication.start(setup.config()));
  }

  /** A cache whose blob store is the one {@code wrap} makes of the real one (to break or watch it). */
  CacheApplication start(CacheSetup setup, UnaryOperator<BlobStore> wrap) throws IOException, InterruptedException {
    return closeAfter(CacheApplication.start(setup.config(), wrap));
  }

  /** A cache on a store whose writes the test can break. */
  record BreakableCache(CacheApplication cache, BreakableStore store) {}

  BreakableCache startBreakable(CacheSetup setup) throws IOException, InterruptedException {
    return startBreakable(setup, s -> { });
  }

  /** The same, with the store set up by {@code before} before the cache starts on it. */
  BreakableCache startBreakable(CacheSetup setup, java.util.function.Consumer<BreakableStore> before)
      throws IOException, InterruptedException {
    BreakableStore[] made = new BreakableStore[1];
    CacheApplication cache = start(setup, s -> {
      made[0] = new BreakableStore(s);
      before.accept(made[0]);
      return made[0];
    });
    return new BreakableCache(cache, made[0]);
  }

  /** The admin port's answer to {@code path}: status and body. */
  static java.net.http.HttpResponse<byte[]> admin(CacheApplication cache, String path) {
    return new CacheClient(cache.adminAddress()).get(path);
  }

  /** Where a verified blob (or manifest) with this digest lives in the store. */
  Path storedFile(String digest) {
    String alg = digest.substring(0, digest.indexOf(':'));
    String hex = TestContent.hex(digest);
    return storage().resolve("blobs").resolve(alg).resolve(hex.substring(0, 2)).resolve(hex);
  }

  List<Path> tempFiles() throws IOException {
    Path dir = storage().resolve("tmp");
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.toList();
    }
  }

  /** After a failed download: nothing under the digest, no temp file left behind. */
  void assertNothingStored(String digest) throws IOException {
    awaitTrue("temp dir empty, was " + tempFiles(), () -> {
      try {
        return tempFiles().isEmpty();
      } catch (IOException e) {
        return false;
      }
    });
    assertEquals(false, Files.exists(storedFile(digest)), "blob stored under " + digest);
  }

  /**
   * After a download of {@code bytes} from {@code upstream} was given up: nothing stored, its
   * single-flight entry gone, and the next pull, with upstream answering normally again, is a
   * fresh download that succeeds.
   */
  void assertFetchedAfreshAfterGivingUp(CacheApplication cache, FakeUpstream upstream, String repo,
      String digest, byte[] bytes) throws IOException {
    assertNothingStored(digest);
    awaitTrue("single-flight entry cleared", () -> cache.metrics().registry()
        .find("registry_cache_downloads_in_flight").gauge().value() == 0);
    String path = FakeUpstream.blobPath(repo, digest);
    int fetched = upstream.count("GET", path);
    upstream.normal(path);
    RawHttp.Response again = RawHttp.get(cache.address(), "/v2/" + repo + "/blobs/" + digest, CacheClient.TIMEOUT);
    assertEquals(200, again.status());
    assertArrayEquals(bytes, again.body());
    assertEquals(fetched + 1, upstream.count("GET", path), "a fresh download, not the given-up one");
  }

  /**
   * Waits until a downloaded blob is in the cache's index. Its last byte reaches clients once
   * the digest is verified, a moment before that: until then a request joins the download
   * (or, for HEAD, asks upstream) rather than being a hit.
   */
  static void awaitIndexed(CacheApplication cache, String digest) {
    Digest d = Digest.parse(digest);
    awaitTrue("in the index: " + digest, () -> cache.index().peek(d) != null);
  }

  static void awaitTrue(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + SETTLE.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        fail("not within " + SETTLE + ": " + what);
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        fail("interrupted waiting for " + what);
      }
    }
  }
}
