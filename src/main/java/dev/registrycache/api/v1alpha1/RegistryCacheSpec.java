package dev.registrycache.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.Toleration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What to cache, where, and on which nodes. Every field is optional. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class RegistryCacheSpec {
  @JsonPropertyDescription("Registries to mirror. Empty: the cache's default list (docker.io, quay.io, "
      + "registry.k8s.io, k8s.gcr.io, ghcr.io, gcr.io, mcr.microsoft.com, registry.gitlab.com).")
  public List<RegistrySpec> registries = new ArrayList<>();

  @JsonPropertyDescription("Port of the cache on each node's loopback (127.0.0.1), where the runtime's mirror "
      + "entries point.")
  @Min(1)
  @Max(65535)
  @Default("5000")
  public Integer port = 5000;

  @JsonPropertyDescription("Port of the cache's metrics and health endpoints (/metrics, /healthz, /readyz) on "
      + "each node's loopback.")
  @Min(1)
  @Max(65535)
  @Default("5001")
  public Integer adminPort = 5001;

  @JsonPropertyDescription("Port of the cache's /metrics on each node's address (the pod IP under hostNetwork), "
      + "for Prometheus: HTTPS with a bearer token the API server authorizes for GET /metrics, unless the operator "
      + "is installed to serve it plain. Must differ from port and adminPort.")
  @Min(1)
  @Max(65535)
  @Default("5002")
  public Integer metricsPort = 5002;

  @JsonPropertyDescription("The caches of the nodes asking each other, so that the cluster fetches each blob from "
      + "upstream once.")
  public PeersSpec peers = new PeersSpec();

  @JsonPropertyDescription("Where and how much each node stores.")
  public StorageSpec storage = new StorageSpec();

  @JsonPropertyDescription("Which container runtimes' mirror configuration to write.")
  public RuntimesSpec runtimes = new RuntimesSpec();

  @JsonPropertyDescription("Nodes to run on (all Linux nodes by default; only nodes of the image's architectures, "
      + "and control-plane nodes only if the operator is installed to cache there).")
  public Map<String, String> nodeSelector = new LinkedHashMap<>();

  @JsonPropertyDescription("Tolerations of the cache pods. Unset: tolerate every taint, as node agents do.")
  public List<Toleration> tolerations;

  @JsonPropertyDescription("Priority class of the cache pods.")
  @Default("system-node-critical")
  public String priorityClassName = "system-node-critical";

  @JsonPropertyDescription("Resources of the cache container. Unset: requests cpu 100m and memory 256Mi, limit "
      + "memory 512Mi; the heap is a quarter of the memory limit.")
  public ResourceRequirements resources;

  @JsonPropertyDescription("How many nodes' caches may be down at once while a change rolls out: a number or a "
      + "percentage of the selected nodes (a restarting cache only sends pulls to upstream meanwhile).")
  @Default("10%")
  public IntOrString maxUnavailable = new IntOrString("10%");

  @JsonPropertyDescription("Image of the cache pods. Unset: the operator's own image.")
  public String image;

  @JsonPropertyDescription("Pull policy of the cache image.")
  @Pattern("^(Always|IfNotPresent|Never)$")
  public String imagePullPolicy;

  @JsonPropertyDescription("Proxy the caches use to reach upstream registries.")
  public UpstreamProxySpec upstreamProxy;
}
