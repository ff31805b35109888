package dev.registrycache.operator.dependent;

import dev.registrycache.operator.ResourceNames;

/** The label selector of the dependents' informers: only what this operator manages is cached. */
final class DependentLabels {
  static final String SELECTOR = "app.kubernetes.io/managed-by=" + ResourceNames.MANAGED_BY;

  private DependentLabels() {}
}
