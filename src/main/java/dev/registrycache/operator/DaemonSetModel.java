package dev.registrycache.operator;

import dev.registrycache.api.v1alpha1.RegistryCache;
import dev.registrycache.api.v1alpha1.RegistryCacheSpec;
import dev.registrycache.api.v1alpha1.RuntimeSpec;
import dev.registrycache.api.v1alpha1.UpstreamProxySpec;
import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.AffinityBuilder;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.DaemonSetBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The cache DaemonSet of a RegistryCache: one pod per selected node, in the node's network
 * namespace with the cache on the node's loopback, writing the runtime's mirror entries
 * ({@code --configure-node}) and removing them on SIGTERM. It runs as root, because the
 * runtime configuration it writes belongs to root, with a read-only root filesystem, no
 * privilege escalation and only the capabilities needed to write and restore files owned by
 * others.
 */
public final class DaemonSetModel {
  /** Where the node's directories appear in the pod (the cache's {@code --host-root}). */
  public static final String HOST_ROOT = "/host";
  public static final String CONTAINERD_DEFAULT_DIR = "/etc/containerd/certs.d";
  public static final String CRIO_DEFAULT_DIR = "/etc/containers/registries.conf.d";
  /** Long enough for the pod to restore the node's configuration on SIGTERM. */
  public static final long TERMINATION_GRACE_SECONDS = 60;
  static final List<String> CAPABILITIES = List.of("CHOWN", "DAC_OVERRIDE", "FOWNER");
  /**
   * Bound of the pod's writable /tmp (the native transport's library is unpacked there). An
   * empty {@code emptyDir: {}} would also not survive server-side apply's field tracking, and
   * the DaemonSet would be applied again at every reconciliation.
   */
  static final String TMP_SIZE = "64Mi";

  private DaemonSetModel() {}

  /** The DaemonSet of a RegistryCache that shares no nodes with another one. */
  public static DaemonSet desired(RegistryCache rc, OperatorSettings settings, CacheConfigModel config) {
    return desired(rc, settings, config, NodeSelection.of(rc, List.of()));
  }

  /** @param selection its nodes; those older overlapping RegistryCaches keep are left out by node affinity */
  public static DaemonSet desired(RegistryCache rc, OperatorSettings settings, CacheConfigModel config,
      NodeSelection selection) {
    RegistryCacheSpec spec = rc.effectiveSpec();
    List<Volume> volumes = new ArrayList<>();
    List<VolumeMount> mounts = new ArrayList<>();
    volumes.add(new VolumeBuilder().withName("storage").withNewHostPath()
        .withPath(spec.storage.hostPath).withType("DirectoryOrCreate").endHostPath().build());
    mounts.add(mount("storage", CacheConfigModel.STORAGE_MOUNT, false));
    volumes.add(new VolumeBuilder().withName("config").withNewConfigMap()
        .withName(ResourceNames.configMap(rc)).endConfigMap().build());
    mounts.add(mount("config", CacheConfigModel.CONFIG_MOUNT, true));
    if (!config.secretData().isEmpty()) {
      volumes.add(new VolumeBuilder().withName("credentials").withNewSecret()
          .withSecretName(ResourceNames.credentialsSecret(rc)).withDefaultMode(0400).endSecret().build());
      mounts.add(mount("credentials", CacheConfigModel.CREDENTIALS_MOUNT, true));
    }
    volumes.add(new VolumeBuilder().withName("tmp").withNewEmptyDir().withSizeLimit(new Quantity(TMP_SIZE))
        .endEmptyDir().build());
    mounts.add(mount("tmp", "/tmp", false));

    List<EnvVar> env = new ArrayList<>();
    env.add(new EnvVar("REGISTRY_CACHE_HOST_ROOT", HOST_ROOT, null));
    // the cache writes its node's state into its own pod's status (NodeConfiguredCondition)
    env.add(fieldRef("REGISTRY_CACHE_POD_NAME", "metadata.name"));
    env.add(fieldRef("REGISTRY_CACHE_POD_NAMESPACE", "metadata.namespace"));
    settings.apiServerEnv().forEach((k, v) -> env.add(new EnvVar(k, v, null)));
    boolean configureNode = runtimeDirectories(spec, volumes, mounts, env);
    env.add(new EnvVar("REGISTRY_CACHE_DEFAULT_ENTRY", String.valueOf(Boolean.TRUE.equals(spec.runtimes.defaultEntry)), null));
    if (settings.logFormat() != null) {
      env.add(new EnvVar("REGISTRY_CACHE_LOG_FORMAT", settings.logFormat(), null));
    }
    UpstreamProxySpec proxy = spec.upstreamProxy;
    if (proxy != null) {
      addIfSet(env, "HTTPS_PROXY", proxy.httpsProxy);
      addIfSet(env, "HTTP_PROXY", proxy.httpProxy);
      addIfSet(env, "NO_PROXY", proxy.noProxy);
    }

    String image = spec.image != null ? spec.image : settings.image();
    String pullPolicy = spec.imagePullPolicy != null ? spec.imagePullPolicy : settings.imagePullPolicy();
    List<Toleration> tolerations = spec.tolerations != null ? spec.tolerations
        : List.of(new TolerationBuilder().withOperator("Exists").build());
    Affinity affinity = selection.leaveToOlder().isEmpty() ? null : new AffinityBuilder().withNewNodeAffinity()
        .withNewRequiredDuringSchedulingIgnoredDuringExecution().withNodeSelectorTerms(selection.leaveToOlder())
        .endRequiredDuringSchedulingIgnoredDuringExecution().endNodeAffinity().build();

    return new DaemonSetBuilder()
        .withMetadata(ResourceNames.metadata(rc, ResourceNames.daemonSet(rc), settings.namespace()))
        .withNewSpec()
          .withNewSelector().withMatchLabels(ResourceNames.selector(rc)).endSelector()
          .withRevisionHistoryLimit(5)
          .withNewUpdateStrategy()
            .withType("RollingUpdate")
            .withNewRollingUpdate().withMaxUnavailable(new IntOrString(1)).endRollingUpdate()
          .endUpdateStrategy()
          .withNewTemplate()
            .withNewMetadata()
              .withLabels(ResourceNames.labels(rc))
              .withAnnotations(Map.of(ResourceNames.CONFIG_HASH, config.hash()))
            .endMetadata()
            .withNewSpec()
              .withHostNetwork(true)
              .withDnsPolicy("ClusterFirstWithHostNet")
              .withServiceAccountName(ResourceNames.serviceAccount(rc))
              .withAutomountServiceAccountToken(true)
              .withPriorityClassName(spec.priorityClassName)
              .withTerminationGracePeriodSeconds(TERMINATION_GRACE_SECONDS)
              .withNodeSelector(selection.nodeSelector())
              .withAffinity(affinity)
              .withTolerations(tolerations)
              .withVolumes(volumes)
              .withContainers(new ContainerBuilder()
                  .withName(ResourceNames.CONTAINER)
                  .withImage(image)
                  .withImagePullPolicy(pullPolicy)
                  .withArgs("cache", "--config", CacheConfigModel.CONFIG_MOUNT + "/" + ResourceNames.CONFIG_FILE,
                      configureNode ? "--configure-node" : "--no-configure-node")
                  .withEnv(env)
                  .addNewPort().withName("cache").withContainerPort(spec.port).withHostPort(spec.port)
                    .withProtocol("TCP").endPort()
                  .addNewPort().withName("admin").withContainerPort(spec.adminPort).withHostPort(spec.adminPort)
                    .withProtocol("TCP").endPort()
                  .withNewReadinessProbe()
                    .withNewHttpGet().withHost("127.0.0.1").withPath("/readyz")
                      .withPort(new IntOrString(spec.adminPort)).endHttpGet()
                    .withPeriodSeconds(5).withFailureThreshold(2)
                  .endReadinessProbe()
                  .withNewLivenessProbe()
                    .withNewHttpGet().withHost("127.0.0.1").withPath("/healthz")
                      .withPort(new IntOrString(spec.adminPort)).endHttpGet()
                    .withInitialDelaySeconds(30).withPeriodSeconds(20).withFailureThreshold(3)
                  .endLivenessProbe()
                  .withResources(spec.resources)
                  .withVolumeMounts(mounts)
                  .withNewSecurityContext()
                    .withRunAsUser(0L)
                    .withReadOnlyRootFilesystem(true)
                    .withAllowPrivilegeEscalation(false)
                    .withNewCapabilities().withDrop("ALL").withAdd(CAPABILITIES).endCapabilities()
                  .endSecurityContext()
                  .build())
            .endSpec()
          .endTemplate()
        .endSpec()
        .build();
  }

  /**
   * The runtime configuration directories. Both runtimes {@code auto} without a directory: the
   * node's {@code /etc} is mounted and the cache finds out what the node runs, creating
   * nothing. Otherwise exactly the directories of the enabled runtimes (and of an {@code auto}
   * one that names its directory) are mounted, and nothing else is configured.
   *
   * @return whether any runtime is to be configured at all
   */
  static boolean runtimeDirectories(RegistryCacheSpec spec, List<Volume> volumes, List<VolumeMount> mounts,
      List<EnvVar> env) {
    RuntimeSpec containerd = spec.runtimes.containerd;
    RuntimeSpec crio = spec.runtimes.crio;
    if (detects(spec)) {
      volumes.add(new VolumeBuilder().withName("host-etc").withNewHostPath().withPath("/etc")
          .withType("Directory").endHostPath().build());
      mounts.add(mount("host-etc", HOST_ROOT + "/etc", false));
      return true;
    }
    boolean any = explicitDirectory("containerd", containerd, CONTAINERD_DEFAULT_DIR,
        "REGISTRY_CACHE_CONTAINERD_CERTS_DIR", volumes, mounts, env);
    return explicitDirectory("crio", crio, CRIO_DEFAULT_DIR, "REGISTRY_CACHE_REGISTRIES_CONF_DIR", volumes,
        mounts, env) || any;
  }

  /** True when the cache detects the node's runtimes itself. */
  static boolean detects(RegistryCacheSpec spec) {
    RuntimeSpec containerd = spec.runtimes.containerd;
    RuntimeSpec crio = spec.runtimes.crio;
    return RuntimeSpec.AUTO.equals(containerd.mode) && RuntimeSpec.AUTO.equals(crio.mode)
        && containerd.configDir == null && crio.configDir == null;
  }

  private static boolean explicitDirectory(String name, RuntimeSpec runtime, String defaultDir, String envName,
      List<Volume> volumes, List<VolumeMount> mounts, List<EnvVar> env) {
    boolean enabled = RuntimeSpec.ENABLED.equals(runtime.mode)
        || RuntimeSpec.AUTO.equals(runtime.mode) && runtime.configDir != null;
    if (!enabled) {
      return false;
    }
    String dir = runtime.configDir != null ? runtime.configDir : defaultDir;
    env.add(new EnvVar(envName, HOST_ROOT + dir, null));
    volumes.add(new VolumeBuilder().withName(name + "-config").withNewHostPath().withPath(dir)
        .withType("DirectoryOrCreate").endHostPath().build());
    mounts.add(mount(name + "-config", HOST_ROOT + dir, false));
    return true;
  }

  /**
   * A mount; {@code readOnly} is left out unless true, as the API server leaves it out: a
   * {@code false} it does not store would look like a difference at every reconciliation.
   */
  private static VolumeMount mount(String volume, String path, boolean readOnly) {
    return new VolumeMountBuilder().withName(volume).withMountPath(path).withReadOnly(readOnly ? true : null).build();
  }

  private static EnvVar fieldRef(String name, String path) {
    return new EnvVarBuilder().withName(name).withNewValueFrom().withNewFieldRef().withApiVersion("v1")
        .withFieldPath(path).endFieldRef().endValueFrom().build();
  }

  private static void addIfSet(List<EnvVar> env, String name, String value) {
    if (value != null && !value.isBlank()) {
      env.add(new EnvVar(name, value, null));
      env.add(new EnvVar(name.toLowerCase(java.util.Locale.ROOT), value, null));
    }
  }
}
