package dev.registrycache.operator;

/**
 * How the operator itself was started: its namespace (where every dependent lives), the image
 * the caches run unless a RegistryCache names one, and the log format passed on to them.
 */
public record OperatorSettings(String namespace, String image, String imagePullPolicy, String logFormat) {}
