package dev.registrycache.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Compiling runs no annotation processor (pom.xml: the compiler's {@code proc}). One running
 * inside javac, as JOSDK's on the classpath would, starts SLF4J there; logback then reads
 * target/classes/logback.xml before the encoder and appender it names are compiled, and the
 * quietest build ({@code mvn -q package}) prints hundreds of lines of logback errors. A processor
 * leaves files that are not classes among what the compile created, which Maven's compiler
 * plugin lists.
 */
class QuietCompileTest {
  static final Path CREATED =
      Path.of("target/maven-status/maven-compiler-plugin/compile/default-compile/createdFiles.lst");

  @Test
  void compilingTheMainSourcesCreatesNothingButClasses() throws IOException {
    assumeTrue(Files.exists(CREATED), "only under Maven, which lists what the compile created in " + CREATED);
    List<String> created = Files.readAllLines(CREATED).stream().filter(line -> !line.isBlank()).toList();
    assertTrue(created.contains("dev/registrycache/Main.class"), "the list is the compile's: " + created.size());
    assertEquals(List.of(), created.stream().filter(f -> !f.endsWith(".class")).toList(),
        "an annotation processor ran during the compile of src/main");
  }
}
