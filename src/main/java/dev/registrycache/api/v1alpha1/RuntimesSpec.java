package dev.registrycache.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;

/** The container runtimes whose mirror configuration the cache writes on each node. */
public class RuntimesSpec {
  @JsonPropertyDescription("containerd: hosts.toml files in its config_path (certs.d).")
  public RuntimeSpec containerd = new RuntimeSpec();

  @JsonPropertyDescription("CRI-O and podman: a drop-in in registries.conf.d.")
  public CrioRuntimeSpec crio = new CrioRuntimeSpec();

  @JsonPropertyDescription("Also send every registry that is not mirrored through the cache (containerd _default).")
  @Default("false")
  public Boolean defaultEntry = false;
}
