import * as path from 'node:path';
import type { HandlePool, PooledHandle } from './handlePool';
import { OffsetIndex } from './offsetIndex';
import { TimeIndex } from './timeIndex';
import { SegmentTxnIndex, TXN_INDEX_SUFFIX } from './txnIndex';
import { O_DSYNC, O_RDWR_CREATE, readFully, type StorageFs } from './fs';

export const NO_TIMESTAMP = -1;

/** Thrown by acquire() on a segment already deleted or replaced; readers retry with the current segment list. */
export class SegmentGoneError extends Error {
  constructor(segment: string) {
    super(`segment ${segment} was deleted or replaced`);
    this.name = 'SegmentGoneError';
  }
}

export function segmentFileName(baseOffset: number): string {
  return String(baseOffset).padStart(20, '0');
}

/**
 * One segment of a partition log: a `.log` file of record batches exactly as
 * appended, plus its in-memory sparse indexes. Every use of the file
 * descriptor goes through acquire/release so that the handle pool, retention
 * and compaction can close or replace the segment without pulling the
 * descriptor out from under a read or an fsync in flight.
 */
export class Segment implements PooledHandle {
  readers = 0;
  lastUsed = 0;
  /** Bytes of whole, written batches; readers never look past this. */
  size = 0;
  /** Offset after the last batch in this segment. */
  nextOffset: number;
  index = new OffsetIndex();
  timeIndex = new TimeIndex();
  /** Aborted transactions whose abort marker is in this segment. */
  txnIndex = new SegmentTxnIndex();
  maxTimestamp = NO_TIMESTAMP;
  offsetOfMaxTimestamp = -1;
  bytesSinceIndexEntry = 0;
  /** Wall-clock time the segment was created (or loaded), for segment.ms. */
  createdAt: number;
  /** The active segment keeps its descriptor open and out of the pool. */
  pinned = false;
  deleted = false;
  private fd = -1;
  private opening: Promise<number> | null = null;

  constructor(
    readonly dir: string,
    readonly baseOffset: number,
    private readonly sfs: StorageFs,
    private readonly pool: HandlePool,
    now = Date.now(),
  ) {
    this.nextOffset = baseOffset;
    this.createdAt = now;
  }

  get name(): string {
    return segmentFileName(this.baseOffset);
  }
  get logPath(): string {
    return path.join(this.dir, `${this.name}.log`);
  }
  get indexPath(): string {
    return path.join(this.dir, `${this.name}.index`);
  }
  get timeIndexPath(): string {
    return path.join(this.dir, `${this.name}.timeindex`);
  }
  get txnIndexPath(): string {
    return path.join(this.dir, `${this.name}${TXN_INDEX_SUFFIX}`);
  }

  isEmpty(): boolean {
    return this.size === 0;
  }

  /** Whether the open descriptor was opened with O_DSYNC (every completed write is durable). */
  dsync = false;

  /** Opens (creating if needed) and pins the descriptor: used for the active segment and for recovery. */
  async openPinned(): Promise<number> {
    this.pinned = true;
    this.pool.forget(this);
    return this.ensureOpen();
  }

  /**
   * Swaps the pinned descriptor for one opened with or without O_DSYNC. In
   * fsync mode the active segment writes through O_DSYNC, so a completed write
   * is already durable and group commit needs no separate fdatasync round trip.
   */
  async reopenPinned(dsync: boolean): Promise<void> {
    if (this.fd >= 0 && this.dsync === dsync) return;
    const fd = await this.sfs.open(this.logPath, O_RDWR_CREATE | (dsync ? O_DSYNC : 0));
    const old = this.fd;
    this.fd = fd;
    this.opening = null;
    this.dsync = dsync;
    this.pinned = true;
    this.pool.forget(this);
    if (old >= 0) this.sfs.close(old).catch(() => undefined);
  }

  unpin(): void {
    this.pinned = false;
    if (this.fd >= 0) this.pool.touch(this);
  }

  async acquire(): Promise<number> {
    if (this.deleted && this.fd < 0) throw new SegmentGoneError(this.name);
    this.readers++;
    try {
      const fd = await this.ensureOpen();
      if (!this.pinned) this.pool.touch(this);
      return fd;
    } catch (err) {
      this.readers--;
      throw err;
    }
  }

  release(): void {
    this.readers--;
    if (this.readers === 0 && this.deleted) this.closeHandle();
  }

  /** Reads up to `length` bytes at `position` (fewer only if the file is shorter). */
  async read(position: number, length: number): Promise<Buffer> {
    const fd = await this.acquire();
    try {
      const buf = Buffer.allocUnsafe(length);
      const got = await readFully(this.sfs, fd, buf, length, position);
      return got === length ? buf : buf.subarray(0, got);
    } finally {
      this.release();
    }
  }

  /**
   * Accounts one batch written at `position`: sparse index entries every
   * `indexIntervalBytes`, running max timestamp. Header fields only.
   */
  trackBatch(position: number, baseOffset: number, lastOffset: number, maxTimestamp: number, size: number, indexIntervalBytes: number): void {
    if (maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = maxTimestamp;
      this.offsetOfMaxTimestamp = lastOffset;
    }
    if (this.bytesSinceIndexEntry >= indexIntervalBytes) {
      const rel = baseOffset - this.baseOffset;
      this.index.append(rel, position);
      if (this.maxTimestamp !== NO_TIMESTAMP) {
        this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp - this.baseOffset, position);
      }
      this.bytesSinceIndexEntry = 0;
    }
    this.bytesSinceIndexEntry += size;
    this.size = position + size;
    this.nextOffset = lastOffset + 1;
  }

  resetIndexes(): void {
    this.index = new OffsetIndex();
    this.timeIndex = new TimeIndex();
    this.maxTimestamp = NO_TIMESTAMP;
    this.offsetOfMaxTimestamp = -1;
    this.bytesSinceIndexEntry = 0;
    this.size = 0;
    this.nextOffset = this.baseOffset;
  }

  closeHandle(): void {
    if (this.fd < 0) return;
    const fd = this.fd;
    this.fd = -1;
    this.dsync = false;
    this.opening = null;
    this.pool.forget(this);
    this.sfs.close(fd).catch(() => undefined);
  }

  /** Final close: waits for nothing, but defers the descriptor close until the last reader is done. */
  markDeleted(): void {
    this.deleted = true;
    this.pinned = false;
    this.pool.forget(this);
    if (this.readers === 0) this.closeHandle();
  }

  private ensureOpen(): Promise<number> {
    if (this.fd >= 0) return Promise.resolve(this.fd);
    if (!this.opening) {
      this.opening = this.sfs.open(this.logPath, O_RDWR_CREATE).then(
        (fd) => {
          this.fd = fd;
          return fd;
        },
        (err: unknown) => {
          this.opening = null;
          throw err;
        },
      );
    }
    return this.opening;
  }
}
