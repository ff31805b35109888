package dev.registrycache.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;

/** CRI-O: like any runtime, plus whether the cache may make it re-read its registries. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class CrioRuntimeSpec extends RuntimeSpec {
  @JsonPropertyDescription("Send CRI-O SIGHUP after its drop-in changed, so it uses the cache at once: the cache "
      + "pods then share the node's PID namespace (only while some selected node runs CRI-O). false: a CRI-O node "
      + "that does not reload its registries by itself (auto_reload_registries) is reported as not caching.")
  @Default("true")
  public Boolean reload = true;
}
