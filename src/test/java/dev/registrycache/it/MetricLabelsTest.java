package dev.registrycache.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registrycache.server.CacheApplication;
import io.micrometer.core.instrument.Meter;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Whatever registry a request names, a metric label only ever holds a configured registry or
 * {@code other}: made-up {@code ?ns=} values (one per request, say) cannot grow the number of
 * time series the cache keeps and exports.
 */
class MetricLabelsTest extends CacheTestBase {
  private static final int REQUESTS = 300;

  @Test
  void madeUpRegistryNamesDoNotCreateMeters() throws Exception {
    FakeUpstream upstream = upstream();
    CacheApplication cache = start(setup().registry("docker.io", upstream.url()).registry("quay.io", upstream.url()));
    CacheClient client = new CacheClient(cache.address());
    String digest = TestContent.sha256(new byte[] {1});
    assertEquals(401, client.get("/v2/?ns=docker.io").statusCode()); // the ping: a challenge

    requestsNamingMadeUpRegistries(client, digest, 0);
    int meters = cache.metrics().registry().getMeters().size();
    requestsNamingMadeUpRegistries(client, digest, REQUESTS);
    assertEquals(meters, cache.metrics().registry().getMeters().size(),
        "another " + REQUESTS + " made-up registries, not one more meter");

    Set<String> labels = new TreeSet<>();
    for (Meter m : cache.metrics().registry().find("registry_cache_requests").meters()) {
      labels.add(m.getId().getTag("registry"));
    }
    assertEquals(Set.of("docker.io", "other"), labels);
    assertEquals(2 * REQUESTS, (int) cache.metrics().registry().find("registry_cache_requests")
        .tag("registry", "other").counters().stream().mapToDouble(c -> c.count()).sum(),
        "every request still counted");
    assertEquals(0, upstream.total());
  }

  private static void requestsNamingMadeUpRegistries(CacheClient client, String digest, int first) {
    String[] targets = {"/v2/", "/v2/library/app/manifests/latest", "/v2/library/app/blobs/" + digest,
        "/v2/library/app/tags/list"};
    for (int i = first; i < first + REQUESTS; i++) {
      String target = targets[i % targets.length] + "?ns=r" + i + ".example";
      int status = client.get(target).statusCode();
      // the ping challenges (the registries verify private content); the rest answers or is unknown
      assertTrue(target.startsWith("/v2/?") ? status == 401 : status == 200 || status == 404, target + " -> " + status);
    }
  }
}
