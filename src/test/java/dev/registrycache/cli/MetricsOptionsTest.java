package dev.registrycache.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** --metrics-secure is secure unless told false, for the cache and the operator alike. */
class MetricsOptionsTest {
  @Test
  void secureUnlessToldFalse() {
    CacheCommand cache = new CacheCommand();
    new CommandLine(cache).parseArgs("--metrics-listen", "10.0.0.7:5002");
    assertTrue(cache.metricsSecure);
    assertEquals("10.0.0.7:5002", cache.metricsListen);
    CacheCommand plain = new CacheCommand();
    new CommandLine(plain).parseArgs("--metrics-secure=false");
    assertFalse(plain.metricsSecure);
    OperatorCommand operator = new OperatorCommand();
    new CommandLine(operator).parseArgs();
    assertTrue(operator.metricsSecure);
    OperatorCommand plainOperator = new OperatorCommand();
    new CommandLine(plainOperator).parseArgs("--metrics-secure", "false");
    assertFalse(plainOperator.metricsSecure);
  }
}
