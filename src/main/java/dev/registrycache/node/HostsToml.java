package dev.registrycache.node;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Renders the containerd {@code hosts.toml} registry-cache writes for one registry namespace,
 * optionally merged with the hosts of the file an administrator had there before.
 *
 * <p>Layout: our header comment, {@code server}, the administrator's other top-level settings
 * (they apply to {@code server}), the cache as the first {@code [host]}, then the administrator's
 * tables verbatim. containerd tries hosts in file order and {@code server} last.
 */
final class HostsToml {
  private HostsToml() {}

  /** The parts of an existing {@code hosts.toml} that are kept when we put the cache in front. */
  record Existing(Optional<String> server, List<String> topLevel, List<String> tables) {
    static Existing parse(String text, String cacheHostUrl) {
      List<String> top = new ArrayList<>();
      List<String> tables = new ArrayList<>();
      String server = null;
      boolean inTables = false;
      boolean skipping = false;
      List<String> ourTable = List.of("host", cacheHostUrl);
      for (TomlLines.Line l : TomlLines.read(text)) {
        if (l.kind() == TomlLines.Kind.TABLE) {
          inTables = true;
          // A second [host."<cache>"] table would make the file invalid TOML: ours replaces it.
          skipping = l.table().size() >= 2 && l.table().subList(0, 2).equals(ourTable);
        }
        if (!inTables) {
          if (l.kind() == TomlLines.Kind.KEY_VALUE && l.key().equals(List.of("server"))) {
            server = TomlLines.string(l.value()).orElse(null);
          } else {
            top.add(l.text());
          }
        } else if (!skipping) {
          tables.add(l.text());
        }
      }
      return new Existing(Optional.ofNullable(server), trimBlankLines(top), trimBlankLines(tables));
    }
  }

  /**
   * @param namespace registry host namespace ({@code docker.io}) or {@code _default}
   * @param server fallback server URL, or {@code null} for none (containerd then uses the registry itself)
   * @param cacheUrl the cache host URL, e.g. {@code http://127.0.0.1:5000}
   * @param dialTimeout containerd dial_timeout for the cache host, or {@code null}/empty for none
   * @param backupPath where the previous file was saved, relative to the certs dir, or {@code null}
   * @param existing kept parts of the previous file, or {@code null} to drop them
   */
  static String render(String namespace, String server, String cacheUrl, String dialTimeout, String backupPath,
      Existing existing) {
    StringBuilder sb = new StringBuilder();
    sb.append(ManagedFiles.MARKER).append(" Do not edit: this file is rewritten by registry-cache\n");
    sb.append("# and removed again when it stops (the node then uses what was here before).\n");
    if (ContainerdHostsWriter.DEFAULT_NAMESPACE.equals(namespace)) {
      sb.append("# Registries without their own hosts.toml try the node-local cache first.\n");
    } else {
      sb.append("# Pulls from ").append(namespace).append(" try the node-local cache first, then the server below.\n");
    }
    if (backupPath != null) {
      sb.append("# The previous hosts.toml is saved as ").append(backupPath).append(" and put back then.\n");
    }
    if (server != null) {
      sb.append("server = ").append(quote(server)).append('\n');
    }
    if (existing != null && !existing.topLevel().isEmpty()) {
      sb.append("# Settings kept from the previous hosts.toml:\n");
      existing.topLevel().forEach(l -> sb.append(l).append('\n'));
    }
    sb.append('\n');
    sb.append("[host.").append(quote(cacheUrl)).append("]\n");
    sb.append("  capabilities = [\"pull\", \"resolve\"]\n");
    if (dialTimeout != null && !dialTimeout.isEmpty()) {
      sb.append("  dial_timeout = ").append(quote(dialTimeout)).append('\n');
    }
    if (existing != null && !existing.tables().isEmpty()) {
      sb.append('\n');
      sb.append("# Hosts kept from the previous hosts.toml, tried after the cache:\n");
      existing.tables().forEach(l -> sb.append(l).append('\n'));
    }
    return sb.toString();
  }

  static String quote(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') {
        sb.append('\\');
      }
      sb.append(c);
    }
    return sb.append('"').toString();
  }

  private static List<String> trimBlankLines(List<String> lines) {
    int from = 0;
    int to = lines.size();
    while (from < to && lines.get(from).isBlank()) {
      from++;
    }
    while (to > from && lines.get(to - 1).isBlank()) {
      to--;
    }
    return List.copyOf(lines.subList(from, to));
  }
}
