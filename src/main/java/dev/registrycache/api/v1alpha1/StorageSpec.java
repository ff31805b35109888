package dev.registrycache.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
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

  @JsonPropertyDescription("Above this, least recently used content is evicted, e.g. 50GiB (default 20GiB).")
  @Pattern(Durations.SIZE_PATTERN)
  public String maxSize;

  @JsonPropertyDescription("Content is also evicted while the node's disk has less free space than this, e.g. 5GiB "
      + "(default 1GiB).")
  @Pattern(Durations.SIZE_PATTERN)
  public String minFreeSpace;
}
