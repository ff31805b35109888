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
}
