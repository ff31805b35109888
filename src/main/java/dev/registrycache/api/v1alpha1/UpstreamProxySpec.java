package dev.registrycache.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** HTTP(S) proxy settings for the caches' upstream requests (HTTPS_PROXY, HTTP_PROXY, NO_PROXY). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class UpstreamProxySpec {
  @JsonPropertyDescription("Proxy for https upstreams, e.g. http://proxy.example:3128 (HTTPS_PROXY).")
  public String httpsProxy;

  @JsonPropertyDescription("Proxy for plain-http upstreams (HTTP_PROXY).")
  public String httpProxy;

  @JsonPropertyDescription("Hosts and domains reached directly, comma-separated (NO_PROXY).")
  public String noProxy;
}
