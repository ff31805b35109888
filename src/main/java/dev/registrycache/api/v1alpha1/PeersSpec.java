package dev.registrycache.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;

/**
 * The caches of one RegistryCache fetching from each other: each blob and each tag has an owner
 * among the ready caches, which alone goes upstream for it.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PeersSpec {
  public static final String AUTO = "auto";
  public static final String DISABLED = "disabled";

  @JsonPropertyDescription("auto: the caches ask each other first (a single node has no one to ask and goes upstream "
      + "as before); disabled: every node goes upstream itself.")
  @Pattern("^(auto|disabled)$")
  @Default(AUTO)
  public String mode = AUTO;

  @JsonPropertyDescription("Port of each cache's peer endpoint on its node's address (the pod IP under hostNetwork); "
      + "only the caches of this RegistryCache may use it (a token they share).")
  @Min(1)
  @Max(65535)
  @Default("5003")
  public Integer port = 5003;

  @JsonPropertyDescription("How long a cache waits for a peer to accept a connection before it goes upstream itself "
      + "and skips that peer for a while, e.g. 50ms (tens of milliseconds on a LAN).")
  @Pattern(Durations.PATTERN)
  @Default("50ms")
  public String connectTimeout = "50ms";
}
