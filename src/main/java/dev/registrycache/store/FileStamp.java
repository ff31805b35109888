package dev.registrycache.store;

import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;

/**
 * What a stored file looked like when its content was last known good: its length, its
 * modification time and its identity (device and inode). Any write to the file moves the time;
 * a file put in its place has another identity.
 */
public record FileStamp(long size, FileTime modified, Object fileKey) {
  public static FileStamp of(BasicFileAttributes a) {
    return new FileStamp(a.size(), a.lastModifiedTime(), a.fileKey());
  }

  /** Same length, but written to or replaced since. */
  public boolean sameSizeButChanged(FileStamp now) {
    return size == now.size && (!modified.equals(now.modified) || !java.util.Objects.equals(fileKey, now.fileKey));
  }
}
