package dev.registrycache.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;

/**
 * HTTP(S) proxy settings for the caches' upstream requests (HTTPS_PROXY, HTTP_PROXY, NO_PROXY).
 * The URLs carry no credentials (anyone who may read RegistryCaches would see them): those come
 * from a Secret.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class UpstreamProxySpec {
  /** http(s)://host[:port][/], without user information. */
  static final String URL_PATTERN = "^https?://[^\\s/@]+/?$";

  @JsonPropertyDescription("Proxy for https upstreams, e.g. http://proxy.example:3128 (HTTPS_PROXY), without "
      + "credentials: see credentialsSecretRef.")
  @Pattern(URL_PATTERN)
  public String httpsProxy;

  @JsonPropertyDescription("Proxy for plain-http upstreams (HTTP_PROXY), without credentials.")
  @Pattern(URL_PATTERN)
  public String httpProxy;

  @JsonPropertyDescription("Hosts and domains reached directly, comma-separated (NO_PROXY).")
  public String noProxy;

  @JsonPropertyDescription("A Secret with the keys username and password the proxy asks for (Proxy-Authorization: "
      + "Basic); its namespace must be one the operator reads Secrets from.")
  public SecretReference credentialsSecretRef;
}
