import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ATTR, BATCH } from '../protocol/records/batchHeader';
import { nodeFs, writeFileAtomic } from './fs';
import { PartitionLog, type LogObserver } from './partitionLog';
import { ProducerStateTable, lastSequenceOf, type ProducerEntry } from './producerState';
import { segmentFileName, type Segment } from './segment';
import { SegmentTxnIndex, type AbortedTxn } from './txnIndex';

/** `<20-digit offset>.snapshot`: the producer state of every batch below that offset. */
export const SNAPSHOT_SUFFIX = '.snapshot';
const SNAPSHOT_NAME = /^(\d{20})\.snapshot$/;
/** Snapshots kept per partition: the newest few, so a damaged one still leaves an older start point. */
export const SNAPSHOTS_KEPT = 3;
/** Earlier versions' single snapshot (with the aborted list inside); superseded, removed when a new one is written. */
const LEGACY_SNAPSHOT_FILE = 'producer-state.snapshot';
const SNAPSHOT_VERSION = 2;
const SCAN_BYTES = 4 * 1024 * 1024;
/** Kafka's producer.id.expiration.ms default: producers idle this long (with no open transaction) are dropped. */
export const PRODUCER_EXPIRATION_MS = 24 * 60 * 60 * 1000;
let producerExpirationMs = PRODUCER_EXPIRATION_MS;

interface SnapshotFile {
  version: number;
  /** Log end offset the snapshot covers: batches from here on are replayed from the log. */
  endOffset: number;
  producers: Array<{ pid: string; epoch: number; ts: number; txn: number; batches: Array<[number, number, number, number]> }>;
}

/** What the last load of a log's producer state read, for logs and tests. */
export interface ProducerStateLoadStats {
  /** Offset of the snapshot it started from, null when it replayed from the log start. */
  snapshotOffset: number | null;
  replayedFrom: number;
  replayedTo: number;
  replayedBytes: number;
  /** Segments whose transaction index was rebuilt from the log. */
  rebuiltTxnIndexes: number;
}

interface LoadedState {
  /** Updated when appends are queued (before they are written): judges incoming batches, gives the LSO. */
  live: ProducerStateTable;
  /** Updated as batches are published, in log order: exactly the state at the log end, what snapshots hold. */
  published: ProducerStateTable;
  /** Snapshot writes of this log, one at a time. */
  writes: Promise<void>;
}

const tables = new WeakMap<PartitionLog, Promise<ProducerStateTable>>();
const states = new WeakMap<PartitionLog, LoadedState>();
const lastLoad = new WeakMap<PartitionLog, ProducerStateLoadStats>();
/** Removal of snapshots past a truncated log end, awaited by the next load. */
const cleanups = new WeakMap<PartitionLog, Promise<void>>();
/** Snapshot offsets written this run: valid even past the log end found at start. */
const writtenThisRun = new WeakMap<PartitionLog, Set<number>>();
/** Logs replication changed behind the tables' back: no state is carried forward for them this run. */
const invalidated = new WeakSet<PartitionLog>();
/** Logs that were empty when loaded after start (new partitions): their state starts empty. */
const bornEmpty = new WeakSet<PartitionLog>();
/** The carried state of an unloaded log, read once (later snapshots may prune the file it came from). */
const carriedMemo = new WeakMap<PartitionLog, Promise<SnapshotFile | null>>();
/** Roll snapshots of unloaded logs, awaited at shutdown. */
const carryWrites = new WeakMap<PartitionLog, Promise<void>>();

/** producer.id.expiration.ms of this process (the broker sets it at start). */
export function setProducerExpirationMs(ms: number): void {
  producerExpirationMs = ms;
}

/** Drops idle producers of a loaded log (the broker's periodic check); returns how many. */
export function expireIdleProducers(log: PartitionLog, now: number): number {
  const state = states.get(log);
  if (!state) return 0;
  state.published.expire(now, producerExpirationMs);
  return state.live.expire(now, producerExpirationMs);
}

/** The table when it is already loaded: lets the produce path skip a promise hop per request. */
export function loadedProducerState(log: PartitionLog): ProducerStateTable | undefined {
  return states.get(log)?.live;
}

export function producerStateLoadStats(log: PartitionLog): ProducerStateLoadStats | undefined {
  return lastLoad.get(log);
}

/**
 * The producer state of a log, loaded on first use: from the newest snapshot
 * at or below the first segment whose transaction index is not known good
 * (after a crash: the segment that was active) plus a replay of the log after
 * it, which also rebuilds those indexes. Partitions never written by an
 * idempotent producer never pay for the scan.
 */
export function producerStateOf(log: PartitionLog): Promise<ProducerStateTable> {
  let t = tables.get(log);
  if (!t) {
    t = loadProducerState(log);
    tables.set(log, t);
    // a failed load is retried on next use rather than cached
    t.catch(() => {
      if (tables.get(log) === t) tables.delete(log);
    });
  }
  return t;
}

async function listSnapshots(dir: string): Promise<number[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const n of names) {
    const m = SNAPSHOT_NAME.exec(n);
    if (m) out.push(Number(m[1]));
  }
  return out.sort((a, b) => a - b);
}

function snapshotName(offset: number): string {
  return `${segmentFileName(offset)}${SNAPSHOT_SUFFIX}`;
}

async function readSnapshot(dir: string, offset: number): Promise<SnapshotFile | null> {
  try {
    const parsed = JSON.parse(await fs.readFile(path.join(dir, snapshotName(offset)), 'utf8')) as SnapshotFile;
    if (parsed.version !== SNAPSHOT_VERSION || parsed.endOffset !== offset || !Array.isArray(parsed.producers)) return null;
    return parsed;
  } catch {
    return null;
  }
}

/**
 * The newest readable snapshot at or below `limit`. Snapshots past the log
 * found at start, unless written this run, describe batches recovery cut
 * away: they are removed.
 */
async function newestSnapshot(log: PartitionLog, limit: number): Promise<SnapshotFile | null> {
  const openedEnd = openedWith.get(log)?.logEndOffset ?? Infinity;
  const mine = writtenThisRun.get(log);
  const offsets: number[] = [];
  for (const o of await listSnapshots(log.dir)) {
    if (o <= openedEnd || mine?.has(o)) offsets.push(o);
    else await fs.unlink(path.join(log.dir, snapshotName(o))).catch(() => undefined);
  }
  for (let i = offsets.length - 1; i >= 0; i--) {
    if (offsets[i]! > limit) continue;
    const snap = await readSnapshot(log.dir, offsets[i]!);
    if (snap) return snap;
  }
  return null;
}

async function loadProducerState(log: PartitionLog): Promise<ProducerStateTable> {
  await cleanups.get(log);
  const rebuilding = new Set<Segment>();
  for (const seg of log.segmentList()) {
    if (seg.txnIndex.trusted) continue;
    // whatever an untrusted index holds is dropped: the replay adds every abort of the segment again
    seg.txnIndex = new SegmentTxnIndex(false);
    rebuilding.add(seg);
  }
  const firstUntrusted = rebuilding.size > 0 ? [...rebuilding][0]!.baseOffset : log.logEndOffset;
  const snap = await newestSnapshot(log, Math.min(firstUntrusted, log.logEndOffset));
  const table = new ProducerStateTable();
  let from = log.logStartOffset;
  if (snap) {
    for (const p of snap.producers) table.restore(entryOf(p));
    from = Math.max(from, snap.endOffset);
  }
  const replayed = await replay(log, table, from, (seg, abort) => {
    if (rebuilding.has(seg)) log.addAbortedTxn(seg, abort);
  });
  // no await between the end of the replay and here: nothing is published that neither saw
  const state: LoadedState = { live: table, published: table.clone(), writes: Promise.resolve() };
  states.set(log, state);
  log.observer = observerFor(log, state);
  for (const seg of rebuilding) seg.txnIndex.trusted = true;
  const now = Date.now();
  state.live.expire(now, producerExpirationMs);
  state.published.expire(now, producerExpirationMs);
  const stats: ProducerStateLoadStats = { snapshotOffset: snap ? snap.endOffset : null, replayedFrom: from, replayedTo: replayed.end, replayedBytes: replayed.bytes, rebuiltTxnIndexes: rebuilding.size };
  lastLoad.set(log, stats);
  log.logger.info({ topic: log.topic, partition: log.partition, producers: table.size, ...stats }, 'producer state loaded');
  for (const seg of rebuilding) {
    if (seg.deleted) continue;
    try {
      await log.persistTxnIndex(seg);
    } catch (err) {
      // the index is right in memory; without its file the next start rebuilds it again
      log.logger.warn({ topic: log.topic, partition: log.partition, segment: seg.name, err: String(err) }, 'writing rebuilt transaction index failed');
    }
  }
  return table;
}

/**
 * After a crash, loads the producer state of every log whose transaction
 * index needs a rebuild and that has roll snapshots (so each load replays
 * about one segment), one log at a time, in the background: the indexes and
 * snapshots are whole again before the logs roll on. Logs without snapshots
 * (an older layout) keep loading lazily on first use.
 */
export async function rebuildAfterCrash(logs: readonly PartitionLog[]): Promise<number> {
  let n = 0;
  for (const log of logs) {
    if (log.isClosed || tables.has(log) || log.segmentList().every((s) => s.txnIndex.trusted)) continue;
    if ((await listSnapshots(log.dir)).length === 0) continue;
    try {
      await producerStateOf(log);
      n++;
    } catch (err) {
      log.logger.warn({ topic: log.topic, partition: log.partition, err: String(err) }, 'producer state rebuild after a crash failed; retried on first use');
    }
  }
  return n;
}

function entryOf(p: SnapshotFile['producers'][number]): ProducerEntry {
  return {
    producerId: BigInt(p.pid),
    epoch: p.epoch,
    lastTimestamp: p.ts,
    txnFirstOffset: p.txn,
    batches: p.batches.map(([firstSeq, lastSeq, baseOffset, lastOffset]) => ({ firstSeq, lastSeq, baseOffset, lastOffset, written: null })),
  };
}

/** Applies every batch from `from` to the current log end to the table; abort markers go to `onAbort` with their segment. */
async function replay(log: PartitionLog, table: ProducerStateTable, from: number, onAbort: (seg: Segment, t: AbortedTxn) => void): Promise<{ end: number; bytes: number }> {
  let offset = from;
  let bytes = 0;
  while (offset < log.logEndOffset) {
    const res = await log.read(offset, SCAN_BYTES, { minOneBatch: true });
    if (res.bytes === 0) break;
    bytes += res.bytes;
    for (const chunk of res.chunks) {
      let p = 0;
      while (p + BATCH.HEADER_SIZE <= chunk.length) {
        const size = BATCH.LOG_OVERHEAD + chunk.readInt32BE(p + BATCH.BATCH_LENGTH);
        const abort = applyBatch(table, chunk, p);
        if (abort) onAbort(log.segmentFor(abort.lastOffset), abort);
        offset = Number(chunk.readBigInt64BE(p + BATCH.BASE_OFFSET)) + chunk.readInt32BE(p + BATCH.LAST_OFFSET_DELTA) + 1;
        p += size;
      }
    }
  }
  return { end: offset, bytes };
}

/**
 * Keeps the published table and the segments' transaction indexes in step
 * with the log, and snapshots the state at every segment roll (named by the
 * new segment's base offset) so a crash replays at most the active segment.
 */
function observerFor(log: PartitionLog, state: LoadedState): LogObserver {
  return {
    published(seg, buf, pos) {
      try {
        if (buf.readBigInt64BE(pos + BATCH.PRODUCER_ID) < 0n) return;
        const abort = applyBatch(state.published, buf, pos);
        if (abort) log.addAbortedTxn(seg, abort);
      } catch (err) {
        // the next start rebuilds from the log; serving goes on
        seg.txnIndex.trusted = false;
        log.logger.error({ topic: log.topic, partition: log.partition, err: String(err) }, 'tracking producer state failed');
      }
    },
    rolled(baseOffset) {
      queueSnapshot(log, state, encodeSnapshot(state.published, baseOffset), baseOffset);
    },
    truncated(logEndOffset) {
      // the tables know batches that are gone: the next use loads again, from a snapshot below the cut
      forget(log);
      cleanups.set(log, state.writes.then(() => dropSnapshotsAbove(log, logEndOffset)));
    },
  };
}

function forget(log: PartitionLog): void {
  const state = states.get(log);
  if (state && log.observer) log.observer = null;
  states.delete(log);
  tables.delete(log);
}

async function dropSnapshotsAbove(log: PartitionLog, offset: number): Promise<void> {
  for (const o of await listSnapshots(log.dir)) {
    if (o > offset) {
      await fs.unlink(path.join(log.dir, snapshotName(o))).catch(() => undefined);
      writtenThisRun.get(log)?.delete(o);
    }
  }
}

/**
 * Replication changed the log behind the tables' back (a new leader, a
 * follower that appended or truncated): the next use loads the state again
 * (snapshot + replay), and no state is carried forward for this run. With
 * `dropSnapshot` (after a truncation) snapshots past the log end go too.
 */
export async function invalidateProducerState(log: PartitionLog, dropSnapshot = false): Promise<void> {
  const state = states.get(log);
  forget(log);
  invalidated.add(log);
  await state?.writes;
  await cleanups.get(log);
  if (dropSnapshot) await dropSnapshotsAbove(log, log.logEndOffset);
}

function encodeSnapshot(table: ProducerStateTable, endOffset: number): Buffer {
  const snap: SnapshotFile = { version: SNAPSHOT_VERSION, endOffset, producers: [] };
  for (const e of table.entries()) {
    snap.producers.push({
      pid: e.producerId.toString(),
      epoch: e.epoch,
      ts: e.lastTimestamp,
      txn: e.txnFirstOffset,
      batches: e.batches.filter((b) => b.baseOffset >= 0).map((b) => [b.firstSeq, b.lastSeq, b.baseOffset, b.lastOffset]),
    });
  }
  return Buffer.from(JSON.stringify(snap));
}

function queueSnapshot(log: PartitionLog, state: LoadedState, data: Buffer, endOffset: number): Promise<void> {
  const write = async (): Promise<void> => {
    let mine = writtenThisRun.get(log);
    if (!mine) writtenThisRun.set(log, (mine = new Set()));
    mine.add(endOffset);
    await writeSnapshotFile(log.dir, endOffset, data);
  };
  const p = state.writes.then(write, write);
  state.writes = p.catch((err: unknown) => {
    log.logger.warn({ topic: log.topic, partition: log.partition, endOffset, err: String(err) }, 'producer state snapshot failed');
  });
  return p;
}

/** Writes one snapshot (atomic, fsynced) and keeps only the newest few. */
async function writeSnapshotFile(dir: string, endOffset: number, data: Buffer): Promise<void> {
  await writeFileAtomic(nodeFs, dir, snapshotName(endOffset), data);
  const offsets = await listSnapshots(dir);
  for (const o of offsets.slice(0, Math.max(0, offsets.length - SNAPSHOTS_KEPT))) await fs.unlink(path.join(dir, snapshotName(o))).catch(() => undefined);
  await fs.unlink(path.join(dir, LEGACY_SNAPSHOT_FILE)).catch(() => undefined);
}

/**
 * Replays one stored batch header into the table. Returns the aborted
 * transaction an abort marker closed (null for anything else).
 */
export function applyBatch(table: ProducerStateTable, buf: Buffer, pos: number): AbortedTxn | null {
  const producerId = buf.readBigInt64BE(pos + BATCH.PRODUCER_ID);
  if (producerId < 0n) return null;
  const epoch = buf.readInt16BE(pos + BATCH.PRODUCER_EPOCH);
  const attrs = buf.readInt16BE(pos + BATCH.ATTRIBUTES);
  const baseOffset = Number(buf.readBigInt64BE(pos + BATCH.BASE_OFFSET));
  const delta = buf.readInt32BE(pos + BATCH.LAST_OFFSET_DELTA);
  const ts = Number(buf.readBigInt64BE(pos + BATCH.MAX_TIMESTAMP));
  if (attrs & ATTR.CONTROL) return applyMarker(table, producerId, epoch, isAbortMarker(buf, pos), baseOffset, ts);
  const firstSeq = buf.readInt32BE(pos + BATCH.BASE_SEQUENCE);
  const batch = { firstSeq, lastSeq: lastSequenceOf(firstSeq, delta), baseOffset, lastOffset: baseOffset + delta, written: null };
  table.record(producerId, epoch, batch, ts);
  const entry = table.get(producerId)!;
  if (attrs & ATTR.TRANSACTIONAL && entry.txnFirstOffset < 0) entry.txnFirstOffset = baseOffset;
  return null;
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

/**
 * A commit/abort marker at `markerOffset` closes the producer's transaction on
 * this partition. For an abort of an open transaction, returns its index entry
 * (with the LSO right after the marker).
 */
export function applyMarker(table: ProducerStateTable, producerId: bigint, epoch: number, abort: boolean, markerOffset: number, ts: number): AbortedTxn | null {
  const entry = table.bumpEpoch(producerId, epoch, ts);
  const firstOffset = entry.txnFirstOffset;
  entry.txnFirstOffset = -1;
  if (!abort || firstOffset < 0) return null;
  return { producerId, firstOffset, lastOffset: markerOffset, lastStableOffset: table.lastStableOffset(markerOffset + 1) };
}

/** Each log's extent when the broker started serving, recorded before any append of this run. */
const openedWith = new WeakMap<PartitionLog, { logStartOffset: number; logEndOffset: number }>();

/**
 * Call once the logs are open and before appends start. Logs whose state is
 * not loaded get an observer that snapshots the state carried from start at
 * each roll; logs loaded later get one when they are empty (new partitions).
 */
export function noteLogsOpened(logs: Iterable<PartitionLog>): void {
  for (const log of logs) {
    if (!openedWith.has(log)) openedWith.set(log, { logStartOffset: log.logStartOffset, logEndOffset: log.logEndOffset });
    if (!log.observer && !states.has(log)) log.observer = carryObserver(log);
  }
  PartitionLog.defaultObserver = (log) => {
    if (log.logEndOffset !== log.logStartOffset) return null;
    bornEmpty.add(log);
    return carryObserver(log);
  };
}

/**
 * Follows a log whose state is not loaded: every append carrying a producer
 * id loads the state first (which replaces this observer), so until then the
 * state at any roll is the one carried from start, written as that roll's
 * snapshot. A producer batch arriving anyway (a replication follower) makes
 * the state unknown: nothing more is carried.
 */
function carryObserver(log: PartitionLog): LogObserver {
  return {
    published(seg, buf, pos) {
      if (buf.readBigInt64BE(pos + BATCH.PRODUCER_ID) < 0n) return;
      invalidated.add(log);
      if (buf.readInt16BE(pos + BATCH.ATTRIBUTES) & ATTR.CONTROL) seg.txnIndex.trusted = false;
    },
    rolled(baseOffset) {
      if (invalidated.has(log)) return;
      const write = async (): Promise<void> => {
        const carried = await carriedState(log);
        if (!carried || invalidated.has(log)) return;
        let mine = writtenThisRun.get(log);
        if (!mine) writtenThisRun.set(log, (mine = new Set()));
        mine.add(baseOffset);
        await writeSnapshotFile(log.dir, baseOffset, Buffer.from(JSON.stringify({ ...carried, endOffset: baseOffset })));
      };
      carryWrites.set(
        log,
        (carryWrites.get(log) ?? Promise.resolve()).then(write).catch((err: unknown) => {
          log.logger.warn({ topic: log.topic, partition: log.partition, endOffset: baseOffset, err: String(err) }, 'producer state snapshot failed');
        }),
      );
    },
    truncated(logEndOffset) {
      invalidated.add(log);
      cleanups.set(log, (carryWrites.get(log) ?? Promise.resolve()).then(() => dropSnapshotsAbove(log, logEndOffset)));
    },
  };
}

function carriedState(log: PartitionLog): Promise<SnapshotFile | null> {
  let p = carriedMemo.get(log);
  if (!p) carriedMemo.set(log, (p = carriedForward(log)));
  return p;
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
  const empty: SnapshotFile = { version: SNAPSHOT_VERSION, endOffset: 0, producers: [] };
  if (invalidated.has(log)) return null;
  const opened = openedWith.get(log);
  if (!opened) return bornEmpty.has(log) ? empty : null;
  const snap = await readSnapshot(log.dir, opened.logEndOffset);
  if (snap) return snap;
  if (opened.logEndOffset === opened.logStartOffset) return empty;
  return null;
}

/**
 * Writes the state of `log` at its end so the next start replays nothing.
 * Call with appends stopped.
 */
export async function snapshotProducerState(log: PartitionLog): Promise<void> {
  const loading = tables.get(log);
  if (loading) {
    await loading;
    const state = states.get(log);
    if (!state) return;
    await queueSnapshot(log, state, encodeSnapshot(state.published, log.logEndOffset), log.logEndOffset);
    return;
  }
  await carryWrites.get(log);
  const carried = invalidated.has(log) ? null : await carriedState(log);
  if (carried) await writeSnapshotFile(log.dir, log.logEndOffset, Buffer.from(JSON.stringify({ ...carried, endOffset: log.logEndOffset })));
}
