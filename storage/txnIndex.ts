import * as path from 'node:path';
import { SETTLED } from './settled';
import { writeFileAtomic, type StorageFs } from './fs';

/**
 * One aborted transaction of a partition: its data spans firstOffset..lastOffset
 * (the abort marker); lastStableOffset is the partition's LSO right after the
 * abort, which tells a search when no later entry can matter any more.
 */
export interface AbortedTxn {
  producerId: bigint;
  firstOffset: number;
  lastOffset: number;
  lastStableOffset: number;
}

export const TXN_INDEX_SUFFIX = '.txnindex';
/** Kafka's entry layout: int16 version, int64 producer id, first offset, last offset, last stable offset. */
const ENTRY_BYTES = 34;
const ENTRY_VERSION = 0;

export function encodeTxnIndex(entries: readonly AbortedTxn[]): Buffer {
  const buf = Buffer.allocUnsafe(entries.length * ENTRY_BYTES);
  let p = 0;
  for (const e of entries) {
    buf.writeInt16BE(ENTRY_VERSION, p);
    buf.writeBigInt64BE(e.producerId, p + 2);
    buf.writeBigInt64BE(BigInt(e.firstOffset), p + 10);
    buf.writeBigInt64BE(BigInt(e.lastOffset), p + 18);
    buf.writeBigInt64BE(BigInt(e.lastStableOffset), p + 26);
    p += ENTRY_BYTES;
  }
  return buf;
}

/**
 * Entries of a segment's `.txnindex`, or null when the file is torn or does
 * not fit the segment (markers must lie in [baseOffset, nextOffset), in order).
 */
export function parseTxnIndex(buf: Buffer, baseOffset: number, nextOffset: number): AbortedTxn[] | null {
  if (buf.length % ENTRY_BYTES !== 0) return null;
  const out: AbortedTxn[] = [];
  let prevLast = baseOffset - 1;
  for (let p = 0; p < buf.length; p += ENTRY_BYTES) {
    if (buf.readInt16BE(p) !== ENTRY_VERSION) return null;
    const e: AbortedTxn = {
      producerId: buf.readBigInt64BE(p + 2),
      firstOffset: Number(buf.readBigInt64BE(p + 10)),
      lastOffset: Number(buf.readBigInt64BE(p + 18)),
      lastStableOffset: Number(buf.readBigInt64BE(p + 26)),
    };
    if (e.lastOffset <= prevLast || e.lastOffset >= nextOffset || e.firstOffset > e.lastOffset) return null;
    prevLast = e.lastOffset;
    out.push(e);
  }
  return out;
}

/**
 * Adds to `out` the entries with data in [from, to) (lastOffset >= from and
 * firstOffset < to). Returns true once an entry's LSO reached `to`: every
 * transaction with data below `to` was closed by then, so later entries (this
 * segment's or later segments') cannot overlap.
 */
export function collectAborted(entries: readonly AbortedTxn[], from: number, to: number, out: AbortedTxn[]): boolean {
  for (const e of entries) {
    if (e.lastOffset >= from && e.firstOffset < to) out.push(e);
    if (e.lastStableOffset >= to) return true;
  }
  return false;
}

/** Closed segments' entries read back from disk, most recently used last. */
const fileCache = new Map<SegmentTxnIndex, readonly AbortedTxn[]>();
const FILE_CACHE_SEGMENTS = 16;

/**
 * The aborted transactions whose abort marker lies in one segment (Kafka's
 * `.txnindex`). The active segment's entries live in memory and are written
 * with the segment's other indexes when it rolls or the log closes; a closed
 * segment's are read from its file when a read_committed fetch needs them,
 * so memory does not grow with the partition's history.
 */
export class SegmentTxnIndex {
  /** Entries in memory (null: only in the file). */
  private entries: AbortedTxn[] | null;
  private io: Promise<void> = SETTLED;
  count: number;
  /** Entries the file holds, as persist wrote it (-1: unknown), and whether it was fsynced. */
  private persistedCount = -1;
  private persistedSynced = false;

  /**
   * @param trusted false while entries may be missing: after a crash, until
   * the producer-state replay rebuilt them from the log.
   */
  constructor(
    public trusted = true,
    entries: AbortedTxn[] | null = [],
    count = entries ? entries.length : 0,
  ) {
    this.entries = entries;
    this.count = count;
  }

  add(e: AbortedTxn): void {
    if (this.entries === null) throw new Error('txn index of a closed segment cannot take entries');
    this.entries.push(e);
    this.count++;
  }

  /** The entries, from memory or the segment's file (missing file: none, the segment is gone). */
  async read(sfs: StorageFs, file: string): Promise<readonly AbortedTxn[]> {
    if (this.entries !== null) return this.entries;
    if (this.count === 0) return [];
    const cached = fileCache.get(this);
    if (cached) {
      fileCache.delete(this);
      fileCache.set(this, cached);
      return cached;
    }
    let entries: AbortedTxn[];
    try {
      entries = parseTxnIndex(await sfs.readFile(file), -Infinity, Infinity) ?? [];
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      return [];
    }
    fileCache.set(this, entries);
    if (fileCache.size > FILE_CACHE_SEGMENTS) fileCache.delete(fileCache.keys().next().value!);
    return entries;
  }

  /**
   * Makes the file match the index: written (atomically, fsynced) when
   * trusted, removed when not, so a stale file never passes for a good one.
   * Once written, a closed segment's entries leave memory. Persists of one
   * index run in call order.
   */
  persist(sfs: StorageFs, dir: string, name: string, closed: boolean, durable = true): Promise<void> {
    const run = async (): Promise<void> => {
      if (!this.trusted) {
        this.persistedCount = -1;
        await sfs.unlink(path.join(dir, name)).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'ENOENT') throw err;
        });
        return;
      }
      const entries = this.entries;
      if (entries === null) return;
      const written = entries.length;
      // entries are only ever added: a file with as many holds these (a checkpoint need not write it again)
      if (this.persistedCount !== written || (durable && !this.persistedSynced)) {
        await writeFileAtomic(sfs, dir, name, encodeTxnIndex(entries), durable);
        this.persistedCount = written;
        this.persistedSynced = durable;
      }
      if (closed && this.entries === entries && entries.length === written) this.entries = null;
    };
    const p = this.io.then(run, run);
    this.io = p.catch(() => undefined);
    return p;
  }
}

/**
 * The index of a segment found on disk at start. A file is trusted only for
 * segments below the recovery point (written and fsynced when they rolled,
 * or at clean shutdown); only the active segment keeps entries in memory.
 */
export async function loadSegmentTxnIndex(
  sfs: StorageFs,
  file: string,
  baseOffset: number,
  nextOffset: number,
  trustFile: boolean,
  active: boolean,
): Promise<SegmentTxnIndex> {
  if (!trustFile) return new SegmentTxnIndex(false);
  let data: Buffer;
  try {
    data = await sfs.readFile(file);
  } catch {
    return new SegmentTxnIndex(false);
  }
  const entries = parseTxnIndex(data, baseOffset, nextOffset);
  if (entries === null) return new SegmentTxnIndex(false);
  return active ? new SegmentTxnIndex(true, entries) : new SegmentTxnIndex(true, null, entries.length);
}
