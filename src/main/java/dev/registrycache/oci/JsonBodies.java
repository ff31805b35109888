package dev.registrycache.oci;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The small JSON documents the distribution API answers with (error lists, the catalog, tag
 * lists), written by Jackson; each ends with a newline like distribution's.
 */
public final class JsonBodies {
  private static final ObjectWriter WRITER = JsonMapper.builder().build().writer();

  private record ErrorList(List<ErrorEntry> errors) {}

  private record ErrorEntry(String code, String message) {}

  private record RepositoryList(List<String> repositories) {}

  private record TagList(String name, List<String> tags) {}

  private JsonBodies() {}

  /** {@code {"errors":[{"code":"...","message":"..."}]}}. */
  public static byte[] error(ErrorCode code, String message) {
    return write(new ErrorList(List.of(new ErrorEntry(code.name(), message))));
  }

  /** {@code {"repositories":[...]}}, the body of {@code GET /v2/_catalog}. */
  public static byte[] catalog(List<String> repositories) {
    return write(new RepositoryList(repositories));
  }

  /** {@code {"name":"...","tags":[...]}}, the body of {@code GET /v2/NAME/tags/list}. */
  public static byte[] tagList(String name, List<String> tags) {
    return write(new TagList(name, tags));
  }

  private static byte[] write(Object body) {
    try {
      // Through a String: an unpaired surrogate becomes '?' instead of failing the answer.
      return (WRITER.writeValueAsString(body) + "\n").getBytes(StandardCharsets.UTF_8);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write " + body.getClass().getSimpleName() + " as JSON", e);
    }
  }
}
