package dev.registrycache.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Reading the referenced Secrets, against the Fabric8 mock API server (CRUD mode). */
@EnableKubernetesMockClient(crud = true)
class DesiredStateTest {
  KubernetesClient client;

  @BeforeAll
  static void settings() {
    DesiredState.configure(Specs.SETTINGS);
  }

  @Test
  void credentialsFromBothSecretKindsGoToTheSecretNotTheConfig() {
    client.secrets().resource(Specs.basicSecret("team", "quay", "robot", "pw-1")).create();
    client.secrets().resource(Specs.dockerConfigSecret("team", "ghcr", "ghcr.io", "bot", "pw-2")).create();
    var rc = Specs.cache("main", Specs.withRegistries(Specs.registry("quay.io", null, "team", "quay"),
        Specs.registry("ghcr.io", null, "team", "ghcr"), Specs.registry("docker.io", null, null, null)));
    DesiredState s = DesiredState.compute(rc, client, List.of());
    assertEquals(java.util.Set.of("registry-0.password", "registry-1.password", PeerTokens.TOKEN),
        s.config().secretData().keySet(), "the passwords and the caches' shared token");
    assertTrue(s.config().secretData().containsValue("pw-1") && s.config().secretData().containsValue("pw-2"));
    assertFalse(s.config().configYaml().contains("pw-"));
    assertTrue(s.config().configYaml().contains("username: bot"));
  }

  @Test
  void missingInvalidAndDuplicateAreReportedWithTheirReasons() {
    var missing = Specs.cache("a", Specs.withRegistries(Specs.registry("quay.io", null, "team", "nope")));
    InvalidSpecException e = assertThrows(InvalidSpecException.class, () -> DesiredState.compute(missing, client, List.of()));
    assertEquals(Conditions.SECRET_NOT_FOUND, e.reason());
    assertTrue(e.getMessage().contains("team/nope"), e.getMessage());

    client.secrets().resource(Specs.dockerConfigSecret("team", "other", "ghcr.io", "bot", "hunter2")).create();
    var invalid = Specs.cache("b", Specs.withRegistries(Specs.registry("quay.io", null, "team", "other")));
    InvalidSpecException i = assertThrows(InvalidSpecException.class, () -> DesiredState.compute(invalid, client, List.of()));
    assertEquals(Conditions.SECRET_INVALID, i.reason());
    assertFalse(i.getMessage().contains("hunter2"));

    var twice = Specs.cache("c", Specs.withRegistries(Specs.registry("quay.io", null, null, null),
        Specs.registry("quay.io", "https://mirror.example", null, null)));
    assertEquals(Conditions.INVALID_SPEC,
        assertThrows(InvalidSpecException.class, () -> DesiredState.compute(twice, client, List.of())).reason());
    // privateContent with shared credentials: everything fetched would be shared anyway
    client.secrets().resource(Specs.basicSecret("team", "quay", "robot", "pw-1")).create();
    var shared = Specs.cache("d", Specs.withRegistries(Specs.registry("quay.io", null, "team", "quay")));
    shared.getSpec().registries.get(0).privateContent = "verify";
    InvalidSpecException p = assertThrows(InvalidSpecException.class, () -> DesiredState.compute(shared, client, List.of()));
    assertEquals(Conditions.INVALID_SPEC, p.reason());
    assertTrue(p.getMessage().contains("privateContent"), p.getMessage());
  }
}
