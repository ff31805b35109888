package dev.registrycache.bench;

import com.sun.management.OperatingSystemMXBean;
import dev.registrycache.operator.statistics.CacheStatisticsGatherer;
import dev.registrycache.operator.statistics.CacheStatisticsGatherer.Target;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * What gathering the caches' counters costs the operator, and what a scrape costs a cache, against
 * caches running as separate processes (src/test/bench/gathering-cost.sh starts them, one loopback
 * address each). Arguments: the caches' addresses file (one {@code IP PID} a line), the metrics
 * port, rounds. Prints CPU time and bytes per round and per scrape.
 */
public final class GatheringCost {
  private GatheringCost() {}

  public static void main(String[] args) throws Exception {
    List<String[]> caches = Files.readAllLines(Path.of(args[0])).stream().filter(l -> !l.isBlank())
        .map(l -> l.trim().split("\\s+")).toList();
    int port = Integer.parseInt(args[1]);
    int rounds = Integer.parseInt(args[2]);
    List<Target> targets = new ArrayList<>();
    for (int i = 0; i < caches.size(); i++) {
      targets.add(new Target("bench", "pod-" + i, "node-" + i, caches.get(i)[0], port, null));
    }
    OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    try (CacheStatisticsGatherer g = new CacheStatisticsGatherer(null, () -> null, false,
        HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build())) {
      g.track("bench", targets);
      for (int r = 0; r < 5; r++) {
        g.gather(); // warm-up: connections, JIT on both sides
      }
      // what the caches burn doing nothing for as long as the rounds take (timers, GC): subtracted
      long idle0 = cachesCpu(caches);
      long tIdle = System.nanoTime();
      Thread.sleep(rounds * 1000L);
      double idlePerSecond = (cachesCpu(caches) - idle0) / ((System.nanoTime() - tIdle) / 1e9);
      long cacheCpu0 = cachesCpu(caches);
      long cpu0 = os.getProcessCpuTime();
      long bytes0 = g.bytesRead();
      long scrapes0 = g.scrapes();
      long t0 = System.nanoTime();
      for (int r = 0; r < rounds; r++) {
        g.gather();
      }
      long wall = System.nanoTime() - t0;
      long cpu = os.getProcessCpuTime() - cpu0;
      long scrapes = g.scrapes() - scrapes0;
      long cacheCpu = cachesCpu(caches) - cacheCpu0 - (long) (idlePerSecond * wall / 1e9);
      var s = g.summary("bench");
      System.out.printf("caches %d, rounds %d, scrapes %d (reporting %d, not %d)%n", caches.size(), rounds, scrapes,
          s.nodesReporting, s.nodesNotReporting);
      System.out.printf("operator: %.1f ms CPU per round (%.3f ms per scrape), %.0f ms wall per round, "
          + "%.0f bytes per scrape (body)%n", cpu / 1e6 / rounds, cpu / 1e6 / scrapes, wall / 1e6 / rounds,
          (double) (g.bytesRead() - bytes0) / scrapes);
      System.out.printf("caches: %.3f ms CPU per filtered scrape (all caches' CPU while gathering, less their idle "
          + "%.1f ms/s, / scrapes)%n", cacheCpu / 1e6 / scrapes, idlePerSecond / 1e6);
    }
    // what one Prometheus scrape of everything costs a cache
    String ip = caches.get(0)[0];
    HttpClient http = HttpClient.newHttpClient();
    HttpRequest full = HttpRequest.newBuilder(URI.create("http://" + ip + ":" + port + "/metrics")).build();
    HttpRequest gz = HttpRequest.newBuilder(URI.create("http://" + ip + ":" + port + "/metrics"))
        .header("Accept-Encoding", "gzip").build();
    for (int i = 0; i < 500; i++) {
      http.send(full, HttpResponse.BodyHandlers.discarding());
    }
    int n = 2000;
    long c0 = cpuOf(caches.get(0)[1]);
    long size = 0;
    for (int i = 0; i < n; i++) {
      size = http.send(full, HttpResponse.BodyHandlers.ofByteArray()).body().length;
    }
    long c1 = cpuOf(caches.get(0)[1]);
    long gzSize = http.send(gz, HttpResponse.BodyHandlers.ofByteArray()).body().length;
    System.out.printf("full scrape (Prometheus): %.3f ms CPU of the cache per scrape, %d bytes (%d gzipped)%n",
        (c1 - c0) / 1e6 / n, size, gzSize);
  }

  private static long cachesCpu(List<String[]> caches) throws Exception {
    long sum = 0;
    for (String[] c : caches) {
      sum += cpuOf(c[1]);
    }
    return sum;
  }

  /** utime + stime of a process, in nanoseconds (clock ticks of 10 ms). */
  private static long cpuOf(String pid) throws Exception {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000_000L;
  }
}
