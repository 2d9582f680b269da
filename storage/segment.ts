import * as path from 'node:path';
import type { HandlePool, PooledHandle } from './handlePool';
import { OffsetIndex } from './offsetIndex';
import { TimeIndex } from './timeIndex';
import { SegmentTxnIndex, TXN_INDEX_SUFFIX } from './txnIndex';
import { IndexFileState, type IndexVersions } from './indexFileState';
import { KEY_INDEX_SUFFIX, type SegmentKeys } from './keyIndex';
import { TAG_INDEX_SUFFIX, type SegmentTags } from './tagIndex';
import { O_DSYNC, O_RDWR_CREATE, readFully, writeFully, writeRestNow, type StorageFs } from './fs';
import { scanBatches } from './batchScanner';
import { batchBaseOffset, batchLastOffset, batchMaxTimestamp, MIN_BATCH_SIZE } from './batch';
import { SegmentGoneError, segmentFileName } from './segmentName';
import type { ReadLease } from './readBuffers';

export const NO_TIMESTAMP = -1;

/**
 * A read within this many bytes of the published end of a segment appended to
 * within RECENT_MS reads bytes just written: they are in the page cache, so
 * storage/fs.ts may copy them on the event loop (tail fetches of followers and
 * consumers). Older or farther bytes may need the disk and go through the pool.
 */
const RECENT_BYTES = 16 * 1024 * 1024;
const RECENT_MS = 10_000;

/** A broken segment invariant: a bug in the caller, never bad input (that is refused before it gets here). */
function invariant(ok: boolean, segment: Segment, what: string): asserts ok {
  if (!ok) broken(segment, what);
}

/** The failure of an invariant whose message is built only then (appends check several per batch). */
function broken(segment: Segment, what: string): never {
  throw new Error(`segment ${segment.logPath}: invariant violated: ${what}`);
}

/**
 * One segment of a partition log: a `.log` file of record batches exactly as
 * appended, plus its in-memory sparse indexes. The segment owns its positions:
 *
 *   flushedSize <= size <= writtenEnd,   baseOffset <= nextOffset
 *
 * `writtenEnd` is what was handed to writes (reserve), `size` what is
 * published (whole batches readers may see), `flushedSize` what is known
 * durable. Every use of the file descriptor goes through acquire/release so
 * that the handle pool, retention and compaction can close or replace the
 * segment without pulling the descriptor out from under a read or an fsync in
 * flight. Every descriptor, the active segment's included, is in the
 * manager's pool, so the number open stays bounded however many
 * partitions exist; a segment closed by the pool reopens on its next use.
 */
export class Segment implements PooledHandle {
  lastUsed = 0;
  poolSlot = -1;
  /** Wall-clock creation time (found on disk: the file's mtime, set by statFile), for batches without timestamps. */
  createdAt: number;
  /** Max timestamp of the segment's first batch (NO_TIMESTAMP: none, or not known yet): segment.ms counts from it. */
  private firstBatchTs = NO_TIMESTAMP;
  private users = 0;
  private published = 0;
  private reservedEnd = 0;
  private durable = 0;
  private next: number;
  private offsetIndex = new OffsetIndex();
  private timeIdx = new TimeIndex();
  /** Aborted transactions whose abort marker is in this segment. */
  private txnIdx = new SegmentTxnIndex();
  /** Key index being built by appends (brook.index.keys); null when off, or once persisted for a closed segment. */
  keys: SegmentKeys | null = null;
  /** Tag index being built by appends (a view's source); null when off, or once persisted for a closed segment. */
  tags: SegmentTags | null = null;
  /** Published size the index files on disk describe (-1: unknown): a close or an unload rewrites them only when it moved. */
  indexesPersistedAt = -1;
  /** What the .index and .timeindex files hold, so unchanged indexes are not written again. */
  readonly indexFiles = new IndexFileState();
  private maxTs = NO_TIMESTAMP;
  private offsetOfMaxTs = -1;
  private bytesSinceIndexEntry = 0;
  /** Date.now() of the last published append (0: none since load), for reads of recent bytes and lastModified(). */
  lastPublishAt = 0;
  private isDeleted = false;
  /** Open the descriptor with O_DSYNC (the active segment in fsync mode). */
  private wantDsync = false;
  private isDsync = false;
  private fd = -1;
  private opening: Promise<number> | null = null;

  constructor(
    readonly dir: string,
    readonly baseOffset: number,
    private readonly sfs: StorageFs,
    private readonly pool: HandlePool,
    now = Date.now(),
  ) {
    this.next = baseOffset;
    this.createdAt = now;
  }

  /** What segment.ms counts from (Kafka's rollingBasedTimestamp): data, not process, time, so it survives restarts. */
  get rollingTimestamp(): number {
    return this.firstBatchTs;
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
  get keyIndexPath(): string {
    return path.join(this.dir, `${this.name}${KEY_INDEX_SUFFIX}`);
  }
  get tagIndexPath(): string {
    return path.join(this.dir, `${this.name}${TAG_INDEX_SUFFIX}`);
  }

  /** Reads in flight (PooledHandle): the descriptor is only closed when this is 0. */
  get readers(): number {
    return this.users;
  }
  /** Bytes of whole, published batches; readers never look past this. */
  get size(): number {
    return this.published;
  }
  /** End of the bytes handed to writes, published or not. */
  get writtenEnd(): number {
    return this.reservedEnd;
  }
  /** Bytes known to be on stable storage. */
  get flushedSize(): number {
    return this.durable;
  }
  /** Offset after the last batch in this segment. */
  get nextOffset(): number {
    return this.next;
  }
  get index(): OffsetIndex {
    return this.offsetIndex;
  }
  get timeIndex(): TimeIndex {
    return this.timeIdx;
  }
  get txnIndex(): SegmentTxnIndex {
    return this.txnIdx;
  }
  get maxTimestamp(): number {
    return this.maxTs;
  }
  get offsetOfMaxTimestamp(): number {
    return this.offsetOfMaxTs;
  }
  get deleted(): boolean {
    return this.isDeleted;
  }
  /** Whether the open descriptor was opened with O_DSYNC (every completed write is durable). */
  get dsync(): boolean {
    return this.isDsync;
  }

  isEmpty(): boolean {
    return this.published === 0;
  }

  /** The versions of the indexes as they are now: taken before writing them, as appends go on meanwhile. */
  get indexVersions(): IndexVersions {
    return { offset: this.offsetIndex.version, time: this.timeIdx.version };
  }

  /** Replaces the transaction index (loaded from its file, or emptied for a rebuild from the log). */
  replaceTxnIndex(idx: SegmentTxnIndex): void {
    this.txnIdx = idx;
  }

  // ---------------------------------------------------------------- append

  /** Hands the next `bytes` of the file to a write; returns where it starts. */
  reserve(bytes: number): number {
    invariant(!this.isDeleted, this, 'write reserved in a deleted segment');
    const start = this.reservedEnd;
    this.reservedEnd += bytes;
    return start;
  }

  private checkWriteAt(position: number): void {
    if (position < this.published || position > this.reservedEnd) broken(this, `write at ${position} outside [${this.published}, ${this.reservedEnd}]`);
  }

  /** Writes `bufs` at `position`, inside a reservation. Resolves true when the write went through O_DSYNC (is durable). */
  async write(bufs: Buffer[], position: number): Promise<boolean> {
    this.checkWriteAt(position);
    const fd = await this.acquire();
    try {
      const durable = this.isDsync;
      await writeFully(this.sfs, fd, bufs, position);
      return durable;
    } finally {
      this.release();
    }
  }

  /**
   * Publishes one written batch at `position` (the end of what is published):
   * sparse index entries every `indexIntervalBytes`, running max timestamp.
   */
  publishBatch(position: number, baseOffset: number, lastOffset: number, maxTimestamp: number, size: number, indexIntervalBytes: number): void {
    if (position + size > this.reservedEnd) broken(this, `batch at ${position} (+${size}) published past the written end ${this.reservedEnd}`);
    this.track(position, baseOffset, lastOffset, maxTimestamp, size, indexIntervalBytes);
    this.lastPublishAt = Date.now();
  }

  /** Accounts a batch already in the file (recovery scans, rewritten segments). */
  loadBatch(position: number, baseOffset: number, lastOffset: number, maxTimestamp: number, size: number, indexIntervalBytes: number): void {
    this.track(position, baseOffset, lastOffset, maxTimestamp, size, indexIntervalBytes);
    this.reservedEnd = this.published;
  }

  private track(position: number, baseOffset: number, lastOffset: number, maxTimestamp: number, size: number, indexIntervalBytes: number): void {
    if (position !== this.published) broken(this, `batch at ${position}, published end is ${this.published}`);
    if (!(baseOffset >= this.next && lastOffset >= baseOffset)) broken(this, `batch ${baseOffset}..${lastOffset} after next offset ${this.next}`);
    if (position === 0) this.firstBatchTs = maxTimestamp;
    if (maxTimestamp > this.maxTs) {
      this.maxTs = maxTimestamp;
      this.offsetOfMaxTs = lastOffset;
    }
    if (this.bytesSinceIndexEntry >= indexIntervalBytes) {
      this.offsetIndex.append(baseOffset - this.baseOffset, position);
      if (this.maxTs !== NO_TIMESTAMP) this.timeIdx.maybeAppend(this.maxTs, this.offsetOfMaxTs - this.baseOffset, position);
      this.bytesSinceIndexEntry = 0;
    }
    this.bytesSinceIndexEntry += size;
    this.published = position + size;
    this.next = lastOffset + 1;
  }

  /** Writes that failed are gone (the file was cut back to `size`): later writes start there again. */
  abandonReservations(): void {
    this.reservedEnd = this.published;
  }

  /**
   * Offsets up to `nextOffset` belong to this segment although no batch here
   * holds them (compaction removed the last ones): the next segment starts there.
   */
  consumeOffsetsTo(nextOffset: number): void {
    if (nextOffset < this.next) broken(this, `next offset moved back from ${this.next} to ${nextOffset}`);
    this.next = nextOffset;
  }

  /** Everything up to `position` is on stable storage. */
  markFlushed(position: number): void {
    if (position > this.published) broken(this, `flushed ${position} past the published end ${this.published}`);
    if (position > this.durable) this.durable = position;
  }

  /** fdatasync of the file; what was published before it started is durable after. */
  async sync(): Promise<void> {
    const upTo = this.published;
    const fd = await this.acquire();
    try {
      await this.sfs.fdatasync(fd);
    } finally {
      this.release();
    }
    if (!this.isDeleted && upTo <= this.published) this.markFlushed(upTo);
  }

  // ---------------------------------------------------------------- load, truncate

  /**
   * Starts from persisted indexes: the batches up to the last offset-index
   * entry count as published; the caller scans the rest with loadBatch.
   */
  restoreIndexes(index: OffsetIndex, timeIndex: TimeIndex): void {
    this.forget();
    this.offsetIndex = index;
    this.timeIdx = timeIndex;
    const lastTime = timeIndex.lastEntry();
    if (lastTime) {
      this.maxTs = lastTime.timestamp;
      this.offsetOfMaxTs = this.baseOffset + lastTime.relativeOffset;
    }
    const lastEntry = index.lastEntry();
    this.published = this.reservedEnd = lastEntry ? lastEntry.position : 0;
    this.next = lastEntry ? this.baseOffset + lastEntry.relativeOffset : this.baseOffset;
    this.indexesPersistedAt = this.published;
    // just read from those files (fsynced or not: a later durable persist writes them again)
    this.indexFiles.written(this.indexVersions, false);
  }

  /** Forgets every batch tracked so far (the file is scanned again from the start). */
  forget(): void {
    this.offsetIndex = new OffsetIndex();
    this.timeIdx = new TimeIndex();
    this.maxTs = NO_TIMESTAMP;
    this.offsetOfMaxTs = -1;
    this.firstBatchTs = NO_TIMESTAMP;
    this.bytesSinceIndexEntry = 0;
    this.published = this.reservedEnd = this.durable = 0;
    this.next = this.baseOffset;
    this.indexesPersistedAt = -1;
    this.indexFiles.unknown();
  }

  /**
   * Cuts the file at `position` (a batch boundary at or below the published
   * end), fsynced, and rebuilds the indexes of what stays. The transaction
   * index starts over untrusted: the producer-state replay rebuilds it.
   */
  async truncateTo(position: number, indexIntervalBytes: number): Promise<void> {
    if (!(position <= this.published && this.reservedEnd === this.published)) broken(this, `truncate to ${position} with ${this.published} published, ${this.reservedEnd} written`);
    const fd = await this.acquire();
    try {
      await this.sfs.ftruncate(fd, position);
      await this.sfs.fsync(fd);
    } finally {
      this.release();
    }
    this.forget();
    this.txnIdx = new SegmentTxnIndex(false);
    // entries past the cut would be trusted again once the log regrows there: start the key index over
    this.keys = null;
    this.tags = null;
    await this.sfs.unlink(this.keyIndexPath).catch(() => undefined);
    await this.sfs.unlink(this.tagIndexPath).catch(() => undefined);
    await scanBatches(this, 0, position, false, (b) => {
      this.loadBatch(b.position, batchBaseOffset(b.buf, b.offsetInBuf), batchLastOffset(b.buf, b.offsetInBuf), batchMaxTimestamp(b.buf, b.offsetInBuf), b.size, indexIntervalBytes);
    });
    if (this.published !== position) broken(this, `rescan after truncation ended at ${this.published}, not ${position}`);
    this.durable = position;
  }

  /**
   * Cuts the file back to the published end: a failed write left partial
   * bytes after it, or recovery found a torn or corrupt tail (`durably`:
   * fsynced, after which everything that stays is flushed).
   */
  async cutUnpublished(durably = false): Promise<void> {
    const fd = await this.acquire();
    try {
      await this.sfs.ftruncate(fd, this.published);
      if (durably) await this.sfs.fsync(fd);
    } finally {
      this.release();
    }
    this.reservedEnd = this.published;
    if (durably) this.durable = this.published;
  }

  /** Length of the file on disk. */
  /**
   * The same write done at once when the descriptor is open and the file
   * system would write inline anyway (a small write, not O_DSYNC): a produce
   * touching thousands of partitions then costs no promise chain per
   * partition. Null when it must go through write(); throws what the write threw.
   */
  writeNow(bufs: Buffer[], position: number): boolean | null {
    const writeNow = this.sfs.writevNow;
    if (this.fd < 0 || this.isDsync || writeNow === undefined) return null;
    this.checkWriteAt(position);
    const fd = this.fd;
    const first = writeNow.call(this.sfs, fd, bufs, position);
    if (first === null) return null;
    this.pool.touch(this);
    let total = 0;
    for (const b of bufs) total += b.length;
    // a short write (a disk filling up) finishes like writeFully would, or fails with its error
    if (first < total) writeRestNow(this.sfs, fd, bufs, position, first, total);
    return false;
  }

  /** Size of a file found on disk; its mtime becomes the creation time, so a restart does not make old data new. */
  async statFile(): Promise<number> {
    const fd = await this.acquire();
    try {
      const st = await this.sfs.fstat(fd);
      this.createdAt = st.mtimeMs;
      return st.size;
    } finally {
      this.release();
    }
  }

  /** Reads the first batch's timestamp when a load from indexes skipped that batch (the active segment's, for rolls). */
  async loadRollingTimestamp(): Promise<void> {
    if (this.firstBatchTs === NO_TIMESTAMP && this.published >= MIN_BATCH_SIZE) this.firstBatchTs = batchMaxTimestamp(await this.read(0, MIN_BATCH_SIZE), 0);
  }

  // ---------------------------------------------------------------- descriptor

  /** Opens the file now (creating it if needed), so a directory fsync after this covers it. */
  async create(): Promise<void> {
    await this.acquire();
    this.release();
    this.indexFiles.created();
  }

  /**
   * Whether writes go through an O_DSYNC descriptor. In fsync mode the active
   * segment writes that way, so a completed write is already durable and
   * group commit needs no separate fdatasync round trip. An open descriptor
   * of the other kind is swapped at once; a closed one opens this way on use.
   */
  async setDsync(dsync: boolean): Promise<void> {
    this.wantDsync = dsync;
    if (this.fd < 0 || this.isDsync === dsync) return;
    const fd = await this.sfs.open(this.logPath, O_RDWR_CREATE | (dsync ? O_DSYNC : 0));
    const old = this.fd;
    this.fd = fd;
    this.opening = null;
    this.isDsync = dsync;
    this.pool.touch(this);
    if (old >= 0) this.sfs.close(old).catch(() => undefined);
  }

  async acquire(): Promise<number> {
    if (this.isDeleted && this.fd < 0) throw new SegmentGoneError(this.name);
    this.users++;
    try {
      const fd = await this.ensureOpen();
      this.pool.touch(this);
      return fd;
    } catch (err) {
      this.users--;
      throw err;
    }
  }

  release(): void {
    invariant(this.users > 0, this, 'release without acquire');
    this.users--;
    if (this.users > 0) return;
    if (this.isDeleted) this.closeHandle();
    else this.pool.trim();
  }

  /**
   * Reads up to `length` bytes at `position` (fewer only if the file is
   * shorter), into a buffer of `lease` when given (valid until it is released).
   */
  async read(position: number, length: number, lease?: ReadLease): Promise<Buffer> {
    const fd = await this.acquire();
    try {
      const buf = lease ? lease.take(length) : Buffer.allocUnsafe(length);
      const recent = position >= this.published - RECENT_BYTES && Date.now() - this.lastPublishAt <= RECENT_MS;
      const got = await readFully(this.sfs, fd, buf, length, position, recent);
      return got === buf.length ? buf : buf.subarray(0, got);
    } finally {
      this.release();
    }
  }

  closeHandle(): void {
    if (this.fd < 0) return;
    const fd = this.fd;
    this.fd = -1;
    this.isDsync = false;
    this.opening = null;
    this.pool.forget(this);
    this.sfs.close(fd).catch(() => undefined);
  }

  /** Final close: waits for nothing, but defers the descriptor close until the last reader is done. */
  markDeleted(): void {
    this.isDeleted = true;
    this.pool.forget(this);
    if (this.users === 0) this.closeHandle();
  }

  private ensureOpen(): Promise<number> {
    if (this.fd >= 0) return Promise.resolve(this.fd);
    if (!this.opening) {
      const dsync = this.wantDsync;
      this.opening = this.sfs.open(this.logPath, O_RDWR_CREATE | (dsync ? O_DSYNC : 0)).then(
        (fd) => {
          this.fd = fd;
          this.isDsync = dsync;
          // `fd` answers from now on; the settled promise is not kept per segment
          this.opening = null;
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
