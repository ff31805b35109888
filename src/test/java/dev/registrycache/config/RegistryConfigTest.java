package dev.registrycache.config;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RegistryConfigTest {
  @Test
  void neitherToStringNorDescribePrintsThePassword() {
    RegistryConfig r = new RegistryConfig("quay.io", null, "robot", "hunter2-secret", null);
    assertFalse(r.toString().contains("hunter2-secret"), r.toString());
    assertTrue(r.toString().contains("<redacted>"));
    assertFalse(r.describe().contains("hunter2-secret"));
    assertFalse(java.util.List.of(r).toString().contains("hunter2-secret"), "as a config record prints it");
  }

  @Test
  void privateContentIsVerifyOrBypassAndOnlyWithoutCredentials() {
    org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () ->
        new RegistryConfig("ghcr.io", null, null, null, null, null, null, null, "share", null));
    IllegalArgumentException both = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> new RegistryConfig("ghcr.io", null, "robot", "pw", null, null, null, null, "verify", null));
    assertTrue(both.getMessage().contains("without credentials"), both.getMessage());
    assertTrue(RegistryConfig.of("ghcr.io", null).verifiesCallers(), "verify is the default");
    assertFalse(new RegistryConfig("ghcr.io", null, "robot", "pw", null).verifiesCallers(), "shared credentials");
  }

  @Test
  void aCallersCopyKeepsItsCredentialsOutOfEveryPrintout() {
    RegistryConfig caller = RegistryConfig.of("ghcr.io", null).forCaller("alice", "alice-secret-pw", "k1");
    assertTrue(caller.isCaller() && !caller.verifiesCallers());
    assertFalse(caller.toString().contains("alice-secret-pw") || caller.toString().contains("k1"), caller.toString());
    assertFalse(caller.describe().contains("alice"), caller.describe());
  }

  @Test
  void aConfigFileCannotSetACallerKey() throws Exception {
    java.nio.file.Path f = java.nio.file.Files.createTempFile("registry-config", ".yaml");
    try {
      java.nio.file.Files.writeString(f, "registries:\n  - name: ghcr.io\n    callerKey: x\n");
      RegistryConfig r;
      try {
        r = ConfigLoader.load(f, ConfigLoader.Overrides.none(), java.util.Map.of()).registries().stream()
            .filter(x -> x.name().equals("ghcr.io")).findFirst().orElseThrow();
      } catch (RuntimeException refused) {
        return; // refused outright is as good
      }
      assertFalse(r.isCaller(), "callerKey is never read from a file");
    } finally {
      java.nio.file.Files.deleteIfExists(f);
    }
  }
}
