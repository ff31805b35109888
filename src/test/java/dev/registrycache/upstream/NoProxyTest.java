package dev.registrycache.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class NoProxyTest {
  private static void direct(String list, String host, int port) {
    assertTrue(NoProxy.parse(list).bypass(host, port), "NO_PROXY=" + list + " names " + host + ":" + port);
  }

  private static void proxied(String list, String host, int port) {
    assertFalse(NoProxy.parse(list).bypass(host, port), "NO_PROXY=" + list + " does not name " + host + ":" + port);
  }

  @Test
  void domainsMatchThemselvesAndTheirSubdomainsOnLabelBoundaries() {
    for (String list : new String[] {"corp.example", ".corp.example", "*.corp.example", "CORP.example.", " x , corp.example "}) {
      direct(list, "corp.example", 443);
      direct(list, "registry.corp.example", 443);
      direct(list, "a.b.corp.example.", 443);
      proxied(list, "notcorp.example", 443);
      proxied(list, "corp.example.org", 443);
    }
    direct("*", "quay.io", 443);
    proxied("", "quay.io", 443);
    proxied(",", "quay.io", 443);
    proxied("quay", "quay.io", 443);
  }

  @Test
  void addressesAndNetworksMatchOnlyAddressLiterals() {
    direct("10.1.2.3", "10.1.2.3", 443);
    proxied("10.1.2.3", "10.1.2.30", 443);
    direct("10.0.0.0/8", "10.200.3.4", 443);
    proxied("10.0.0.0/8", "11.0.0.1", 443);
    proxied("10.0.0.0/8", "10.example", 443);
    direct("192.168.1.0/25", "192.168.1.127", 443);
    proxied("192.168.1.0/25", "192.168.1.128", 443);
    direct("0.0.0.0/0", "203.0.113.9", 443);
    direct("fd00::/8", "[fd12::1]", 443);
    proxied("fd00::/8", "[fe80::1]", 443);
    direct("2001:db8::1", "[2001:DB8:0::1]", 443);
  }

  @Test
  void entriesWithAPortMatchThatPortOnly() {
    direct("registry.corp:5000", "registry.corp", 5000);
    proxied("registry.corp:5000", "registry.corp", 443);
    direct("10.1.2.3:8443", "10.1.2.3", 8443);
    proxied("10.1.2.3:8443", "10.1.2.3", 443);
    direct("[2001:db8::1]:5000", "[2001:db8::1]", 5000);
    proxied("[2001:db8::1]:5000", "[2001:db8::1]", 443);
  }

  @Test
  void theNodeItselfIsAlwaysDirectButOnlyByItsRealNames() {
    for (String host : new String[] {"localhost", "LOCALHOST.", "127.0.0.1", "127.1.2.3", "[::1]", "[0:0:0:0:0:0:0:1]"}) {
      direct(null, host, 5000);
    }
    proxied(null, "127.mirror.example", 443);
    proxied(null, "localhost.example", 443);
  }

  @Test
  void malformedEntriesMatchNothing() {
    for (String bad : new String[] {"10.0.0.0/33", "10.0.0.0/x", "registry.corp:x", "registry.corp:70000", "999.1.1.1/8"}) {
      proxied(bad, "10.0.0.1", 443);
      proxied(bad, "registry.corp", 443);
    }
  }

  @Test
  void literalsAreParsedWithoutLookingNamesUp() {
    assertEquals("10.1.2.3", NoProxy.literal("10.1.2.3").getHostAddress());
    assertEquals("2001:db8:0:0:0:0:0:1", NoProxy.literal("[2001:db8::1]").getHostAddress());
    assertNull(NoProxy.literal("256.1.1.1"));
    assertNull(NoProxy.literal("quay.io"));
    assertNull(NoProxy.literal("dead:beef:zz"));
  }
}
