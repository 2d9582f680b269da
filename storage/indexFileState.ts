/** Versions of a segment's offset and time index (see OffsetIndex.version). */
export interface IndexVersions {
  offset: number;
  time: number;
}

/**
 * Which versions of a segment's offset and time index its .index and .timeindex files hold (-1: unknown), and
 * whether they were fsynced. A segment that grew by less than index.interval.bytes since has the same entries:
 * a checkpoint then leaves its files be.
 */
export class IndexFileState {
  private offset = -1;
  private time = -1;
  private synced = false;
  /** Neither file exists (a segment made this run, or its empty indexes' files removed): nothing to remove. */
  private absent = false;

  /** Whether the files hold the indexes at `now` (`durable`: and were fsynced). */
  current(now: IndexVersions, durable: boolean): boolean {
    return this.offset === now.offset && this.time === now.time && (this.synced || !durable);
  }

  /** The files were just written (or removed, for empty indexes: `removed`) as of `at`; `durable`: and fsynced. */
  written(at: IndexVersions, durable: boolean, removed = false): void {
    this.offset = at.offset;
    this.time = at.time;
    this.synced = durable;
    this.absent = removed;
  }

  /** Nothing is known of the files: the next persist writes them. */
  unknown(): void {
    this.offset = this.time = -1;
    this.synced = false;
    this.absent = false;
  }

  /**
   * The segment was just created: it has no index files. Saving empty indexes then removes nothing (each removal
   * of a missing file was a failed system call and an error object: 200,000 of them when a checkpoint saved
   * 100,000 new partitions).
   */
  created(): void {
    this.absent = true;
  }

  get filesAbsent(): boolean {
    return this.absent;
  }
}
