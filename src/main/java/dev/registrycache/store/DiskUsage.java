package dev.registrycache.store;

/** The file system a store lives on: its size and the bytes still usable by the cache. */
public record DiskUsage(long totalBytes, long usableBytes) {}
