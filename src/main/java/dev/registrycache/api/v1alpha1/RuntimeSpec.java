package dev.registrycache.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;

/** One runtime: configure it or not, and where its configuration lives. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class RuntimeSpec {
  public static final String AUTO = "auto";
  public static final String ENABLED = "enabled";
  public static final String DISABLED = "disabled";

  @JsonPropertyDescription("auto: configure the runtime if the node runs it (detected from its configuration); "
      + "enabled: always, in configDir; disabled: never.")
  @Pattern("^(auto|enabled|disabled)$")
  @Default(AUTO)
  public String mode = AUTO;

  @JsonPropertyDescription("The runtime's mirror configuration directory on the node (containerd: its config_path, "
      + "default /etc/containerd/certs.d; CRI-O: default /etc/containers/registries.conf.d).")
  @Pattern("^/[^\\s]*$")
  public String configDir;
}
