package dev.registrycache.operator;

import dev.registrycache.api.v1alpha1.RegistryCache;
import dev.registrycache.api.v1alpha1.RegistryCacheSpec;
import dev.registrycache.api.v1alpha1.RegistrySpec;
import dev.registrycache.api.v1alpha1.SecretReference;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;

/** RegistryCaches and Secrets for the operator's tests. */
final class Specs {
  /** Credentials may come from the namespace "team" besides the operator's own. */
  static final OperatorSettings SETTINGS = new OperatorSettings("rc-system", "example.test/registry-cache:1",
      "IfNotPresent", "json").withCredentialNamespaces(java.util.Set.of("team"));

  private Specs() {}

  static RegistryCache cache(String name, RegistryCacheSpec spec) {
    RegistryCache rc = new RegistryCache();
    rc.setMetadata(new ObjectMetaBuilder().withName(name).withGeneration(1L).build());
    rc.setSpec(spec);
    return rc;
  }

  static RegistryCacheSpec withRegistries(RegistrySpec... registries) {
    RegistryCacheSpec s = new RegistryCacheSpec();
    s.registries = new java.util.ArrayList<>(java.util.List.of(registries));
    return s;
  }

  static RegistrySpec registry(String name, String url, String secretNamespace, String secretName) {
    RegistrySpec r = new RegistrySpec(name, url);
    if (secretName != null) {
      r.credentialsSecretRef = new SecretReference(secretNamespace, secretName);
    }
    return r;
  }

  static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  static Secret basicSecret(String ns, String name, String user, String password) {
    return new SecretBuilder().withNewMetadata().withNamespace(ns).withName(name).endMetadata()
        .withData(Map.of("username", b64(user), "password", b64(password))).build();
  }

  static Secret dockerConfigSecret(String ns, String name, String registry, String user, String password) {
    String json = "{\"auths\":{\"" + registry + "\":{\"auth\":\"" + b64(user + ":" + password) + "\"}}}";
    return new SecretBuilder().withNewMetadata().withNamespace(ns).withName(name).endMetadata()
        .withType("kubernetes.io/dockerconfigjson").withData(Map.of(".dockerconfigjson", b64(json))).build();
  }
}
