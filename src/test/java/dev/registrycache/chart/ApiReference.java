package dev.registrycache.chart;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;

/**
 * docs/api-reference.md, written from the generated CRD: every field of spec and status with
 * its type, default, validation and description (the descriptions come from the Java API
 * classes), so the reference cannot drift from what the API server enforces.
 */
final class ApiReference {
  private ApiReference() {}

  static String render(Path crd) throws IOException {
    JsonNode root = new ObjectMapper(new YAMLFactory()).readTree(crd.toFile());
    JsonNode spec = root.path("spec");
    JsonNode version = spec.path("versions").get(0);
    JsonNode schema = version.path("schema").path("openAPIV3Schema").path("properties");
    StringBuilder md = new StringBuilder();
    md.append("# RegistryCache API reference\n\n")
        .append("<!-- Generated from crds/").append(crd.getFileName())
        .append(" by GeneratedFilesTest (mvn test -Dgenerated.update=true); do not edit. -->\n\n")
        .append("`apiVersion: ").append(spec.path("group").asText()).append('/')
        .append(version.path("name").asText()).append("`, `kind: ").append(spec.path("names").path("kind").asText())
        .append("`, ").append(spec.path("scope").asText().toLowerCase()).append("-scoped, short name `")
        .append(spec.path("names").path("shortNames").path(0).asText()).append("`. ")
        .append("The API server checks every rule in the Validation column when an object is applied; ")
        .append("the rest (unique registry names, Secrets that exist, hold the right keys and are in a namespace the "
            + "operator may read, distinct ports, host paths outside system directories, a name of at most 63 "
            + "characters) is checked by ")
        .append("the operator and reported in the status. How the fields are used: [operator.md](operator.md).\n");
    for (String part : new String[] {"spec", "status"}) {
      md.append("\n## ").append(part).append("\n\n")
          .append("| field | type | default | validation | description |\n")
          .append("| --- | --- | --- | --- | --- |\n");
      fields(md, "", schema.path(part));
    }
    md.append("\n## `kubectl get regcache` columns\n\n| column | shows |\n| --- | --- |\n");
    for (JsonNode c : version.path("additionalPrinterColumns")) {
      md.append("| ").append(c.path("name").asText()).append(c.path("priority").asInt() > 0 ? " (`-o wide`)" : "")
          .append(" | ").append(cell(c.path("description").asText("creation time"))).append(" |\n");
    }
    return md.toString();
  }

  private static void fields(StringBuilder md, String prefix, JsonNode object) {
    for (Iterator<Map.Entry<String, JsonNode>> it = object.path("properties").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> f = it.next();
      JsonNode s = f.getValue();
      boolean array = "array".equals(s.path("type").asText());
      JsonNode item = array ? s.path("items") : s;
      String path = prefix + f.getKey() + (array ? "[]" : "");
      md.append("| `").append(path).append("` | ").append(type(s)).append(" | ")
          .append(s.has("default") ? "`" + s.get("default").toString().replace("\"", "") + "`" : "")
          .append(" | ").append(validation(object, f.getKey(), item)).append(" | ")
          .append(cell(s.path("description").asText())).append(" |\n");
      if (item.has("properties")) {
        fields(md, path + ".", item);
      }
    }
  }

  private static String type(JsonNode s) {
    if (s.path("x-kubernetes-int-or-string").asBoolean()) {
      return "int or string";
    }
    if ("array".equals(s.path("type").asText())) {
      return "array of " + type(s.path("items"));
    }
    if (s.has("additionalProperties")) {
      return "map of " + type(s.path("additionalProperties"));
    }
    return s.path("type").asText("object");
  }

  private static String validation(JsonNode parent, String name, JsonNode s) {
    StringBuilder v = new StringBuilder();
    for (JsonNode r : parent.path("required")) {
      if (r.asText().equals(name)) {
        v.append("required; ");
      }
    }
    if (s.has("pattern")) {
      v.append("pattern `").append(s.get("pattern").asText().replace("|", "\\|")).append("`; ");
    }
    if (s.has("minimum")) {
      v.append("≥ ").append(s.get("minimum").asLong()).append("; ");
    }
    if (s.has("maximum")) {
      v.append("≤ ").append(s.get("maximum").asLong()).append("; ");
    }
    if (s.has("enum")) {
      v.append("one of ").append(s.get("enum").toString().replace("\"", "`")).append("; ");
    }
    if (s.has("minLength")) {
      v.append("length ≥ ").append(s.get("minLength").asLong()).append("; ");
    }
    if (s.has("maxLength")) {
      v.append("length ≤ ").append(s.get("maxLength").asLong()).append("; ");
    }
    return v.length() == 0 ? "" : v.substring(0, v.length() - 2);
  }

  private static String cell(String text) {
    return text.replace("|", "\\|").replace("\n", " ").strip();
  }
}
