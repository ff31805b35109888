package dev.registrycache.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RegistryCredentialsTest {
  @Test
  void usernamePasswordAndDockerConfigJson() throws Exception {
    assertEquals(new RegistryCredentials("u", "p"),
        RegistryCredentials.from(Specs.basicSecret("ns", "s", "u", "p"), "quay.io"));
    assertEquals(new RegistryCredentials("robot", "pa:ss"),
        RegistryCredentials.from(Specs.dockerConfigSecret("ns", "s", "quay.io", "robot", "pa:ss"), "quay.io"));
    assertEquals(new RegistryCredentials("hub", "x"),
        RegistryCredentials.from(Specs.dockerConfigSecret("ns", "s", "https://index.docker.io/v1/", "hub", "x"),
            "docker.io"));
  }

  @Test
  void unusableSecretsSayWhyWithoutTheirValues() {
    var noEntry = assertThrows(RegistryCredentials.InvalidSecretException.class,
        () -> RegistryCredentials.from(Specs.dockerConfigSecret("ns", "s", "ghcr.io", "robot", "hunter2"), "quay.io"));
    assertTrue(noEntry.getMessage().contains("no auths entry for quay.io"), noEntry.getMessage());
    assertFalse(noEntry.getMessage().contains("hunter2"));
    var wrongKeys = assertThrows(RegistryCredentials.InvalidSecretException.class, () -> RegistryCredentials.from(
        new SecretBuilder().withNewMetadata().withNamespace("ns").withName("s").endMetadata()
            .withData(Map.of("token", Specs.b64("hunter2"))).build(), "quay.io"));
    assertTrue(wrongKeys.getMessage().contains("ns/s"), wrongKeys.getMessage());
    assertFalse(new RegistryCredentials("u", "hunter2").toString().contains("hunter2"));
  }
}
