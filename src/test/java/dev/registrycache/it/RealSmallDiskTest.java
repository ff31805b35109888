package dev.registrycache.it;

import static dev.registrycache.it.FakeUpstream.blobPath;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.registrycache.server.CacheApplication;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The full-disk cases of {@link FullDiskTest} once on a real file system, a 16 MiB tmpfs: the
 * kernel's own "No space left on device", short writes and free-space figures. Mounting needs
 * root, which the CI has; without it this test fails rather than pass unnoticed.
 */
class RealSmallDiskTest extends CacheTestBase {
  private static final String REPO = "library/app";
  private static final long MIB = 1 << 20;
  private Path disk;
  private boolean mounted;

  @BeforeEach
  void mountSmallDisk() throws Exception {
    if (!Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"))) {
      fail("mounting a 16 MiB tmpfs needs root (the CI runs as root); run this test as root");
    }
    disk = Files.createDirectories(tmp.resolve("disk"));
    run(List.of("mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", disk.toString()));
    mounted = true;
  }

  @AfterEach
  void unmount() throws Exception {
    if (mounted) {
      closeResources(); // the cache first: nothing may hold the file system
      run(List.of("umount", disk.toString()));
    }
  }

  @Test
  void onARealFullDiskTheClientsGetWholeBlobsAndTheCacheHealsWhenSpaceComesBack() throws Exception {
    FakeUpstream upstream = upstream();
    CacheApplication cache = start(new CacheSetup(disk.resolve("storage")).registry("docker.io", upstream.url()));
    CacheClient client = new CacheClient(cache.address());

    byte[] tooBig = TestContent.random((int) (24 * MIB), 1);
    String tooBigDigest = upstream.blob(REPO, tooBig);
    HttpResponse<byte[]> r = client.get("/v2/" + REPO + "/blobs/" + tooBigDigest);
    assertEquals(200, r.statusCode());
    assertArrayEquals(tooBig, r.body(), "larger than the disk: passed through whole");
    assertEquals(1.0, cache.metrics().count("served_unstored", "kind", "blob", "reason", "no-room"));

    byte[] layer = TestContent.random((int) (8 * MIB), 2);
    String digest = upstream.blob(REPO, layer);
    CountDownLatch halfSent = new CountDownLatch(1);
    CountDownLatch proceed = new CountDownLatch(1);
    closeAfter(proceed::countDown);
    upstream.behave(blobPath(REPO, digest), UpstreamBehavior.gated(halfSent, proceed));
    var streaming = client.stream("/v2/" + REPO + "/blobs/" + digest);
    assertTrue(halfSent.await(10, TimeUnit.SECONDS));
    awaitTrue("half of it written", () -> bytesIn(disk.resolve("storage/tmp")) >= 4 * MIB);
    Path filler = disk.resolve("filler");
    fillUp(filler); // another program takes the rest of the disk
    proceed.countDown();

    HttpResponse<InputStream> s = CacheClient.await(streaming);
    assertEquals(200, s.statusCode());
    try (InputStream in = s.body()) {
      assertArrayEquals(layer, in.readAllBytes(), "the disk filled up halfway: the rest passed through");
    }
    assertEquals(1.0, cache.metrics().count("served_unstored", "kind", "blob", "reason", "no-space"));
    assertTrue(cache.metrics().registry().find("registry_cache_store_write_failures").tag("reason", "no-space")
        .functionCounter().count() >= 1, "the kernel's ENOSPC told apart");
    awaitTrue("no temp file left", () -> bytesIn(disk.resolve("storage/tmp")) == 0);

    Files.delete(filler);
    cache.storage().check();
    assertEquals(1.0, cache.metrics().registry().find("registry_cache_store_writable").gauge().value());
    assertArrayEquals(layer, client.get("/v2/" + REPO + "/blobs/" + digest).body());
    awaitIndexed(cache, digest);
  }

  private static void fillUp(Path filler) throws IOException {
    byte[] chunk = new byte[64 * 1024];
    try (OutputStream out = Files.newOutputStream(filler)) {
      for (int i = 0; i < 16 * 16; i++) { // at most 16 MiB: the whole disk
        out.write(chunk);
      }
      fail("wrote 16 MiB to a 16 MiB disk already half full");
    } catch (IOException full) {
      if (!String.valueOf(full.getMessage()).contains("No space left on device")) {
        throw full;
      }
    }
  }

  private static long bytesIn(Path dir) {
    try (var files = Files.list(dir)) {
      return files.mapToLong(p -> p.toFile().length()).sum();
    } catch (IOException e) {
      return -1;
    }
  }

  private static void run(List<String> command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    if (!p.waitFor(20, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail(command + " did not finish within 20 s");
    }
    String out = new String(p.getInputStream().readAllBytes());
    assertEquals(0, p.exitValue(), command + ": " + out);
  }
}
