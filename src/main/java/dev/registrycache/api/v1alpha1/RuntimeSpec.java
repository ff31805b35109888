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

  @JsonPropertyDescription("The runtime's mirror configuration directory on the node, the only host directory of "
      + "the runtime the cache may write (containerd: its config_path, default /etc/containerd/certs.d, must end in "
      + "/certs.d; CRI-O: default /etc/containers/registries.conf.d, must end in /registries.conf.d). System "
      + "directories (/proc, /etc/kubernetes, /var/lib/kubelet, ...) are refused.")
  @Pattern(HostPathRules.PATTERN)
  public String configDir;
}
