package dev.registrycache.chart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registrycache.config.Sizes;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The cache and the API server accept the same sizes: every size the docs and manifests give
 * passes both the cache's parser and the pattern of the committed CRD, and the strings in
 * {@link DocumentedSizes#REFUSED} pass neither. The pattern is anchored at both ends, so a whole
 * match in Java is what the API server's search finds.
 */
class DocumentedSizesTest {
  private static Pattern crdPattern() throws IOException {
    String maxSize = DocumentedSizes.crdPattern("maxSize");
    assertEquals(maxSize, DocumentedSizes.crdPattern("minFreeSpace"), "one language for every size field");
    return Pattern.compile(maxSize);
  }

  private static boolean parses(String size) {
    try {
      Sizes.parseBytes(size);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  @Test
  void theExamplesAreFoundWhereverSizesAreDocumented() throws IOException {
    Map<String, String> examples = DocumentedSizes.examples();
    assertFalse(examples.isEmpty(), "no size found in " + DocumentedSizes.sources());
    Map<String, List<String>> rows = DocumentedSizes.tableRows();
    assertFalse(rows.isEmpty(),
        "no table headed " + DocumentedSizes.TABLE_HEADER + " in " + DocumentedSizes.CONFIGURATION);
    rows.forEach((where, sizes) -> assertFalse(sizes.isEmpty(), "a row without examples at " + where));
    assertTrue(examples.values().stream().anyMatch(w -> w.startsWith("manifests")), "examples: " + examples);
    assertTrue(examples.values().stream().anyMatch(w -> w.startsWith("docs/api-reference.md")), "CRD descriptions: "
        + examples);
  }

  @Test
  void everyDocumentedSizeIsAcceptedByTheCacheAndTheCrd() throws IOException {
    Pattern crd = crdPattern();
    List<String> refused = new ArrayList<>();
    DocumentedSizes.examples().forEach((size, where) -> {
      if (!parses(size)) {
        refused.add(where + ": " + size + " (cache)");
      }
      if (!crd.matcher(size).matches()) {
        refused.add(where + ": " + size + " (CRD pattern " + crd + ")");
      }
    });
    assertEquals(List.of(), refused);
  }

  @Test
  void whatIsNoSizeIsRefusedByBoth() throws IOException {
    Pattern crd = crdPattern();
    List<String> accepted = new ArrayList<>();
    for (String s : DocumentedSizes.REFUSED) {
      if (parses(s)) {
        accepted.add("'" + s + "' (cache)");
      }
      if (crd.matcher(s).matches()) {
        accepted.add("'" + s + "' (CRD)");
      }
    }
    assertEquals(List.of(), accepted);
  }

  @Test
  void theCrdCarriesTheCachesPattern() throws IOException {
    assertEquals(Sizes.SIZE_PATTERN, crdPattern().pattern());
  }
}
