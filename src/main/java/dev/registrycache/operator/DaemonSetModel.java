package dev.registrycache.operator;

import dev.registrycache.api.v1alpha1.RegistryCache;
import dev.registrycache.api.v1alpha1.RegistryCacheSpec;
import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.AffinityBuilder;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirementBuilder;
import io.fabric8.kubernetes.api.model.NodeSelectorTerm;
import io.fabric8.kubernetes.api.model.NodeSelectorTermBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
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
import java.util.Set;

/**
 * The cache DaemonSet of a RegistryCache: one pod per selected node, in the node's network
 * namespace with the cache on the node's loopback, writing the runtime's mirror entries
 * ({@code --configure-node}) and removing them on SIGTERM. It runs as root, because the
 * runtime configuration it writes belongs to root, with a read-only root filesystem, no
 * privilege escalation and only the capabilities needed to write and restore files owned by
 * others. Of the node it sees only the storage directory and the runtimes' mirror directories
 * (writable), and the runtimes' own configuration (read-only, to detect them): never the rest of
 * {@code /etc}.
 */
public final class DaemonSetModel {
  /** Where the node's directories appear in the pod (the cache's {@code --host-root}). */
  public static final String HOST_ROOT = "/host";
  public static final String CONTAINERD_DEFAULT_DIR = "/etc/containerd/certs.d";
  public static final String CRIO_DEFAULT_DIR = "/etc/containers/registries.conf.d";
  /** Read-only for detection: containerd's config.toml, CRI-O's crio.conf (auto_reload_registries). */
  static final String CONTAINERD_ETC = "/etc/containerd";
  static final String CRIO_ETC = "/etc/crio";
  static final String CONTAINERS_ETC = "/etc/containers";
  /** Long enough for the pod to restore the node's configuration on SIGTERM. */
  public static final long TERMINATION_GRACE_SECONDS = 60;
  static final List<String> CAPABILITIES = List.of("CHOWN", "DAC_OVERRIDE", "FOWNER");
  /**
   * Bound of the pod's writable /tmp (the native transport's library is unpacked there). An
   * empty {@code emptyDir: {}} would also not survive server-side apply's field tracking, and
   * the DaemonSet would be applied again at every reconciliation.
   */
  static final String TMP_SIZE = "64Mi";
  /**
   * Resources of a cache pod unless the spec sets them: what the benchmarks measured (heap at
   * most ~30 MiB under 64 clients and a 2 GiB blob, 150-240 MiB resident) with room to spare;
   * no CPU limit, so a node's pulls are never throttled.
   */
  static final ResourceRequirements DEFAULT_RESOURCES = new ResourceRequirementsBuilder()
      .withRequests(Map.of("cpu", new Quantity("100m"), "memory", new Quantity("256Mi")))
      .withLimits(Map.of("memory", new Quantity("512Mi"))).build();
  /** The heap is sized from the container's memory limit, leaving the rest to direct buffers and the JVM. */
  static final String JVM_OPTIONS = "-XX:MaxRAMPercentage=25";
  /** The pod's IP (the node's under hostNetwork), for the metrics listener. */
  static final String POD_IP = "REGISTRY_CACHE_POD_IP";

  private DaemonSetModel() {}

  /** The DaemonSet of a RegistryCache that shares no nodes with another one, on a cluster of unknown nodes. */
  public static DaemonSet desired(RegistryCache rc, OperatorSettings settings, CacheConfigModel config) {
    return desired(rc, settings, config, NodeSelection.of(rc, List.of()), ClusterNodes.NONE);
  }

  /**
   * @param selection its nodes; those older overlapping RegistryCaches keep are left out by node affinity
   * @param nodes the cluster's nodes: which runtimes the selected ones run decides what is mounted
   */
  public static DaemonSet desired(RegistryCache rc, OperatorSettings settings, CacheConfigModel config,
      NodeSelection selection, ClusterNodes nodes) {
    RegistryCacheSpec spec = rc.effectiveSpec();
    List<Volume> volumes = new ArrayList<>();
    List<VolumeMount> mounts = new ArrayList<>();
    volumes.add(hostPath("storage", spec.storage.hostPath));
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
    // /metrics for Prometheus and the peer endpoint on the node's address (the pod IP under hostNetwork), never
    // on the loopback's ports
    env.add(fieldRef(POD_IP, "status.podIP"));
    env.add(new EnvVar("REGISTRY_CACHE_METRICS_LISTEN", "$(" + POD_IP + "):" + spec.metricsPort, null));
    env.add(new EnvVar("REGISTRY_CACHE_METRICS_SECURE", String.valueOf(settings.metricsSecure()), null));
    settings.apiServerEnv().forEach((k, v) -> env.add(new EnvVar(k, v, null)));
    env.add(new EnvVar("JDK_JAVA_OPTIONS", JVM_OPTIONS, null));
    Set<ClusterNodes.Runtime> runtimes = nodes.runtimes(NodeSelection.selector(spec), settings.controlPlaneNodes());
    RuntimeMounts node = RuntimeMounts.of(spec, runtimes);
    volumes.addAll(node.volumes());
    mounts.addAll(node.mounts());
    env.addAll(node.env());
    env.add(new EnvVar("REGISTRY_CACHE_DEFAULT_ENTRY", String.valueOf(Boolean.TRUE.equals(spec.runtimes.defaultEntry)), null));
    if (settings.logFormat() != null) {
      env.add(new EnvVar("REGISTRY_CACHE_LOG_FORMAT", settings.logFormat(), null));
    }

    String image = spec.image != null ? spec.image : settings.image();
    String pullPolicy = spec.imagePullPolicy != null ? spec.imagePullPolicy : settings.imagePullPolicy();
    List<Toleration> tolerations = spec.tolerations != null ? spec.tolerations
        : List.of(new TolerationBuilder().withOperator("Exists").build());
    Affinity affinity = affinity(spec, settings, selection);

    return new DaemonSetBuilder()
        .withMetadata(ResourceNames.metadata(rc, ResourceNames.daemonSet(rc), settings.namespace()))
        .withNewSpec()
          .withNewSelector().withMatchLabels(ResourceNames.selector(rc)).endSelector()
          .withRevisionHistoryLimit(5)
          .withNewUpdateStrategy()
            .withType("RollingUpdate")
            .withNewRollingUpdate().withMaxUnavailable(maxUnavailable(spec)).endRollingUpdate()
          .endUpdateStrategy()
          .withNewTemplate()
            .withNewMetadata()
              .withLabels(ResourceNames.labels(rc))
              .withAnnotations(Map.of(ResourceNames.CONFIG_HASH, config.hash()))
            .endMetadata()
            .withNewSpec()
              .withHostNetwork(true)
              .withHostPID(node.hostPid() ? true : null)
              .withDnsPolicy("ClusterFirstWithHostNet")
              .withServiceAccountName(settings.nodeServiceAccount())
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
                      node.configureNode() ? "--configure-node" : "--no-configure-node")
                  .withEnv(env)
                  .addNewPort().withName("cache").withContainerPort(spec.port).withHostPort(spec.port)
                    .withProtocol("TCP").endPort()
                  .addNewPort().withName("admin").withContainerPort(spec.adminPort).withHostPort(spec.adminPort)
                    .withProtocol("TCP").endPort()
                  .addNewPort().withName(ResourceNames.METRICS_PORT).withContainerPort(spec.metricsPort)
                    .withHostPort(spec.metricsPort).withProtocol("TCP").endPort()
                  .addAllToPorts(peerPorts(spec))
                  // ready = the cache serves; whether the node's runtime uses it is the pod's
                  // NodeConfigured condition, so a node that cannot be configured never stops a rollout
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
                  .withResources(spec.resources != null ? spec.resources : DEFAULT_RESOURCES)
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

  /** The peer endpoint's port, while the caches ask each other. */
  static List<io.fabric8.kubernetes.api.model.ContainerPort> peerPorts(RegistryCacheSpec spec) {
    if (spec.peers == null || dev.registrycache.api.v1alpha1.PeersSpec.DISABLED.equals(spec.peers.mode)) {
      return List.of();
    }
    return List.of(new io.fabric8.kubernetes.api.model.ContainerPortBuilder().withName(ResourceNames.PEER_PORT)
        .withContainerPort(spec.peers.port).withHostPort(spec.peers.port).withProtocol("TCP").build());
  }

  static IntOrString maxUnavailable(RegistryCacheSpec spec) {
    return spec.maxUnavailable != null ? spec.maxUnavailable : new IntOrString("10%");
  }

  /**
   * Required node affinity: the nodes older overlapping RegistryCaches keep are left to them, and
   * unless the spec or the operator says otherwise only nodes of the image's architectures and no
   * control-plane nodes. Each requirement is added to every term, since terms are ORed.
   */
  static Affinity affinity(RegistryCacheSpec spec, OperatorSettings settings, NodeSelection selection) {
    List<NodeSelectorRequirement> always = new ArrayList<>();
    if (!NodeSelection.selector(spec).containsKey(ClusterNodes.ARCH_LABEL)) {
      always.add(new NodeSelectorRequirementBuilder().withKey(ClusterNodes.ARCH_LABEL).withOperator("In")
          .withValues(settings.imageArchitectures()).build());
    }
    if (!settings.controlPlaneNodes()) {
      for (String label : ClusterNodes.CONTROL_PLANE_LABELS) {
        always.add(new NodeSelectorRequirementBuilder().withKey(label).withOperator("DoesNotExist").build());
      }
    }
    List<NodeSelectorTerm> terms = selection.leaveToOlder().isEmpty() ? List.of(new NodeSelectorTerm())
        : selection.leaveToOlder();
    if (always.isEmpty() && selection.leaveToOlder().isEmpty()) {
      return null;
    }
    List<NodeSelectorTerm> out = new ArrayList<>();
    for (NodeSelectorTerm t : terms) {
      List<NodeSelectorRequirement> reqs = new ArrayList<>(t.getMatchExpressions() == null ? List.of()
          : t.getMatchExpressions());
      reqs.addAll(always);
      out.add(new NodeSelectorTermBuilder().withMatchExpressions(reqs).build());
    }
    return new AffinityBuilder().withNewNodeAffinity()
        .withNewRequiredDuringSchedulingIgnoredDuringExecution().withNodeSelectorTerms(out)
        .endRequiredDuringSchedulingIgnoredDuringExecution().endNodeAffinity().build();
  }

  static Volume hostPath(String name, String path) {
    return new VolumeBuilder().withName(name).withNewHostPath().withPath(path).withType("DirectoryOrCreate")
        .endHostPath().build();
  }

  /**
   * A mount; {@code readOnly} is left out unless true, as the API server leaves it out: a
   * {@code false} it does not store would look like a difference at every reconciliation.
   */
  static VolumeMount mount(String volume, String path, boolean readOnly) {
    return new VolumeMountBuilder().withName(volume).withMountPath(path).withReadOnly(readOnly ? true : null).build();
  }

  private static EnvVar fieldRef(String name, String path) {
    return new EnvVarBuilder().withName(name).withNewValueFrom().withNewFieldRef().withApiVersion("v1")
        .withFieldPath(path).endFieldRef().endValueFrom().build();
  }
}
