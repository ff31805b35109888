package dev.registrycache.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.registrycache.config.Sizes;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;

/** The node directory the cache stores in, and its limits. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class StorageSpec {
  @JsonPropertyDescription("Directory on each node holding the cached content: an absolute path without . or .. "
      + "segments, outside system directories (/, /etc, /proc, /usr, /var/lib/kubelet, ... are refused).")
  @Pattern(HostPathRules.PATTERN)
  @Default("/var/lib/registry-cache")
  public String hostPath = "/var/lib/registry-cache";

  @JsonPropertyDescription("Above this, least recently used content is evicted: a Kubernetes quantity of bytes "
      + "(50Gi, 500G, 1e12) or with a byte unit (50GiB); default 20GiB.")
  @Pattern(Sizes.SIZE_PATTERN)
  public String maxSize;

  @JsonPropertyDescription("Content is also evicted while the node's disk has less free space than this, "
      + "written as maxSize is, e.g. 5Gi (default 1GiB).")
  @Pattern(Sizes.SIZE_PATTERN)
  public String minFreeSpace;
}
