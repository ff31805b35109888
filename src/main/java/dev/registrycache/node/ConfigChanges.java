package dev.registrycache.node;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * What one apply or restore did ({@link #actions()}, one line per file or directory changed), what
 * a human should know ({@link #warnings()}) and what failed ({@link #errors()}, e.g. a read-only
 * file system). Empty actions and errors mean the node already was as asked.
 */
public final class ConfigChanges {
  private final List<String> actions = new ArrayList<>();
  private final List<String> warnings = new ArrayList<>();
  private final List<String> errors = new ArrayList<>();

  void did(String action) {
    actions.add(action);
  }

  void warn(String warning) {
    warnings.add(warning);
  }

  void fail(String error) {
    errors.add(error);
  }

  void addAll(ConfigChanges other) {
    actions.addAll(other.actions);
    warnings.addAll(other.warnings);
    errors.addAll(other.errors);
  }

  public List<String> actions() {
    return Collections.unmodifiableList(actions);
  }

  public List<String> warnings() {
    return Collections.unmodifiableList(warnings);
  }

  public List<String> errors() {
    return Collections.unmodifiableList(errors);
  }

  public boolean succeeded() {
    return errors.isEmpty();
  }

  public boolean changedAnything() {
    return !actions.isEmpty();
  }

  @Override
  public String toString() {
    return "ConfigChanges{actions=" + actions + ", warnings=" + warnings + ", errors=" + errors + "}";
  }
}
