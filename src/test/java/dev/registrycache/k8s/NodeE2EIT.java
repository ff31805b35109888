package dev.registrycache.k8s;

import static dev.registrycache.k8s.KitCluster.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.marcnuri.helm.Helm;
import dev.registrycache.api.v1alpha1.RegistryCache;
import dev.registrycache.operator.NodeConfiguredCondition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * End to end on a real node (../shared/k8s with --node: kubelet 1.20 + containerd 1.6 with
 * config_path /etc/containerd-kit/certs.d): the chart installed with Helm, one RegistryCache,
 * the cache pod writing hosts.toml, kubelet pulling pods' images through it, a second pull
 * served without upstream blob fetches, the cache pod killed, and uninstall leaving certs.d
 * byte for byte as it was. .ci/run builds the image (Jib, onto a local Debian base) into the
 * kit's registry and starts the fake upstreams of ../shared/e2e (docker.io on :15000,
 * quay.io with Basic auth on :15001) before this runs.
 */
class NodeE2EIT {
  static final Path CERTS_D = Path.of("/etc/containerd-kit/certs.d");
  static final String NS = "registry-cache-e2e";
  static final String CTR_SOCK = "/var/tmp/k8s-kit/run/containerd/containerd.sock";
  static final Duration LONG = Duration.ofSeconds(120);
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  /** Every file and directory under certs.d: mode, and content hash for files. */
  static Map<String, String> snapshot() throws Exception {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(CERTS_D)) {
      for (Path p : s.toList()) {
        String mode = java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
        String what = Files.isDirectory(p) ? "dir" : HexFormat.of().formatHex(
            MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
        out.put(CERTS_D.relativize(p).toString(), mode + " " + what);
      }
    }
    return out;
  }

  private String metrics() {
    try {
      return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:5001/metrics")).build(),
          HttpResponse.BodyHandlers.ofString()).body();
    } catch (Exception e) {
      return "";
    }
  }

  private double metric(String text, String line) {
    return text.lines().filter(l -> l.startsWith(line + " ")).mapToDouble(l -> Double.parseDouble(l.substring(line.length() + 1)))
        .findFirst().orElse(0);
  }

  static String ctr(String... args) throws Exception {
    List<String> cmd = new java.util.ArrayList<>(List.of("ctr", "-a", CTR_SOCK, "-n", "k8s.io"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail("ctr " + String.join(" ", args) + " hung");
    }
    System.out.println("ctr " + String.join(" ", args) + ": " + out.strip());
    return out;
  }

  /**
   * Removes images from the node's containerd, under every name (CRI keeps each image under its
   * tag and its digest) and with their blobs, so that kubelet really pulls them again.
   * Returns how many names went.
   */
  static int removeTestImages() throws Exception {
    return removeImages("docker.io/library/e2e-", "quay.io/library/e2e-");
  }

  /** @param prefixes {@code registry/repository} prefixes, each with a repository part */
  static int removeImages(String... prefixes) throws Exception {
    for (String p : prefixes) {
      // the content labels are matched by what follows the registry: without it, everything goes
      assertTrue(p.indexOf('/') > 0 && p.indexOf('/') < p.length() - 1, "a repository prefix, not " + p);
    }
    List<String> refs = ctr("images", "ls", "-q").lines()
        .filter(r -> Stream.of(prefixes).anyMatch(r::startsWith)).toList();
    if (!refs.isEmpty()) {
      List<String> rm = new java.util.ArrayList<>(List.of("images", "rm", "--sync"));
      rm.addAll(refs);
      ctr(rm.toArray(String[]::new));
    }
    // and their blobs, which containerd may keep for a while (leases, unpacked layers)
    List<String> blobs = ctr("content", "ls").lines()
        .filter(l -> Stream.of(prefixes).anyMatch(p -> l.contains("=" + p.substring(p.indexOf('/') + 1))))
        .map(l -> l.split("\\s+")[0]).toList();
    if (!blobs.isEmpty()) {
      List<String> rm = new java.util.ArrayList<>(List.of("content", "rm"));
      rm.addAll(blobs);
      ctr(rm.toArray(String[]::new));
    }
    return refs.size();
  }

  static Pod runPod(KubernetesClient k, String name, String image) {
    return runPod(k, "default", name, image, null);
  }

  /** @param pullSecret the name of an imagePullSecret of the pod, or null */
  static Pod runPod(KubernetesClient k, String ns, String name, String image, String pullSecret) {
    var spec = new PodBuilder().withNewMetadata().withName(name).withNamespace(ns)
        .withLabels(Map.of("e2e", "node")).endMetadata()
        .withNewSpec().withRestartPolicy("Never").addNewContainer().withName("c").withImage(image)
        .withCommand("/bin/true").endContainer();
    if (pullSecret != null) {
      spec = spec.addNewImagePullSecret(pullSecret);
    }
    k.pods().inNamespace(ns).resource(spec.endSpec().build()).create();
    // the test images are synthetic layers without programs: pulled is what counts here
    return await("image of " + name + " pulled (" + image + ")", LONG, () -> {
      Pod p = k.pods().inNamespace(ns).withName(name).get();
      var cs = p == null || p.getStatus() == null ? null : p.getStatus().getContainerStatuses();
      if (cs == null || cs.isEmpty()) {
        return null;
      }
      var waiting = cs.get(0).getState().getWaiting();
      if (waiting != null && (waiting.getReason().contains("ImagePull") || waiting.getReason().contains("ErrImage"))) {
        throw new AssertionError(name + ": " + waiting.getReason() + " " + waiting.getMessage());
      }
      String id = cs.get(0).getImageID();
      return id != null && !id.isEmpty() ? p : null;
    });
  }

  @Test
  void helmInstallOneRegistryCacheAndKubeletPullsThroughTheCache() throws Exception {
    String image = System.getProperty("e2e.image");
    assertTrue(image != null && !image.isBlank(),
        "-De2e.image=REPO:TAG is not set: run .ci/run, which builds the image into the kit's registry");
    startUpstreams();
    try {
      run(image);
    } finally {
      shell(Map.of(), "stop-all.sh");
      leaveNothingBehind();
    }
  }

  /** After a failure half-way: the release, its RegistryCache and namespace go (best effort). */
  private static void leaveNothingBehind() {
    try (KubernetesClient k = KitCluster.admin()) {
      try {
        Helm.uninstall("registry-cache").withNamespace(NS).ignoreNotFound()
            .withKubeConfigContents(Files.readString(KitCluster.ADMIN_KUBECONFIG)).call();
      } catch (RuntimeException e) {
        System.out.println("helm uninstall after the test: " + e.getMessage());
      }
      try {
        k.resources(RegistryCache.class).withName("kit").delete();
      } catch (RuntimeException e) {
        System.out.println("RegistryCache after the test: " + e.getMessage()); // the CRD may be gone
      }
      k.pods().inNamespace("default").withLabel("e2e", "node").delete();
      k.namespaces().withName(NS).delete();
    } catch (Exception e) {
      System.out.println("cleanup after the test: " + e);
    }
  }

  /** The e2e kit's fake registries on their own ports (the cache's e2e run uses 15000-15003). */
  static final Map<String, String> UPSTREAM_ENV = Map.of("E2E_STATE_DIR", "target/node-e2e-state",
      "E2E_UPSTREAM_PORT", "15040", "E2E_UPSTREAM_BASIC_PORT", "15041", "E2E_UPSTREAM_TOKEN_PORT", "15042",
      "E2E_TOKEN_SERVER_PORT", "15043");

  static void startUpstreams() throws Exception {
    shell(Map.of(), "start-upstream.sh", "--auth");
    shell(Map.of(), "make-images.sh", "127.0.0.1:15040", "127.0.0.1:15041=e2e:e2e-password");
  }

  static void shell(Map<String, String> extra, String script, String... args) throws Exception {
    List<String> cmd = new java.util.ArrayList<>(List.of("bash", Path.of("../shared/e2e", script).toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().putAll(UPSTREAM_ENV);
    pb.environment().putAll(extra);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      fail(script + " failed: " + out);
    }
  }

  private void run(String image) throws Exception {
    try (KubernetesClient k = KitCluster.admin()) {
      await("node kit-node Ready (start-cluster.sh --node)", Duration.ofSeconds(60), () ->
          k.nodes().withName("kit-node").get().getStatus().getConditions().stream()
              .anyMatch(c -> c.getType().equals("Ready") && c.getStatus().equals("True")));
      removeTestImages(); // kubelet pulls only what the node does not have
      Map<String, String> before = snapshot();
      // a cache directory of this run's own: the node keeps what earlier runs cached
      Path storage = Path.of("/var/tmp/registry-cache-e2e-" + System.currentTimeMillis());
      int colon = image.lastIndexOf(':');
      Path values = Files.createTempFile("kit-values", ".yaml");
      Files.writeString(values, "image: {repository: \"" + image.substring(0, colon) + "\", tag: \""
          + image.substring(colon + 1) + "\"}\nhostNetwork: true\nmetrics: {port: 18090}\n"
          + "extraEnv:\n  - {name: KUBERNETES_SERVICE_HOST, value: \"127.0.0.1\"}\n"
          + "  - {name: KUBERNETES_SERVICE_PORT, value: \"16043\"}\n");
      String kubeconfig = Files.readString(KitCluster.ADMIN_KUBECONFIG);

      long t0 = System.nanoTime();
      new Helm(Path.of("charts/registry-cache")).install().withName("registry-cache").withNamespace(NS)
          .createNamespace().withValuesFile(values).withKubeConfigContents(kubeconfig).call();
      // the user's own RegistryCache, applied by hand as the README says, with credentials from a
      // Secret in the operator's namespace
      k.secrets().inNamespace(NS).resource(quayCredentials("e2e-password")).forceConflicts().serverSideApply();
      k.resources(RegistryCache.class).resource(kitCache(storage)).forceConflicts().serverSideApply();

      // 2. the cache pod becomes Ready and the node's hosts.toml files point at it
      await("RegistryCache kit 1/1", LONG, () -> {
        RegistryCache rc = k.resources(RegistryCache.class).withName("kit").get();
        return rc != null && rc.getStatus() != null && "1/1".equals(rc.getStatus().ready) ? rc : null;
      });
      for (String reg : List.of("docker.io", "quay.io")) {
        String toml = Files.readString(CERTS_D.resolve(reg).resolve("hosts.toml"));
        assertTrue(toml.contains("[host.\"http://127.0.0.1:5000\"]"), reg + ": " + toml);
      }
      String table = KitCluster.kubectl("get", "regcache", "kit");
      assertTrue(table.contains("1/1") && table.contains("AllNodesCaching"), table);
      // the cache pod reached the API server and wrote its node's state into its pod status
      await("the cache pod's NodeConfigured condition", LONG, () -> k.pods().inNamespace(NS)
          .withLabel("registrycache.dev/cache", "kit").list().getItems().stream()
          .anyMatch(p -> NodeConfiguredCondition.on(p).filter(c -> "True".equals(c.getStatus())
              && NodeConfiguredCondition.CONFIGURED.equals(c.getReason())).isPresent()));
      assertTrue(k.v1().events().inNamespace("default").list().getItems().stream()
          .filter(e -> "kit".equals(e.getInvolvedObject().getName()))
          .noneMatch(e -> "Warning".equals(e.getType())), "a healthy start has no Warning event");
      theCachePodSeesOnlyWhatItMustWrite(k, storage);

      // 3. pods' images come through the cache
      runPod(k, "e2e-small", "docker.io/library/e2e-small:v1");
      double firstPullSeconds = (System.nanoTime() - t0) / 1e9;
      runPod(k, "e2e-multi", "docker.io/library/e2e-multi:v1");
      runPod(k, "e2e-quay", "quay.io/library/e2e-docker:v1");
      String m1 = metrics();
      double fetched = metric(m1, "registry_cache_upstream_fetched_bytes_total{registry=\"docker.io\"}")
          + metric(m1, "registry_cache_upstream_fetched_bytes_total{registry=\"quay.io\"}");
      assertTrue(fetched > 0, "the cache fetched the layers from the upstreams: " + m1);
      System.out.printf("helm install to first cached pull: %.1f s%n", firstPullSeconds);

      // the same images again, really pulled again (removed from containerd first): no upstream blob bytes
      k.pods().inNamespace("default").withName("e2e-small").delete();
      k.pods().inNamespace("default").withName("e2e-multi").delete();
      k.pods().inNamespace("default").withName("e2e-quay").delete();
      await("pods gone", LONG, () -> k.pods().inNamespace("default").list().getItems().stream()
          .noneMatch(p -> p.getMetadata().getName().startsWith("e2e-")));
      assertTrue(removeTestImages() >= 3, "the first pulls left images in containerd");
      double hitsBefore = metric(m1, "registry_cache_lookups_total{kind=\"blob\",registry=\"docker.io\",result=\"hit\"}");
      long t1 = System.nanoTime();
      runPod(k, "e2e-small2", "docker.io/library/e2e-small:v1");
      System.out.printf("second pull of e2e-small (from the node's cache): %.2f s%n", (System.nanoTime() - t1) / 1e9);
      runPod(k, "e2e-multi2", "docker.io/library/e2e-multi:v1");
      runPod(k, "e2e-quay2", "quay.io/library/e2e-docker:v1");
      String m2 = metrics();
      double fetched2 = metric(m2, "registry_cache_upstream_fetched_bytes_total{registry=\"docker.io\"}")
          + metric(m2, "registry_cache_upstream_fetched_bytes_total{registry=\"quay.io\"}");
      assertEquals(fetched, fetched2, "the second pulls fetched no blob bytes upstream");
      assertTrue(metric(m2, "registry_cache_lookups_total{kind=\"blob\",registry=\"docker.io\",result=\"hit\"}") > hitsBefore,
          "the second pulls were blob hits: " + m2);
      String rss = Files.readString(Path.of("/proc/" + cachePid() + "/status")).lines()
          .filter(l -> l.startsWith("VmRSS")).findFirst().orElse("?");
      System.out.println("cache pod " + rss);
      comparePullTimes(fetched2);
      privateImagesReachOnlyPodsThatCouldPullThemThemselves(k);
      thePeersAreFoundThroughTheApiServerAndOnlyTheyGetIn(k);
      aRotatedPasswordReachesTheCacheWithoutARestart(k);
      aRolloutThatCannotRunIsInTheStatus(k);

      // 4. the cache pod is killed: pulls still work (containerd falls back), and it comes back
      Pod cachePod = k.pods().inNamespace(NS).withLabel("registrycache.dev/cache", "kit").list().getItems().get(0);
      k.pods().inNamespace(NS).withName(cachePod.getMetadata().getName()).withGracePeriod(0).delete();
      // the node's own docker.io configuration (kept after the cache's host) serves kit-busybox
      removeImages("docker.io/library/kit-busybox");
      runPod(k, "e2e-fallback", "docker.io/library/kit-busybox:1");
      await("a new cache pod Ready", LONG, () -> k.pods().inNamespace(NS).withLabel("registrycache.dev/cache", "kit")
          .list().getItems().stream().anyMatch(p -> !p.getMetadata().getUid().equals(cachePod.getMetadata().getUid())
              && p.getStatus().getConditions().stream().anyMatch(c -> c.getType().equals("Ready") && c.getStatus().equals("True"))));
      await("entries back", LONG, () -> {
        try {
          return Files.readString(CERTS_D.resolve("docker.io/hosts.toml")).contains("127.0.0.1:5000");
        } catch (java.io.IOException e) {
          return false;
        }
      });

      // 5. uninstall: the hook deletes the hand-made RegistryCache, its pod restores the node
      for (String p : List.of("e2e-small2", "e2e-multi2", "e2e-quay2", "e2e-fallback")) {
        k.pods().inNamespace("default").withName(p).delete();
      }
      long u0 = System.nanoTime();
      Helm.uninstall("registry-cache").withNamespace(NS).withKubeConfigContents(kubeconfig).call();
      System.out.printf("helm uninstall: %.1f s%n", (System.nanoTime() - u0) / 1e9);
      assertTrue(k.resources(RegistryCache.class).list().getItems().isEmpty(), "every RegistryCache ended by the hook");
      await("operator and cache pods gone", LONG, () -> k.pods().inNamespace(NS).list().getItems().isEmpty());
      assertEquals(before, snapshot(), "certs.d byte for byte as before the install");
      k.namespaces().withName(NS).delete();
      assertTrue(k.rbac().clusterRoles().withLabel("app.kubernetes.io/instance", "registry-cache").list().getItems().isEmpty());
      assertFalse(Files.exists(CERTS_D.resolve("_backup")), "no backup left behind");
      // the CRD stays after helm uninstall; deleting it never waits for an operator
      k.apiextensions().v1().customResourceDefinitions().withName("registrycaches.registrycache.dev").delete();
      await("the CRD gone, nothing Terminating", Duration.ofSeconds(30), () -> k.apiextensions().v1()
          .customResourceDefinitions().withName("registrycaches.registrycache.dev").get() == null);
      try (Stream<Path> files = Files.walk(storage)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /**
   * An image only the Basic upstream has, in a registry the RegistryCache has no credentials
   * for: a pod with an imagePullSecret gets it through the cache (containerd sends the secret's
   * credentials after the cache's 401 challenge), a second pull of it comes from the node's disk;
   * a pod in another namespace without the secret gets ErrImagePull, before and after it is
   * cached; a public image needs no credentials in either namespace.
   */
  /** The whole repository: removeImages also matches content labels by what follows the registry. */
  private static final String PRIVATE_IMAGE = "private.example/team/private";

  private void privateImagesReachOnlyPodsThatCouldPullThemThemselves(KubernetesClient k) throws Exception {
    Path layout = Files.createTempDirectory("private-image");
    exec(List.of("python3", "../shared/e2e/mkimage.py", "--out", layout.toString(), "--tag", "v1",
        "--layers", "64K,1M", "--seed", "kit-private-" + System.nanoTime(), "--layout", "oci"));
    exec(List.of("skopeo", "copy", "--quiet", "--dest-tls-verify=false", "--dest-creds", "e2e:e2e-password",
        "oci:" + layout + ":v1", "docker://127.0.0.1:15041/team/private:v1"));
    String image = "private.example/team/private:v1";
    String fetchedLine = "registry_cache_upstream_fetched_bytes_total{registry=\"private.example\"}";
    for (String ns : List.of("team-a", "team-b")) {
      k.namespaces().resource(new io.fabric8.kubernetes.api.model.NamespaceBuilder().withNewMetadata()
          .withName(ns).endMetadata().build()).serverSideApply();
    }
    String dockerConfig = "{\"auths\":{\"private.example\":{\"auth\":\""
        + java.util.Base64.getEncoder().encodeToString("e2e:e2e-password".getBytes()) + "\"}}}";
    k.secrets().inNamespace("team-a").resource(new SecretBuilder().withNewMetadata().withName("pull").endMetadata()
        .withType("kubernetes.io/dockerconfigjson").withStringData(Map.of(".dockerconfigjson", dockerConfig))
        .build()).serverSideApply();
    try {
      removeImages(PRIVATE_IMAGE);
      // 1. without the secret, before anyone cached it: refused, as by the registry itself
      assertPullRefused(k, "team-b", "no-secret-1", image);
      // 2. with the secret: through the cache, fetched upstream with the pod's credentials
      double before = metric(metrics(), fetchedLine);
      runPod(k, "team-a", "with-secret-1", image, "pull");
      double fetched = metric(metrics(), fetchedLine);
      assertTrue(fetched > before, "the cache fetched the private image: " + before + " -> " + fetched);
      // 3. again, really pulled again: from the node's disk
      k.pods().inNamespace("team-a").withName("with-secret-1").delete();
      await("pod gone", LONG, () -> k.pods().inNamespace("team-a").withName("with-secret-1").get() == null);
      assertTrue(removeImages(PRIVATE_IMAGE) >= 1, "the first pull left the image in containerd");
      runPod(k, "team-a", "with-secret-2", image, "pull");
      assertEquals(fetched, metric(metrics(), fetchedLine), "the second pull fetched no blob bytes upstream");
      k.pods().inNamespace("team-a").withName("with-secret-2").delete();
      await("pod gone", LONG, () -> k.pods().inNamespace("team-a").withName("with-secret-2").get() == null);
      removeImages(PRIVATE_IMAGE);
      // 4. without the secret, now that the node's cache holds it: still refused
      assertPullRefused(k, "team-b", "no-secret-2", image);
      String cacheLog = k.pods().inNamespace(NS).withLabel("registrycache.dev/cache", "kit").list().getItems()
          .stream().map(p -> k.pods().inNamespace(NS).withName(p.getMetadata().getName()).getLog())
          .reduce("", String::concat);
      assertTrue(cacheLog.contains("private.example"), "the cache pod's log: " + cacheLog.length() + " chars");
      assertFalse(cacheLog.contains("e2e-password") || cacheLog.contains(
          java.util.Base64.getEncoder().encodeToString("e2e:e2e-password".getBytes())), "a pod's password in the log");
      // 5. a public image: no credentials anywhere, in either namespace
      removeImages("docker.io/library/e2e-dockerlist");
      runPod(k, "team-b", "public-b", "docker.io/library/e2e-dockerlist:v1", null);
      runPod(k, "team-a", "public-a", "docker.io/library/e2e-dockerlist:v1", null);
    } finally {
      for (String ns : List.of("team-a", "team-b")) {
        k.namespaces().withName(ns).delete();
      }
      removeImages(PRIVATE_IMAGE);
    }
  }

  private static void exec(List<String> cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      fail(String.join(" ", cmd) + " failed: " + out);
    }
  }

  /** A pod whose image pull must fail (ErrImagePull or ImagePullBackOff), pulled with imagePullPolicy Always. */
  private static void assertPullRefused(KubernetesClient k, String ns, String name, String image) {
    k.pods().inNamespace(ns).resource(new PodBuilder().withNewMetadata().withName(name).endMetadata()
        .withNewSpec().withRestartPolicy("Never").addNewContainer().withName("c").withImage(image)
        .withImagePullPolicy("Always").withCommand("/bin/true").endContainer().endSpec().build()).create();
    String reason;
    try {
      reason = awaitRefusal(k, ns, name);
    } catch (AssertionError e) {
      Pod p = k.pods().inNamespace(ns).withName(name).get();
      throw new AssertionError(e.getMessage() + "; pod status " + (p == null ? null : p.getStatus()) + "; events "
          + k.v1().events().inNamespace(ns).list().getItems().stream().map(ev -> ev.getReason() + ": " + ev.getMessage())
          .toList(), e);
    }
    System.out.println(ns + "/" + name + " without credentials: " + reason);
    k.pods().inNamespace(ns).withName(name).withGracePeriod(0).delete();
  }

  private static String awaitRefusal(KubernetesClient k, String ns, String name) {
    return await(name + ": the pull refused", LONG, () -> {
      Pod p = k.pods().inNamespace(ns).withName(name).get();
      var cs = p == null || p.getStatus() == null ? null : p.getStatus().getContainerStatuses();
      if (cs == null || cs.isEmpty()) {
        return null;
      }
      assertTrue(cs.get(0).getImageID() == null || cs.get(0).getImageID().isEmpty(),
          name + " got the image: " + cs.get(0));
      var waiting = cs.get(0).getState().getWaiting();
      return waiting != null && (waiting.getReason().equals("ErrImagePull") || waiting.getReason().equals("ImagePullBackOff"))
          ? waiting.getReason() + ": " + waiting.getMessage() : null;
    });
  }

  private static io.fabric8.kubernetes.api.model.Secret quayCredentials(String password) {
    return new SecretBuilder().withNewMetadata().withName("quay-creds").withNamespace(NS).endMetadata()
        .withStringData(Map.of("username", "e2e", "password", password)).build();
  }

  static RegistryCache kitCache(Path storage) {
    return new io.fabric8.kubernetes.client.utils.KubernetesSerialization().unmarshal("apiVersion: registrycache.dev/v1alpha1\n"
        + "kind: RegistryCache\nmetadata: {name: kit}\nspec:\n  registries:\n"
        + "    - {name: docker.io, url: \"http://127.0.0.1:15040\"}\n"
        + "    - {name: quay.io, url: \"http://127.0.0.1:15041\", credentialsSecretRef: {namespace: " + NS
        + ", name: quay-creds}}\n"
        // the same Basic upstream without credentials: its images are private to pods that have theirs
        + "    - {name: private.example, url: \"http://127.0.0.1:15041\"}\n"
        + "  storage: {hostPath: " + storage + "}\n"
        + "  runtimes:\n    containerd: {mode: enabled, configDir: /etc/containerd-kit/certs.d}\n"
        + "    crio: {mode: disabled}\n", RegistryCache.class);
  }

  /**
   * The quay.io password rotated twice in its Secret (wrong, then right again): each time the
   * cache uses the new one for its next upstream request, within the kubelet's sync period,
   * with the same pod (no restart, the pod template unchanged). A tag list of a repository the
   * cache has not stored goes upstream every time, so it shows which password is in use:
   * refused upstream with the wrong one, listed with the right one.
   */
  private void aRotatedPasswordReachesTheCacheWithoutARestart(KubernetesClient k) throws Exception {
    Pod pod = k.pods().inNamespace(NS).withLabel("registrycache.dev/cache", "kit").list().getItems().get(0);
    String template = pod.getMetadata().getLabels().get("controller-revision-hash");
    String tags = "http://127.0.0.1:5000/v2/e2e-org/e2e-app/tags/list?ns=quay.io";
    assertTrue(get(tags).contains("\"v1\""), "listed with the password in use: " + get(tags));
    long r0 = System.nanoTime();
    k.secrets().inNamespace(NS).resource(quayCredentials("not-the-password")).forceConflicts().serverSideApply();
    String refused = await("the cache uses the wrong password (" + tags + ")", Duration.ofSeconds(240), () -> {
      String answer = get(tags);
      return answer.contains("answered 401") ? answer : null;
    });
    System.out.printf("a rotated password in use after %.0f s (%s)%n", (System.nanoTime() - r0) / 1e9, refused.strip());
    long r1 = System.nanoTime();
    k.secrets().inNamespace(NS).resource(quayCredentials("e2e-password")).forceConflicts().serverSideApply();
    await("the cache uses the right password again", Duration.ofSeconds(240), () -> get(tags).contains("\"v1\""));
    System.out.printf("and back after %.0f s%n", (System.nanoTime() - r1) / 1e9);
    Pod after = k.pods().inNamespace(NS).withLabel("registrycache.dev/cache", "kit").list().getItems().get(0);
    assertEquals(pod.getMetadata().getUid(), after.getMetadata().getUid(), "the same pod: no restart");
    assertEquals(0, after.getStatus().getContainerStatuses().get(0).getRestartCount(), "no container restart");
    assertEquals(template, after.getMetadata().getLabels().get("controller-revision-hash"), "the same template");
  }

  /**
   * The peer endpoint on the node's address (127.0.0.1 under hostNetwork here): refused without the
   * token the operator keeps in the credentials Secret, a stored blob or a tag with it, nothing else. The caches
   * find each other through the API server: the EndpointSlice controller lists this cache pod in
   * the peers Service's slice, which the cache watches with its node role, so it knows itself; a
   * second ready endpoint in a slice of that Service (a node this one-node cluster cannot have, at
   * an address where no cache listens) is a peer too, and a blob it owns is still served, from
   * upstream, with the peer counted unreachable. Gone from the slices, it is forgotten.
   */
  private void thePeersAreFoundThroughTheApiServerAndOnlyTheyGetIn(KubernetesClient k) throws Exception {
    await("the cache knows itself from the EndpointSlice", LONG, () -> metric(metrics(), "registry_cache_peers") == 1);
    String service = "registry-cache-kit-peers";
    assertEquals("None", k.services().inNamespace(NS).withName(service).get().getSpec().getClusterIP());
    String token = new String(java.util.Base64.getDecoder().decode(k.secrets().inNamespace(NS)
        .withName("registry-cache-kit-credentials").get().getData().get("peer.token")), StandardCharsets.UTF_8);
    byte[] stored = java.util.Arrays.copyOf(("peer check " + System.nanoTime()).getBytes(StandardCharsets.UTF_8), 300_000);
    String digest = pushBlob("library/e2e-peer", stored);
    String viaCache = "http://127.0.0.1:5000/v2/library/e2e-peer/blobs/" + digest + "?ns=docker.io";
    assertEquals(200, send(viaCache, Map.of()).statusCode(), "stored through the node's cache");

    String peerUrl = "http://127.0.0.1:5003/v2/docker.io/library/e2e-peer/blobs/" + digest;
    HttpResponse<byte[]> anonymous = send(peerUrl, Map.of());
    assertEquals(401, anonymous.statusCode(), "no token, no blob");
    assertTrue(anonymous.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer"));
    assertEquals(401, send(peerUrl, Map.of("Authorization", "Bearer " + token + "x")).statusCode(), "a wrong token");
    HttpResponse<byte[]> peer = send(peerUrl, Map.of("Authorization", "Bearer " + token));
    assertEquals(200, peer.statusCode());
    assertTrue(java.util.Arrays.equals(stored, peer.body()), "the stored blob, byte for byte");
    HttpResponse<byte[]> tag = send("http://127.0.0.1:5003/v2/docker.io/library/e2e-small/manifests/v1",
        Map.of("Authorization", "Bearer " + token, "Accept", "application/vnd.oci.image.manifest.v1+json, "
            + "application/vnd.docker.distribution.manifest.v2+json"));
    assertEquals(200, tag.statusCode(), "a tag, as the node's cache has it");
    assertTrue(tag.headers().firstValue("Age").isPresent(), "with how long ago upstream confirmed it");
    assertEquals(405, send("http://127.0.0.1:5003/v2/docker.io/library/e2e-small/tags/list",
        Map.of("Authorization", "Bearer " + token)).statusCode(), "blobs and manifests only");

    var slice = new io.fabric8.kubernetes.api.model.discovery.v1beta1.EndpointSliceBuilder().withNewMetadata()
        .withName(service + "-other-node").withNamespace(NS)
        .withLabels(Map.of("kubernetes.io/service-name", service, "endpointslice.kubernetes.io/managed-by", "e2e"))
        .endMetadata().withAddressType("IPv4")
        .addNewEndpoint().withAddresses("127.0.0.9").withNewConditions().withReady(true).endConditions()
        .withTopology(Map.of("kubernetes.io/hostname", "kit-node-2")).endEndpoint()
        .addNewPort().withName("peer").withPort(5003).withProtocol("TCP").endPort().build();
    k.discovery().v1beta1().endpointSlices().inNamespace(NS).resource(slice).create();
    await("a second peer from its EndpointSlice", LONG, () -> metric(metrics(), "registry_cache_peers") == 2);
    // the operator reads it from the cache's /metrics (once a minute) into the status
    RegistryCache seen = await("status.statistics.peers 2", Duration.ofSeconds(200), () -> {
      RegistryCache rc = k.resources(RegistryCache.class).withName("kit").get();
      return rc.getStatus().statistics != null && "2".equals(rc.getStatus().statistics.peers) ? rc : null;
    });
    String table = KitCluster.kubectl("get", "regcache", "kit");
    assertTrue(table.contains("PEERS") && table.lines().skip(1).findFirst().orElse("").matches(".*\\s2\\s.*"), table);
    System.out.println("peers in the status: " + seen.getStatus().statistics.peers + "\n" + table);
    var peers = List.of(new dev.registrycache.peer.Peer("kit-node", "127.0.0.1", 5003, null),
        new dev.registrycache.peer.Peer("kit-node-2", "127.0.0.9", 5003, null));
    byte[] owned = null;
    String ownedDigest = null;
    for (int i = 0; i < 64 && owned == null; i++) {
      byte[] candidate = java.util.Arrays.copyOf(("peer owned " + i + " " + System.nanoTime())
          .getBytes(StandardCharsets.UTF_8), 200_000);
      String d = "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(candidate));
      if (dev.registrycache.peer.Rendezvous.owner(d, peers).orElseThrow().name().equals("kit-node-2")) {
        owned = candidate;
        ownedDigest = d;
      }
    }
    assertTrue(owned != null, "one blob in 64 owned by the other node");
    assertEquals(ownedDigest, pushBlob("library/e2e-peer", owned));
    String unreachableBlobs = "registry_cache_peer_fetches_total{kind=\"blob\",result=\"unreachable\"}";
    double unreachable = metric(metrics(), unreachableBlobs);
    HttpResponse<byte[]> failedOver = send("http://127.0.0.1:5000/v2/library/e2e-peer/blobs/" + ownedDigest
        + "?ns=docker.io", Map.of());
    assertEquals(200, failedOver.statusCode());
    assertTrue(java.util.Arrays.equals(owned, failedOver.body()), "served from upstream instead");
    assertEquals(unreachable + 1, metric(metrics(), unreachableBlobs),
        "the owner was tried first and counted unreachable");
    k.discovery().v1beta1().endpointSlices().inNamespace(NS).withName(service + "-other-node").delete();
    await("the other node forgotten", LONG, () -> metric(metrics(), "registry_cache_peers") == 1);
  }

  private HttpResponse<byte[]> send(String url, Map<String, String> headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30));
    headers.forEach(b::header);
    return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  /** Uploads a blob to the docker.io upstream (a distribution registry) in two requests; returns its digest. */
  private String pushBlob(String repository, byte[] bytes) throws Exception {
    String digest = "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    HttpResponse<String> started = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:15040/v2/" + repository
        + "/blobs/uploads/")).POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(202, started.statusCode(), started.body());
    URI location = URI.create("http://127.0.0.1:15040/").resolve(started.headers().firstValue("Location").orElseThrow());
    String put = location + (location.getQuery() == null ? "?" : "&") + "digest=" + digest;
    HttpResponse<String> done = http.send(HttpRequest.newBuilder(URI.create(put)).header("Content-Type",
        "application/octet-stream").PUT(HttpRequest.BodyPublishers.ofByteArray(bytes)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(201, done.statusCode(), done.body());
    return digest;
  }

  private String get(String url) {
    try {
      return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString()).body();
    } catch (Exception e) {
      return "(" + e + ")";
    }
  }

  /** Of the node, the pod mounts the storage directory and containerd's mirror directory writable, nothing else. */
  private static void theCachePodSeesOnlyWhatItMustWrite(KubernetesClient k, Path storage) {
    Pod pod = k.pods().inNamespace(NS).withLabel("registrycache.dev/cache", "kit").list().getItems().get(0);
    Map<String, String> hostPaths = new TreeMap<>();
    pod.getSpec().getVolumes().stream().filter(v -> v.getHostPath() != null)
        .forEach(v -> hostPaths.put(v.getName(), v.getHostPath().getPath()));
    assertEquals(Map.of("storage", storage.toString(), "containerd-config", "/etc/containerd-kit/certs.d"), hostPaths,
        "no other host path, and never /etc");
    assertTrue(pod.getSpec().getContainers().get(0).getSecurityContext().getReadOnlyRootFilesystem());
    assertEquals(null, pod.getSpec().getHostPID(), "containerd only: not the node's processes");
  }

  /**
   * A spec no node can run (an image that does not exist): the rollout is reported stuck with the
   * node and kubelet's reason, then the old spec again and every node caches.
   */
  private static void aRolloutThatCannotRunIsInTheStatus(KubernetesClient k) {
    String good = k.apps().daemonSets().inNamespace(NS).withName("registry-cache-kit").get().getSpec().getTemplate()
        .getSpec().getContainers().get(0).getImage();
    k.resources(RegistryCache.class).withName("kit").edit(rc -> {
      rc.getSpec().image = good.substring(0, good.lastIndexOf(':')) + ":no-such-tag";
      return rc;
    });
    RegistryCache stuck = await("Progressing RolloutStuck", LONG, () -> {
      RegistryCache rc = k.resources(RegistryCache.class).withName("kit").get();
      return rc.getStatus().conditions.stream().anyMatch(c -> c.getType().equals("Progressing")
          && c.getStatus().equals("True") && c.getReason().equals("RolloutStuck")) ? rc : null;
    });
    var degraded = stuck.getStatus().conditions.stream().filter(c -> c.getType().equals("Degraded")).findFirst()
        .orElseThrow();
    assertEquals("True", degraded.getStatus());
    assertTrue(degraded.getMessage().contains("kit-node") && degraded.getMessage().matches("(?s).*(ErrImagePull|ImagePullBackOff).*"),
        degraded.getMessage());
    System.out.println("a stuck rollout: " + degraded.getMessage());
    k.resources(RegistryCache.class).withName("kit").edit(rc -> {
      rc.getSpec().image = null;
      return rc;
    });
    await("every node caches again", LONG, () -> {
      RegistryCache rc = k.resources(RegistryCache.class).withName("kit").get();
      return "1/1".equals(rc.getStatus().ready) && rc.getStatus().conditions.stream()
          .anyMatch(c -> c.getType().equals("Progressing") && c.getReason().equals("UpToDate"));
    });
  }

  /**
   * The same image pulled by containerd straight from its registry and through the node's
   * cache (warm), alternately, three times each, every pull from an empty content store. The
   * upstream is a registry on this machine, so this shows the cache's cost or gain on a hit
   * where the network costs nothing; against a real registry the direct pull also pays for the
   * distance.
   */
  private void comparePullTimes(double fetchedBefore) throws Exception {
    String viaCache = "docker.io/library/e2e-multi:v1";
    String direct = "127.0.0.1:15040/library/e2e-multi:v1";
    List<Double> without = new java.util.ArrayList<>();
    List<Double> with = new java.util.ArrayList<>();
    for (int round = 0; round < 3; round++) {
      removeImages("docker.io/library/e2e-", "127.0.0.1:15040/library/e2e-");
      without.add(timedPull(direct, "--plain-http"));
      removeImages("docker.io/library/e2e-", "127.0.0.1:15040/library/e2e-");
      with.add(timedPull(viaCache, "--hosts-dir", CERTS_D.toString()));
    }
    removeImages("docker.io/library/e2e-", "127.0.0.1:15040/library/e2e-");
    String m = metrics();
    assertEquals(fetchedBefore, metric(m, "registry_cache_upstream_fetched_bytes_total{registry=\"docker.io\"}")
        + metric(m, "registry_cache_upstream_fetched_bytes_total{registry=\"quay.io\"}"),
        "the pulls through the cache were hits");
    System.out.printf("pull of %s with ctr, median of 3: without the cache %.2f s, through the cache %.2f s%n",
        viaCache, median(without), median(with));
  }

  private static double timedPull(String ref, String... options) throws Exception {
    List<String> args = new java.util.ArrayList<>(List.of("images", "pull"));
    args.addAll(List.of(options));
    args.add(ref);
    long t = System.nanoTime();
    ctr(args.toArray(String[]::new));
    double seconds = (System.nanoTime() - t) / 1e9;
    assertTrue(ctr("images", "ls", "-q").lines().anyMatch(ref::equals), ref + " pulled");
    return seconds;
  }

  private static double median(List<Double> xs) {
    List<Double> sorted = xs.stream().sorted().toList();
    return sorted.get(sorted.size() / 2);
  }

  /** The cache's process on the node (the pod shares the host's PID view of /proc). */
  private static String cachePid() throws Exception {
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      for (Path p : procs.filter(d -> d.getFileName().toString().matches("\\d+")).toList()) {
        try {
          String cmd = Files.readString(p.resolve("cmdline")).replace('\0', ' ');
          if (cmd.contains("dev.registrycache.Main cache") && cmd.contains("/etc/registry-cache/config.yaml")) {
            return p.getFileName().toString();
          }
        } catch (java.io.IOException gone) {
          // exited meanwhile
        }
      }
    }
    return "self";
  }
}
