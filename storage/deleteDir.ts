import { randomUUID } from 'node:crypto';

/** What a partition directory renamed for deletion ends with; start-up removes every such directory it lists. */
export const DELETE_DIR_SUFFIX = '-delete';

/** Longest file name most file systems allow (ext4, xfs, btrfs: 255 bytes; topic names are ASCII). */
const MAX_FILE_NAME = 255;

/**
 * The name a partition directory is renamed to before it is removed, as Kafka's LocalLog.logDeleteDirName:
 * `<topic>-<partition>.<uuid>-delete`, the topic part shortened so the name fits 255 bytes. Topic names go up
 * to 249 characters, so appending a suffix to the full directory name would fail with ENAMETOOLONG and leave
 * the partition in place, to be loaded again at start or by a topic re-created under the same name.
 */
export function deleteDirName(topic: string, partition: number): string {
  const suffix = `-${partition}.${randomUUID().replace(/-/g, '')}${DELETE_DIR_SUFFIX}`;
  return `${topic.slice(0, Math.max(0, MAX_FILE_NAME - suffix.length))}${suffix}`;
}

/** Whether a data dir entry is a partition directory renamed for deletion (never a log: its name ends in a letter). */
export function isDeleteDir(name: string): boolean {
  return name.endsWith(DELETE_DIR_SUFFIX);
}
