package dev.registrycache.chart;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Every size the docs and manifests give, and sizes nobody may accept: what the cache's parser
 * and the CRD's pattern are both held to. A documented size is
 * <ul>
 *   <li>the value written for a size setting: {@code maxSize: 50Gi}, a table row
 *       {@code | `storage.maxSize` | `20GiB` |}, {@code --max-size 5G};</li>
 *   <li>any number with a unit glued to it on a line that names a size setting, as descriptions
 *       give them: "e.g. 50GiB (default 20GiB)";</li>
 *   <li>every example in the last column of the sizes table of docs/configuration.md.</li>
 * </ul>
 */
public final class DocumentedSizes {
  /** The committed CRD, whose pattern the API server applies. */
  public static final Path CRD = Path.of("crds").resolve(GeneratedFilesTest.CRD_FILE);
  static final Path CONFIGURATION = Path.of("docs/configuration.md");
  /** The header of docs/configuration.md's table of the ways to write a size. */
  static final String TABLE_HEADER = "| written | means | examples |";
  /** Strings that are not sizes, to the cache as to the API server. */
  public static final List<String> REFUSED = List.of(
      "", "lots", "Gi", "-1", "-1Gi", "+1Gi", "500m", "5u", "5n", "1.5m", "512K", "20gib", "1kb", "1gi", "1Gb",
      "1iB", "1Zi", "1ZB", "1 Gi", "20 GiB", " 1Gi", "1Gi ", "1Gi\n", "1.Gi", ".5Gi", "1..5", "1,5Gi", "1_000",
      "0x10", "1e", "1e-3", "1e+3", "1.5e", "1Gi5", "1GiGi", "1Ki B", "Infinity", "NaN");

  private static final String KEY = "maxSize|minFreeSpace|max-size|MAX_SIZE";
  private static final Pattern NAMES_A_SIZE = Pattern.compile(KEY);
  private static final Pattern VALUE = Pattern.compile("(?:" + KEY + ")[\\s`'\":=|]{0,8}([0-9][^\\s`'\"|,;)}\\]]*)");
  private static final Pattern WITH_UNIT =
      Pattern.compile("(?<![\\w.^-])[0-9]+(?:\\.[0-9]+)?(?:[eE][0-9]+|[A-Za-z]+)(?![\\w.])");
  private static final Pattern CODE = Pattern.compile("`([^`]+)`");

  private DocumentedSizes() {}

  /** Where sizes are documented. */
  static List<Path> sources() throws IOException {
    List<Path> sources = new ArrayList<>(List.of(Path.of("README.md"), Path.of("charts/registry-cache/values.yaml"),
        Path.of("src/main/resources/default-config.yaml")));
    for (String dir : List.of("docs", "manifests/examples")) {
      try (Stream<Path> files = Files.list(Path.of(dir))) {
        files.filter(f -> f.toString().endsWith(".md") || f.toString().endsWith(".yaml")).sorted()
            .forEach(sources::add);
      }
    }
    return sources;
  }

  /** Each documented size, with the file and line where it first appears. */
  public static Map<String, String> examples() throws IOException {
    Map<String, String> examples = new LinkedHashMap<>();
    for (Path file : sources()) {
      List<String> lines = Files.readAllLines(file);
      for (int i = 0; i < lines.size(); i++) {
        String line = lines.get(i);
        String where = file + ":" + (i + 1);
        if (NAMES_A_SIZE.matcher(line).find()) {
          collect(VALUE.matcher(line), 1, where, examples);
          collect(WITH_UNIT.matcher(line), 0, where, examples);
        }
      }
    }
    tableRows().forEach((where, sizes) -> sizes.forEach(size -> examples.putIfAbsent(size, where)));
    return examples;
  }

  /** The examples of each row of the sizes table in docs/configuration.md, by where the row is. */
  static Map<String, List<String>> tableRows() throws IOException {
    Map<String, List<String>> rows = new LinkedHashMap<>();
    List<String> lines = Files.readAllLines(CONFIGURATION);
    int header = lines.indexOf(TABLE_HEADER);
    for (int i = header + 2; header >= 0 && i < lines.size() && lines.get(i).startsWith("|"); i++) {
      String[] cells = lines.get(i).split("\\|");
      Matcher code = CODE.matcher(cells[cells.length - 1]);
      List<String> sizes = new ArrayList<>();
      while (code.find()) {
        sizes.add(code.group(1));
      }
      rows.put(CONFIGURATION + ":" + (i + 1), sizes);
    }
    return rows;
  }

  private static void collect(Matcher m, int group, String where, Map<String, String> into) {
    while (m.find()) {
      into.putIfAbsent(m.group(group), where);
    }
  }

  /** The pattern the committed CRD gives {@code spec.storage.<field>}. */
  static String crdPattern(String field) throws IOException {
    JsonNode root = new ObjectMapper(new YAMLFactory()).readTree(CRD.toFile());
    return root.path("spec").path("versions").path(0).path("schema").path("openAPIV3Schema").path("properties")
        .path("spec").path("properties").path("storage").path("properties").path(field).path("pattern").asText(null);
  }
}
