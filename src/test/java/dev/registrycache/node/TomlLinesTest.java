package dev.registrycache.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TomlLinesTest {
  @Test
  void keysOfQuotedTablesAndDottedKeys() {
    var kv = TomlLines.keyValues("""
        version = 3 # comment
        [plugins . 'io.containerd.cri.v1.images']
          registry.config_path = "/a:/b" # trailing
        [plugins."io.containerd.grpc.v1.cri".registry]
          config_path = 'x # not a comment'
        """);
    assertEquals("3", kv.get(List.of("version")));
    assertEquals(Optional.of("/a:/b"),
        TomlLines.string(kv.get(List.of("plugins", "io.containerd.cri.v1.images", "registry", "config_path"))));
    assertEquals(Optional.of("x # not a comment"),
        TomlLines.string(kv.get(List.of("plugins", "io.containerd.grpc.v1.cri", "registry", "config_path"))));
  }

  @Test
  void multiLineArraysAndStringsAreNotMistakenForTables() {
    var lines = TomlLines.read("""
        client = [
          ["/a.cert", "/a.key"],
        ]
        note = \"""
        [not a table]
        \"""
        [host."x"]
        """);
    assertEquals(List.of(TomlLines.Kind.KEY_VALUE, TomlLines.Kind.CONTINUATION, TomlLines.Kind.CONTINUATION,
        TomlLines.Kind.KEY_VALUE, TomlLines.Kind.CONTINUATION, TomlLines.Kind.CONTINUATION, TomlLines.Kind.TABLE),
        lines.stream().map(TomlLines.Line::kind).toList());
    assertEquals(List.of("host", "x"), lines.get(6).table());
  }

  @Test
  void stringArrays() {
    assertEquals(List.of("/etc/containerd/conf.d/*.toml", "b"), TomlLines.strings("[\"/etc/containerd/conf.d/*.toml\", 'b']"));
    assertEquals(Optional.of("a\"b"), TomlLines.string("\"a\\\"b\""));
  }

  @Test
  void existingHostsTomlIsSplitAndOurHostDropped() {
    HostsToml.Existing e = HostsToml.Existing.parse("""
        # comment
        server = "https://quay.io"
        skip_verify = false

        [host."http://127.0.0.1:5000"]
          capabilities = ["pull"]
          [host."http://127.0.0.1:5000".header]
            a = "b"
        [host."https://other"]
          capabilities = ["pull"]
        """, "http://127.0.0.1:5000");
    assertEquals(Optional.of("https://quay.io"), e.server());
    assertEquals(List.of("# comment", "skip_verify = false"), e.topLevel());
    assertEquals(List.of("[host.\"https://other\"]", "  capabilities = [\"pull\"]"), e.tables());
  }

  @Test
  void registryPrefixesDefaultToLocation() {
    assertEquals(Set.of("docker.io", "quay.io/org"), CrioRegistriesWriter.prefixesIn("""
        [[registry]]
        location = "docker.io"
        [[registry.mirror]]
        location = "mirror.example"
        [[registry]]
        prefix = "quay.io/org"
        location = "quay.io/other"
        """));
  }

  @Test
  void versionsCompareNumerically() {
    assertEquals(-1, Integer.signum(ContainerdConfigInspector.compareVersions("1.7.24", "2.1")));
    assertEquals(1, Integer.signum(ContainerdConfigInspector.compareVersions("2.10.0", "2.1")));
    assertEquals(0, ContainerdConfigInspector.compareVersions("2.1.0-rc.1", "2.1"));
  }
}
