package dev.registrycache.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Renders the containerd {@code hosts.toml} registry-cache writes for one registry namespace,
 * optionally merged with the hosts of the file an administrator had there before.
 *
 * <p>Layout: our header comment, {@code server}, the administrator's other top-level settings
 * (they apply to {@code server}), the cache as the first {@code [host]}, then the administrator's
 * hosts. containerd tries hosts in file order and {@code server} last.
 */
final class HostsToml {
  private static final List<String> ROOT = List.of();

  private HostsToml() {}

  /**
   * The parts of an existing {@code hosts.toml} that are kept when we put the cache in front,
   * read from its parsed tree, so hosts given as tables, dotted keys or inline tables all count.
   *
   * @param topLevel settings for {@code server} other than {@code server} itself
   * @param hosts the {@code host} table without an entry for the cache
   */
  record Existing(Optional<String> server, ObjectNode topLevel, ObjectNode hosts) {
    static Existing of(ObjectNode doc, String cacheHostUrl, String origin) throws Toml.InvalidTomlException {
      ObjectNode top = doc.deepCopy();
      JsonNode server = top.remove("server");
      JsonNode host = top.remove("host");
      ObjectNode hosts = top.objectNode();
      if (host != null) {
        if (!host.isObject()) {
          throw new Toml.InvalidTomlException(origin + ": 'host' must be a table of hosts, not a "
              + host.getNodeType().toString().toLowerCase(Locale.ROOT), null);
        }
        hosts = (ObjectNode) host;
        hosts.remove(cacheHostUrl); // a second entry for the cache: ours replaces it
        for (var it = hosts.fields(); it.hasNext(); ) {
          var e = it.next();
          if (!e.getValue().isObject()) {
            throw new Toml.InvalidTomlException(origin + ": host." + TomlWriter.key(e.getKey())
                + " must be a table with the host's settings", null);
          }
        }
      }
      return new Existing(Optional.ofNullable(server).filter(JsonNode::isTextual).map(JsonNode::asText), top, hosts);
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
    TomlWriter w = new TomlWriter();
    w.line(ManagedFiles.MARKER + " Do not edit: this file is rewritten by registry-cache");
    w.comment("and removed again when it stops (the node then uses what was here before).");
    if (ContainerdHostsWriter.DEFAULT_NAMESPACE.equals(namespace)) {
      w.comment("Registries without their own hosts.toml try the node-local cache first.");
    } else {
      w.comment("Pulls from " + namespace + " try the node-local cache first, then the server below.");
    }
    if (backupPath != null) {
      w.comment("The previous hosts.toml is saved as " + backupPath + " and put back then.");
    }
    if (server != null) {
      w.string(ROOT, "server", server);
    }
    if (existing != null && !existing.topLevel().isEmpty()) {
      w.comment("Settings kept from the previous hosts.toml:");
      w.members(ROOT, existing.topLevel());
    }
    List<String> cacheHost = List.of("host", cacheUrl);
    w.blankLine().header(cacheHost);
    w.keyValue(cacheHost, "capabilities", capabilities());
    if (dialTimeout != null && !dialTimeout.isEmpty()) {
      w.string(cacheHost, "dial_timeout", dialTimeout);
    }
    if (existing != null && !existing.hosts().isEmpty()) {
      w.blankLine().comment("Hosts kept from the previous hosts.toml, tried after the cache:");
      boolean first = true;
      for (var it = existing.hosts().fields(); it.hasNext(); ) {
        var e = it.next();
        if (!first) {
          w.blankLine();
        }
        first = false;
        w.table(List.of("host", e.getKey()), (ObjectNode) e.getValue());
      }
    }
    return w.toString();
  }

  /**
   * Checks that a rendered file, parsed again, says what it should: the cache is the first host
   * and {@code server} is the intended one. Guards the layout against settings that would move
   * the cache behind another host.
   */
  static void verify(ObjectNode parsed, String server, String cacheUrl, String origin) {
    List<String> hosts = new ArrayList<>();
    Toml.at(parsed, "host").fieldNames().forEachRemaining(hosts::add);
    String actualServer = parsed.path("server").isTextual() ? parsed.path("server").asText() : null;
    if (hosts.isEmpty() || !hosts.get(0).equals(cacheUrl) || !Objects.equals(actualServer, server)) {
      throw new IllegalStateException("registry-cache would write " + origin + " with hosts " + hosts
          + " and server " + actualServer + " instead of " + cacheUrl + " first and server " + server
          + "; nothing was written");
    }
  }

  private static JsonNode capabilities() {
    return JsonNodeFactory.instance.arrayNode().add("pull").add("resolve");
  }
}
