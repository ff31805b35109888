package dev.registrycache.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

/** One upstream registry. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class RegistrySpec {
  /** A registry host as it appears in image references, with an optional port. */
  public static final String NAME_PATTERN =
      "^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[0-9]{1,5})?$";

  @JsonPropertyDescription("The registry as it appears in image references, e.g. quay.io or registry.example.com:5000.")
  @Required
  @Pattern(NAME_PATTERN)
  public String name;

  @JsonPropertyDescription("Where to fetch from. Default: https://<name> (https://registry-1.docker.io for docker.io).")
  @Pattern("^https?://[^\\s/]+(/.*)?$")
  public String url;

  @JsonPropertyDescription("A Secret with the registry's credentials: type kubernetes.io/dockerconfigjson, or "
      + "keys username and password.")
  public SecretReference credentialsSecretRef;

  @JsonPropertyDescription("How long a tag is trusted before upstream is asked again, e.g. 5m (default of the cache).")
  @Pattern(Durations.PATTERN)
  public String tagTtl;

  @JsonPropertyDescription("For a registry without credentialsSecretRef: what happens to images upstream does not "
      + "serve anonymously. verify (default): cached, and served from the node's disk only to a pod whose own pull "
      + "credentials upstream accepts for them (checked upstream with those credentials); bypass: not cached, the "
      + "runtime pulls them from the registry itself.")
  @Pattern("^(verify|bypass)$")
  public String privateContent;

  public RegistrySpec() {}

  public RegistrySpec(String name, String url) {
    this.name = name;
    this.url = url;
  }
}
