package dev.registrycache.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TomlTest {
  @Test
  void tablesDottedKeysAndInlineTablesAllGiveTheSamePath() throws Exception {
    List<String> forms = List.of("""
        [plugins . 'io.containerd.cri.v1.images']
          registry.config_path = "/a" # trailing
        """, """
        [plugins."io.containerd.cri.v1.images".registry]
          config_path = '/a'
        """, """
        plugins."io.containerd.cri.v1.images".registry = { config_path = "/a" }
        """, """
        [plugins]
        "io.containerd.cri.v1.images" = { registry = { config_path = "/a" } }
        """);
    for (String f : forms) {
      ObjectNode doc = Toml.parse(f, "config.toml");
      assertEquals("/a", Toml.at(doc, "plugins", "io.containerd.cri.v1.images", "registry", "config_path").asText(), f);
    }
    assertTrue(Toml.at(Toml.parse("a = 1\n", "x"), "a", "b", "c").isMissingNode());
  }

  @Test
  void multiLineArraysAndStringsAreValuesNotTables() throws Exception {
    ObjectNode doc = Toml.parse("""
        client = [
          ["/a.cert", "/a.key"],
        ]
        note = \"""
        [not a table]
        \"""
        [host."x"]
        """, "hosts.toml");
    assertEquals("[not a table]\n", doc.get("note").asText());
    assertEquals("/a.key", doc.get("client").get(0).get(1).asText());
    assertTrue(doc.get("host").get("x").isObject());
  }

  @Test
  void invalidDocumentsNameTheFileAndTheLine() {
    for (String bad : List.of("a = 1\na = 2\n", "[t]\nx = 1\n[t]\ny = 2\n", "t = { x = 1 }\n[t.y]\nz = 1\n",
        "version = 2\n[plugins.\"unterminated\n", "a = [1,\n")) {
      Toml.InvalidTomlException e = assertThrows(Toml.InvalidTomlException.class, () -> Toml.parse(bad, "/etc/x.toml"));
      assertTrue(e.getMessage().startsWith("/etc/x.toml is not valid TOML: "), e.getMessage());
      assertTrue(e.getMessage().matches(".*\\(line \\d+, column \\d+\\)"), e.getMessage());
    }
  }

  @Test
  void writtenValuesParseBackToTheSameTree() throws Exception {
    String source = """
        s = "quote \\" backslash \\\\ tab \\t newline \\n bell \\u0007 é"
        literal = 'C:\\path'
        n = 42
        big = 99999999999999999999
        f = 1.5
        inf = -inf
        yes = true
        when = 1979-05-27T07:32:00Z
        local = 1979-05-27T07:32:00
        day = 1979-05-27
        time = 07:32:00.5
        nested = [["a", 1], [true]]
        tables = [{ a = 1 }, {}]
        "dotted.key" = 1
        [sub]
          x = "y"
          [sub."deeper one"]
            z = []
        """;
    ObjectNode doc = Toml.parse(source, "in");
    String written = new TomlWriter().members(List.of(), doc).toString();
    assertEquals(doc, Toml.parse(written, "out"), written);
    assertTrue(written.contains("[sub.\"deeper one\"]\n"), written);
  }

  @Test
  void existingHostsTomlIsSplitAndOurHostDropped() throws Exception {
    HostsToml.Existing e = HostsToml.Existing.of(Toml.parse("""
        # comment
        server = "https://quay.io"
        skip_verify = false

        [host."http://127.0.0.1:5000"]
          capabilities = ["pull"]
          [host."http://127.0.0.1:5000".header]
            a = "b"
        [host."https://other"]
          capabilities = ["pull"]
        """, "hosts.toml"), "http://127.0.0.1:5000", "hosts.toml");
    assertEquals(Optional.of("https://quay.io"), e.server());
    assertEquals("{\"skip_verify\":false}", e.topLevel().toString());
    assertEquals("{\"https://other\":{\"capabilities\":[\"pull\"]}}", e.hosts().toString());
  }

  @Test
  void hostsGivenAsInlineTablesOrDottedKeysAreKeptBehindTheCache() throws Exception {
    String cache = "http://127.0.0.1:5000";
    for (String admin : List.of("""
        server = "https://quay.io"
        host = { "https://m.example" = { capabilities = ["pull"] } }
        """, """
        server = "https://quay.io"
        host."https://m.example".capabilities = ["pull"]
        """)) {
      HostsToml.Existing e = HostsToml.Existing.of(Toml.parse(admin, "hosts.toml"), cache, "hosts.toml");
      String rendered = HostsToml.render("quay.io", "https://quay.io", cache, "500ms", null, e);
      ObjectNode parsed = Toml.parse(rendered, "rendered");
      HostsToml.verify(parsed, "https://quay.io", cache, "rendered");
      assertEquals(List.of(cache, "https://m.example"), fieldNames(parsed.get("host")), rendered);
      assertEquals("pull", parsed.get("host").get("https://m.example").get("capabilities").get(0).asText());
    }
  }

  @Test
  void aHostKeyThatIsNotATableIsRefused() {
    assertThrows(Toml.InvalidTomlException.class, () -> HostsToml.Existing.of(
        Toml.parse("host = \"https://x\"\n", "h"), "http://c", "/etc/containerd/certs.d/x/hosts.toml"));
    assertThrows(Toml.InvalidTomlException.class, () -> HostsToml.Existing.of(
        Toml.parse("host.\"https://x\" = 1\n", "h"), "http://c", "h"));
  }

  @Test
  void verifyRefusesAFileWhereTheCacheIsNotTheFirstHost() throws Exception {
    ObjectNode parsed = Toml.parse("server = \"s\"\n[host.\"https://a\"]\n[host.\"http://c\"]\n", "x");
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> HostsToml.verify(parsed, "s", "http://c", "/etc/containerd/certs.d/x/hosts.toml"));
    assertTrue(e.getMessage().contains("/etc/containerd/certs.d/x/hosts.toml"), e.getMessage());
  }

  @Test
  void registryPrefixesDefaultToLocation() throws Exception {
    assertEquals(Set.of("ghcr.io", "quay.io"), CrioRegistriesWriter.prefixesIn(Toml.parse(
        "registry = [{ location = \"ghcr.io\" }, { prefix = \"quay.io\", location = \"q.example\" }]\n", "r")));
    assertEquals(Set.of("docker.io", "quay.io/org"), CrioRegistriesWriter.prefixesIn(Toml.parse("""
        [[registry]]
        location = "docker.io"
        [[registry.mirror]]
        location = "mirror.example"
        [[registry]]
        prefix = "quay.io/org"
        location = "quay.io/other"
        """, "registries.conf")));
  }

  @Test
  void versionsCompareNumerically() {
    assertEquals(-1, Integer.signum(ContainerdConfigInspector.compareVersions("1.7.24", "2.1")));
    assertEquals(1, Integer.signum(ContainerdConfigInspector.compareVersions("2.10.0", "2.1")));
    assertEquals(0, ContainerdConfigInspector.compareVersions("2.1.0-rc.1", "2.1"));
  }

  private static List<String> fieldNames(com.fasterxml.jackson.databind.JsonNode n) {
    List<String> out = new java.util.ArrayList<>();
    n.fieldNames().forEachRemaining(out::add);
    return out;
  }
}
