package dev.registrycache.chart;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Renders the chart with real Helm (helm-java) and reads the objects back. */
public final class ChartRendering {
  public static final Path CHART = Path.of("charts/registry-cache");
  static final String RELEASE = "registry-cache";
  static final String NAMESPACE = "registry-cache";
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private ChartRendering() {}

  public static String render(Map<String, Object> values) {
    TemplateCommand t = new Helm(CHART).template().withName(RELEASE).withNamespace(NAMESPACE);
    values.forEach(t::set);
    return t.call();
  }

  static List<ObjectNode> objects(String rendered) throws IOException {
    List<ObjectNode> out = new ArrayList<>();
    try (YAMLParser p = (YAMLParser) YAML.getFactory().createParser(rendered)) {
      for (var it = YAML.readValues(p, JsonNode.class); it.hasNext(); ) {
        JsonNode n = it.next();
        if (n != null && n.isObject() && n.has("kind")) {
          out.add((ObjectNode) n);
        }
      }
    }
    return out;
  }

  static List<ObjectNode> objects(Map<String, Object> values) throws IOException {
    return objects(render(values));
  }

  static ObjectNode find(List<ObjectNode> objects, String kind, String nameSuffix) {
    return objects.stream()
        .filter(o -> o.path("kind").asText().equals(kind)
            && o.path("metadata").path("name").asText().endsWith(nameSuffix))
        .findFirst().orElseThrow(() -> new AssertionError("no " + kind + " *" + nameSuffix + " in "
            + objects.stream().map(o -> o.path("kind").asText() + "/" + o.path("metadata").path("name").asText()).toList()));
  }

  static String env(JsonNode container, String name) {
    for (JsonNode e : container.path("env")) {
      if (e.path("name").asText().equals(name)) {
        return e.path("value").asText(null);
      }
    }
    return null;
  }
}
