package dev.registrycache.operator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Secret;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;

/**
 * A registry's username and password from a Secret: {@code kubernetes.io/dockerconfigjson}
 * (the entry for the registry in {@code auths}) or plain {@code username} / {@code password}
 * keys. Messages never contain the values.
 */
public record RegistryCredentials(String username, String password) {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The Secret cannot be used for the registry; {@link #getMessage()} says why, without values. */
  public static final class InvalidSecretException extends Exception {
    public InvalidSecretException(String message) {
      super(message);
    }
  }

  @Override
  public String toString() {
    return "RegistryCredentials[username=" + username + ", password=<redacted>]";
  }

  public static RegistryCredentials from(Secret secret, String registry) throws InvalidSecretException {
    String where = "Secret " + secret.getMetadata().getNamespace() + "/" + secret.getMetadata().getName();
    Map<String, String> data = secret.getData() == null ? Map.of() : secret.getData();
    if (data.containsKey(".dockerconfigjson")) {
      return fromDockerConfig(decode(data.get(".dockerconfigjson")), registry, where);
    }
    if (data.containsKey("username") && data.containsKey("password")) {
      return fromKeys(secret);
    }
    throw new InvalidSecretException(where + " has neither .dockerconfigjson nor the keys username and password");
  }

  /** From a Secret with the keys {@code username} and {@code password} (an upstream proxy's). */
  public static RegistryCredentials fromKeys(Secret secret) throws InvalidSecretException {
    Map<String, String> data = secret.getData() == null ? Map.of() : secret.getData();
    if (data.containsKey("username") && data.containsKey("password")) {
      return new RegistryCredentials(decode(data.get("username")).strip(), decode(data.get("password")).strip());
    }
    throw new InvalidSecretException("Secret " + secret.getMetadata().getNamespace() + "/"
        + secret.getMetadata().getName() + " does not have the keys username and password");
  }

  private static RegistryCredentials fromDockerConfig(String json, String registry, String where)
      throws InvalidSecretException {
    JsonNode auths;
    try {
      auths = JSON.readTree(json).path("auths");
    } catch (IOException e) {
      throw new InvalidSecretException(where + ": .dockerconfigjson is not JSON");
    }
    for (String key : new String[] {registry, "https://" + registry, "http://" + registry,
        registry.equals("docker.io") ? "https://index.docker.io/v1/" : registry}) {
      JsonNode a = auths.path(key);
      if (a.isObject()) {
        if (a.hasNonNull("username") && a.hasNonNull("password")) {
          return new RegistryCredentials(a.get("username").asText(), a.get("password").asText());
        }
        if (a.hasNonNull("auth")) {
          String raw = decode(a.get("auth").asText());
          int colon = raw.indexOf(':');
          if (colon > 0) {
            return new RegistryCredentials(raw.substring(0, colon), raw.substring(colon + 1));
          }
        }
        throw new InvalidSecretException(where + ": the auths entry for " + key + " has no usable credentials");
      }
    }
    throw new InvalidSecretException(where + ": .dockerconfigjson has no auths entry for " + registry);
  }

  private static String decode(String base64) throws InvalidSecretException {
    try {
      return new String(Base64.getDecoder().decode(base64.strip()), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new InvalidSecretException("a value is not valid base64");
    }
  }
}
