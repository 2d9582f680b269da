import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ATTR, BATCH } from '../protocol/records/batchHeader';
import { nodeFs, writeFileAtomic } from './fs';
import type { PartitionLog } from './partitionLog';
import { ProducerStateTable, lastSequenceOf, type ProducerEntry } from './producerState';

/** Written at clean shutdown next to the segments; versioned so a later layout can tell old files apart. */
export const PRODUCER_SNAPSHOT_FILE = 'producer-state.snapshot';
const SNAPSHOT_VERSION = 1;
const SCAN_BYTES = 4 * 1024 * 1024;
/** Kafka's producer.id.expiration.ms default: producers idle this long (with no open transaction) are dropped. */
export const PRODUCER_EXPIRATION_MS = 24 * 60 * 60 * 1000;
let producerExpirationMs = PRODUCER_EXPIRATION_MS;

/** producer.id.expiration.ms of this process (the broker sets it at start). */
export function setProducerExpirationMs(ms: number): void {
  producerExpirationMs = ms;
}

/** Drops idle producers of a loaded table (the broker's periodic check); returns how many. */
export function expireIdleProducers(log: PartitionLog, now: number): number {
  const table = loaded.get(log);
  return table ? table.expire(now, producerExpirationMs) : 0;
}

interface SnapshotFile {
  version: number;
  /** Log end offset the snapshot covers: batches from here on are replayed from the log. */
  endOffset: number;
  producers: Array<{ pid: string; epoch: number; ts: number; txn: number; batches: Array<[number, number, number, number]> }>;
  /** Aborted transactions still in the log: [producerId, firstOffset, lastOffset]. */
  aborted?: Array<[string, number, number]>;
}

const tables = new WeakMap<PartitionLog, Promise<ProducerStateTable>>();
const loaded = new WeakMap<PartitionLog, ProducerStateTable>();

/** The table when it is already loaded: lets the produce path skip a promise hop per request. */
export function loadedProducerState(log: PartitionLog): ProducerStateTable | undefined {
  return loaded.get(log);
}

/**
 * The producer state of a log, loaded on first use: from the snapshot of the
 * last clean shutdown plus a replay of the batches after it, or by replaying
 * the whole log after a crash. Partitions never written by an idempotent
 * producer never pay for the scan.
 */
export function producerStateOf(log: PartitionLog): Promise<ProducerStateTable> {
  let t = tables.get(log);
  if (!t) {
    t = loadProducerState(log).then((table) => {
      loaded.set(log, table);
      return table;
    });
    tables.set(log, t);
    // a failed load is retried on next use rather than cached
    t.catch(() => tables.delete(log));
  }
  return t;
}

/** True when the state was loaded (so it is worth a snapshot at shutdown). */
export function producerStateLoaded(log: PartitionLog): boolean {
  return tables.has(log);
}

async function readSnapshot(log: PartitionLog): Promise<SnapshotFile | null> {
  let raw: string;
  try {
    raw = await fs.readFile(path.join(log.dir, PRODUCER_SNAPSHOT_FILE), 'utf8');
  } catch {
    return null;
  }
  try {
    const parsed = JSON.parse(raw) as SnapshotFile;
    if (parsed.version !== SNAPSHOT_VERSION || !Array.isArray(parsed.producers)) return null;
    // recovery cut the log below what the snapshot saw: its batches may not exist any more
    if (parsed.endOffset > log.logEndOffset) return null;
    return parsed;
  } catch {
    return null;
  }
}

export async function loadProducerState(log: PartitionLog): Promise<ProducerStateTable> {
  const table = new ProducerStateTable();
  let from = log.logStartOffset;
  const snap = await readSnapshot(log);
  if (snap) {
    for (const p of snap.producers) {
      const entry: ProducerEntry = {
        producerId: BigInt(p.pid),
        epoch: p.epoch,
        lastTimestamp: p.ts,
        txnFirstOffset: p.txn,
        batches: p.batches.map(([firstSeq, lastSeq, baseOffset, lastOffset]) => ({ firstSeq, lastSeq, baseOffset, lastOffset, written: null })),
      };
      table.restore(entry);
    }
    for (const [pid, firstOffset, lastOffset] of snap.aborted ?? []) table.aborted.add({ producerId: BigInt(pid), firstOffset, lastOffset });
    from = Math.max(from, snap.endOffset);
  }
  await replay(log, table, from);
  table.expire(Date.now(), producerExpirationMs);
  return table;
}

/** Applies every batch from `from` to the current log end to the table. */
async function replay(log: PartitionLog, table: ProducerStateTable, from: number): Promise<void> {
  let offset = from;
  while (offset < log.logEndOffset) {
    const res = await log.read(offset, SCAN_BYTES, { minOneBatch: true });
    if (res.bytes === 0) break;
    for (const chunk of res.chunks) {
      let p = 0;
      while (p + BATCH.HEADER_SIZE <= chunk.length) {
        const size = BATCH.LOG_OVERHEAD + chunk.readInt32BE(p + BATCH.BATCH_LENGTH);
        applyBatch(table, chunk, p);
        offset = Number(chunk.readBigInt64BE(p + BATCH.BASE_OFFSET)) + chunk.readInt32BE(p + BATCH.LAST_OFFSET_DELTA) + 1;
        p += size;
      }
    }
  }
}

/** Replays one stored batch header into the table. */
export function applyBatch(table: ProducerStateTable, buf: Buffer, pos: number): void {
  const producerId = buf.readBigInt64BE(pos + BATCH.PRODUCER_ID);
  if (producerId < 0n) return;
  const epoch = buf.readInt16BE(pos + BATCH.PRODUCER_EPOCH);
  const attrs = buf.readInt16BE(pos + BATCH.ATTRIBUTES);
  const baseOffset = Number(buf.readBigInt64BE(pos + BATCH.BASE_OFFSET));
  const delta = buf.readInt32BE(pos + BATCH.LAST_OFFSET_DELTA);
  const ts = Number(buf.readBigInt64BE(pos + BATCH.MAX_TIMESTAMP));
  if (attrs & ATTR.CONTROL) {
    applyMarker(table, producerId, epoch, isAbortMarker(buf, pos), baseOffset, ts);
    return;
  }
  const firstSeq = buf.readInt32BE(pos + BATCH.BASE_SEQUENCE);
  const batch = { firstSeq, lastSeq: lastSequenceOf(firstSeq, delta), baseOffset, lastOffset: baseOffset + delta, written: null };
  table.record(producerId, epoch, batch, ts);
  const entry = table.get(producerId)!;
  if (attrs & ATTR.TRANSACTIONAL && entry.txnFirstOffset < 0) entry.txnFirstOffset = baseOffset;
}

/** Control record key: int16 version, int16 type (0 = abort, 1 = commit); the first record starts after a length varint and attributes. */
function isAbortMarker(buf: Buffer, pos: number): boolean {
  const size = BATCH.LOG_OVERHEAD + buf.readInt32BE(pos + BATCH.BATCH_LENGTH);
  // record: length varint, attributes int8, timestampDelta varint, offsetDelta varint, keyLength varint, key
  let p = pos + BATCH.RECORDS;
  const end = pos + size;
  for (let field = 0; field < 5 && p < end; field++) {
    if (field === 1) {
      p++;
      continue;
    }
    while (p < end && buf[p]! & 0x80) p++;
    p++;
  }
  return p + 4 <= end ? buf.readInt16BE(p + 2) === 0 : false;
}

/** A commit/abort marker at `markerOffset` closes the producer's transaction on this partition. */
export function applyMarker(table: ProducerStateTable, producerId: bigint, epoch: number, abort: boolean, markerOffset: number, ts: number): void {
  const entry = table.bumpEpoch(producerId, epoch, ts);
  if (abort && entry.txnFirstOffset >= 0) table.aborted.add({ producerId, firstOffset: entry.txnFirstOffset, lastOffset: markerOffset });
  entry.txnFirstOffset = -1;
}

/** Each log's extent when the broker started serving, recorded before any append of this run. */
const openedWith = new WeakMap<PartitionLog, { logStartOffset: number; logEndOffset: number }>();

/** Call once the logs are open and before appends start; logs created later count as created empty. */
export function noteLogsOpened(logs: Iterable<PartitionLog>): void {
  for (const log of logs) if (!openedWith.has(log)) openedWith.set(log, { logStartOffset: log.logStartOffset, logEndOffset: log.logEndOffset });
}

/**
 * The state of a log whose table was never loaded this run, when it is known
 * without reading the log: every append carrying a producer id loads the table
 * first, so an unloaded log got only producer-free batches this run. Its state
 * is then whatever it was at start: empty (created this run, or empty at start)
 * or the snapshot that covered it exactly. After a crash the old snapshot covers
 * less than the log, and nothing is carried (the next use replays from it).
 */
async function carriedForward(log: PartitionLog): Promise<SnapshotFile | null> {
  const empty: SnapshotFile = { version: SNAPSHOT_VERSION, endOffset: 0, producers: [], aborted: [] };
  const opened = openedWith.get(log);
  if (!opened) return empty;
  const snap = await readSnapshot(log);
  if (snap && snap.endOffset === opened.logEndOffset) return snap;
  if (opened.logEndOffset === opened.logStartOffset) return empty;
  return null;
}

/**
 * Writes the state of `log` so the next start replays only what comes after,
 * and not the whole log on the first read_committed fetch. Call with appends stopped.
 */
export async function snapshotProducerState(log: PartitionLog): Promise<void> {
  const t = tables.get(log);
  if (!t) {
    const carried = await carriedForward(log);
    if (carried) {
      await writeFileAtomic(nodeFs, log.dir, PRODUCER_SNAPSHOT_FILE, Buffer.from(JSON.stringify({ ...carried, endOffset: log.logEndOffset })));
    }
    return;
  }
  const table = await t;
  table.aborted.truncateBelow(log.logStartOffset);
  table.expire(Date.now(), producerExpirationMs);
  const snap: SnapshotFile = {
    version: SNAPSHOT_VERSION,
    endOffset: log.logEndOffset,
    producers: [],
    aborted: table.aborted.all().map((t) => [t.producerId.toString(), t.firstOffset, t.lastOffset]),
  };
  for (const e of table.entries()) {
    snap.producers.push({
      pid: e.producerId.toString(),
      epoch: e.epoch,
      ts: e.lastTimestamp,
      txn: e.txnFirstOffset,
      batches: e.batches.filter((b) => b.baseOffset >= 0).map((b) => [b.firstSeq, b.lastSeq, b.baseOffset, b.lastOffset]),
    });
  }
  await writeFileAtomic(nodeFs, log.dir, PRODUCER_SNAPSHOT_FILE, Buffer.from(JSON.stringify(snap)));
}

/**
 * Replication changed the log behind the table's back (a follower appended
 * leader batches without the table, or truncated): the next use reloads it from
 * the log, and no snapshot is carried forward for this run. With `dropSnapshot`
 * (after a truncation) the old snapshot goes too, since it may cover batches
 * that no longer exist or were replaced.
 */
export async function invalidateProducerState(log: PartitionLog, dropSnapshot = false): Promise<void> {
  tables.delete(log);
  loaded.delete(log);
  openedWith.set(log, { logStartOffset: 0, logEndOffset: -1 });
  if (!dropSnapshot) return;
  try {
    await fs.unlink(path.join(log.dir, PRODUCER_SNAPSHOT_FILE));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
