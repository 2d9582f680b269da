import * as path from 'node:path';
import type { LogConfig } from './config';
import { fsyncDir, writeFileAtomic, type StorageFs } from './fs';
import type { HandlePool } from './handlePool';
import type { StorageLogger } from './logger';
import { OffsetIndex } from './offsetIndex';
import { TimeIndex } from './timeIndex';
import { Segment } from './segment';
import { loadSegmentTxnIndex } from './txnIndex';
import { checkKeyIndexFile, persistKeyIndex } from './logKeyIndex';
import { checkTagIndexFile, persistTagIndex } from './logTagIndex';
import { indexBatchTags, SegmentTags, TAG_INDEX_SUFFIX } from './tagIndex';
import { scanBatches } from './batchScanner';
import { batchBaseOffset, batchLastOffset, batchMaxTimestamp } from './batch';
import type { EpochEntry } from './leaderEpochCache';
import { BATCH } from '../protocol/records/batchHeader';

export const LOG_START_FILE = 'log-start-offset';
export const RECOVERY_POINT_FILE = 'recovery-point';

export interface RecoveryContext {
  sfs: StorageFs;
  pool: HandlePool;
  logger: StorageLogger;
}

export interface RecoveredPartition {
  segments: Segment[];
  logStartOffset: number;
  /**
   * The names the partition directory held (leftovers removed): nothing else creates files there while a log
   * opens, so a name not listed needs no read to learn it is missing.
   */
  listed: ReadonlySet<string>;
  /** Where each leader epoch starts among the batches recovery read (ascending): the epoch cache re-adds them. */
  scannedEpochs: EpochEntry[];
  /** Human-readable list of what recovery changed (also logged). */
  actions: string[];
  /** The directory had no segment and got an empty one, whose directory entry is not durable yet. */
  createdSegment?: boolean;
}

/**
 * Brings one partition directory back to a consistent state. Segments below
 * the recovery point were fsynced with their indexes when they were rolled
 * and only get an index sanity check; from the recovery point on (everything,
 * after an unclean shutdown) every batch is checked (header, length, CRC-32C).
 * The first bad batch truncates the log there and drops later segments, so a
 * torn or corrupt tail is never served and offsets stay contiguous.
 */
export async function recoverPartition(
  dir: string,
  config: LogConfig,
  ctx: RecoveryContext,
  cleanShutdown: boolean,
  label: Record<string, unknown>,
  /** The log start offset `log-summary` kept for this log, if it has an entry. */
  summaryStart?: number,
): Promise<RecoveredPartition> {
  const { sfs, logger } = ctx;
  const actions: string[] = [];
  const scannedEpochs: EpochEntry[] = [];
  const note = (msg: string, extra: Record<string, unknown> = {}): void => {
    actions.push(msg);
    logger.warn({ ...label, ...extra }, msg);
  };

  const names = await sfs.readdir(dir);
  const bases: number[] = [];
  for (const name of names) {
    if (name.endsWith('.tmp') || name.endsWith('.cleaned')) {
      await sfs.unlink(path.join(dir, name));
      note(`removed leftover ${name}`);
    } else if (/^\d{20}\.log$/.test(name)) {
      bases.push(Number(name.slice(0, 20)));
    }
  }
  bases.sort((a, b) => a - b);
  // a log with a tag index (on now, or files of one from before) gets the scanned segments' entries from the scan
  const tagIndexed = config.tagIndex || names.some((n) => n.endsWith(TAG_INDEX_SUFFIX));
  const listed = new Set(names);
  let checkpointStart = listed.has(LOG_START_FILE) ? await readNumberFile(sfs, path.join(dir, LOG_START_FILE)) : undefined;
  // DeleteRecords' start is in no segment: losing it silently would serve deleted records again
  const startDamaged = listed.has(LOG_START_FILE) && checkpointStart === undefined;
  if (startDamaged) {
    checkpointStart = summaryStart;
    const file = path.join(dir, LOG_START_FILE);
    note(
      summaryStart === undefined
        ? `${file} is damaged and log-summary has no entry: records DeleteRecords removed may be served again`
        : `${file} is damaged: using log start offset ${summaryStart} from log-summary`,
      { file },
    );
  }
  const recoveryPoint = cleanShutdown ? Infinity : ((listed.has(RECOVERY_POINT_FILE) ? await readNumberFile(sfs, path.join(dir, RECOVERY_POINT_FILE)) : undefined) ?? 0);

  const segments: Segment[] = [];
  if (bases.length === 0) {
    const seg = new Segment(dir, checkpointStart ?? 0, sfs, ctx.pool);
    await seg.create();
    return { segments: [seg], logStartOffset: seg.baseOffset, listed, scannedEpochs, actions, createdSegment: true };
  }

  let dropRest = false;
  for (let i = 0; i < bases.length; i++) {
    const base = bases[i]!;
    const isLast = i === bases.length - 1;
    const seg = new Segment(dir, base, sfs, ctx.pool);
    if (dropRest) {
      await removeSegmentFiles(sfs, seg);
      note(`deleted segment ${seg.name} after a truncated one`, { segment: seg.name });
      continue;
    }
    const prev = segments[segments.length - 1];
    const fileSize = await seg.statFile();
    let scanned = false;
    let loaded = false;
    if (base < recoveryPoint) {
      loaded = await loadIndexes(seg, fileSize, config, sfs, listed, scannedEpochs);
      if (!loaded) note(`rebuilding missing or damaged index of segment ${seg.name}`, { segment: seg.name });
    }
    const tags = !loaded && tagIndexed ? new SegmentTags() : null;
    if (!loaded) {
      seg.forget();
      let offsetProblem: string | undefined;
      const end = await scanBatches(seg, 0, fileSize, true, (b) => {
        const baseOffset = batchBaseOffset(b.buf, b.offsetInBuf);
        const lastOffset = batchLastOffset(b.buf, b.offsetInBuf);
        const minBase = Math.max(seg.nextOffset, prev ? prev.nextOffset : 0);
        if (baseOffset < minBase || lastOffset - seg.baseOffset > 0x7fffffff) {
          offsetProblem = `batch at position ${b.position} has offset ${baseOffset}, expected >= ${minBase}`;
          return false;
        }
        seg.loadBatch(b.position, baseOffset, lastOffset, batchMaxTimestamp(b.buf, b.offsetInBuf), b.size, config.indexIntervalBytes);
        noteBatchEpoch(scannedEpochs, b.buf, b.offsetInBuf);
        if (tags) indexScannedTags(tags, b, seg.baseOffset);
        return true;
      });
      scanned = true;
      const problem = offsetProblem ?? end.problem;
      const goodEnd = seg.size;
      if (problem !== undefined || goodEnd < fileSize) {
        await seg.cutUnpublished(true);
        note(`truncated segment ${seg.name} from ${fileSize} to ${goodEnd} bytes: ${problem ?? 'trailing bytes'}`, {
          segment: seg.name,
        });
        dropRest = true;
      }
    }
    // below the recovery point (or after a clean shutdown) the segment was fsynced before it was left
    if (base < recoveryPoint) seg.markFlushed(seg.size);
    if (seg.isEmpty() && segments.length > 0 && !isLast && !dropRest) {
      // an empty closed segment (crash right after a roll, or fully compacted) carries nothing
      seg.markDeleted();
      await removeSegmentFiles(sfs, seg);
      note(`removed empty segment ${seg.name}`);
      continue;
    }
    // a torn tail or anything at/after the recovery point may lack abort entries: producer-state replay rebuilds them
    const active = isLast || dropRest;
    const trustTxnIndex = base < recoveryPoint && !dropRest && listed.has(path.basename(seg.txnIndexPath));
    seg.replaceTxnIndex(await loadSegmentTxnIndex(sfs, seg.txnIndexPath, seg.baseOffset, seg.nextOffset, trustTxnIndex, active));
    if (!seg.txnIndex.trusted && base < recoveryPoint && !dropRest) note(`transaction index of segment ${seg.name} missing or damaged; rebuilt on first use`, { segment: seg.name });
    if (scanned && !isLast && !dropRest) await persistIndexes(sfs, seg);
    // segment.ms of the segment appends go to counts from its first batch, which a load from indexes did not read
    if (active) await seg.loadRollingTimestamp();
    const keyProblem = listed.has(path.basename(seg.keyIndexPath)) ? await checkKeyIndexFile(sfs, seg, !active) : null;
    if (keyProblem !== null) note(`key index of segment ${seg.name} ${keyProblem}`, { segment: seg.name });
    const tagProblem = tags !== null || listed.has(path.basename(seg.tagIndexPath)) ? await checkTagIndexFile(sfs, seg, !active, tags) : null;
    if (tagProblem !== null) note(`tag index of segment ${seg.name} ${tagProblem}`, { segment: seg.name });
    segments.push(seg);
  }
  const first = segments[0]!;
  const last = segments[segments.length - 1]!;
  let logStartOffset = Math.max(checkpointStart ?? 0, first.baseOffset);
  if (logStartOffset > last.nextOffset) logStartOffset = last.nextOffset;
  // a crash before the next DeleteRecords must not find the damaged file again
  if (startDamaged && checkpointStart !== undefined) await writeFileAtomic(sfs, dir, LOG_START_FILE, Buffer.from(String(logStartOffset)));
  return { segments, logStartOffset, listed, scannedEpochs, actions };
}

/**
 * Loads persisted indexes and checks them against the log: entries in range
 * and increasing, sampled entries pointing at batches with the indexed
 * offset, and the tail after the last entry walking to the exact file end.
 */
async function loadIndexes(
  seg: Segment,
  fileSize: number,
  config: LogConfig,
  sfs: StorageFs,
  listed: ReadonlySet<string>,
  epochs: EpochEntry[],
): Promise<boolean> {
  const offsetData = listed.has(path.basename(seg.indexPath)) ? await readIfExists(sfs, seg.indexPath) : null;
  const timeData = listed.has(path.basename(seg.timeIndexPath)) ? await readIfExists(sfs, seg.timeIndexPath) : null;
  if (offsetData === undefined || timeData === undefined) return false;
  // neither file: persistIndexes writes none for empty indexes; the walk below must then find no entry either
  const noFiles = offsetData === null && timeData === null;
  if ((offsetData === null) !== (timeData === null)) return false;
  const index = OffsetIndex.parse(offsetData ?? EMPTY, Math.max(fileSize, 1));
  const timeIndex = TimeIndex.parse(timeData ?? EMPTY, Math.max(fileSize, 1));
  if (!index || !timeIndex) return false;
  const samples = Math.min(index.count, 16);
  for (let s = 0; s < samples; s++) {
    const i = Math.floor(((s + 1) * index.count) / samples) - 1;
    const e = index.entry(i);
    const head = await seg.read(e.position, 8);
    if (head.length < 8 || batchBaseOffset(head, 0) !== seg.baseOffset + e.relativeOffset) return false;
  }
  seg.restoreIndexes(index, timeIndex);
  const start = seg.size;
  let bad = false;
  const end = await scanBatches(seg, start, fileSize, true, (b) => {
    const baseOffset = batchBaseOffset(b.buf, b.offsetInBuf);
    if (baseOffset < seg.nextOffset) {
      bad = true;
      return false;
    }
    seg.loadBatch(b.position, baseOffset, batchLastOffset(b.buf, b.offsetInBuf), batchMaxTimestamp(b.buf, b.offsetInBuf), b.size, config.indexIntervalBytes);
    noteBatchEpoch(epochs, b.buf, b.offsetInBuf);
    return true;
  });
  if (bad || end.problem !== undefined || seg.size !== fileSize) return false;
  if (!noFiles) return true;
  if (seg.index.lastEntry() !== null || seg.timeIndex.lastEntry() !== null) return false;
  // empty indexes and no files: what persistIndexes leaves, nothing to rewrite
  seg.indexesPersistedAt = seg.size;
  return true;
}

const EMPTY = Buffer.alloc(0);

/** Adds the batch's leader epoch if it is newer than the last one noted (unreplicated logs write -1: skipped). */
function noteBatchEpoch(out: EpochEntry[], buf: Buffer, pos: number): void {
  const epoch = buf.readInt32BE(pos + BATCH.PARTITION_LEADER_EPOCH);
  const last = out[out.length - 1];
  if (epoch >= 0 && (last === undefined || epoch > last.epoch)) out.push({ epoch, startOffset: batchBaseOffset(buf, pos) });
}

/** The file's bytes, null when it does not exist, undefined when it cannot be read. */
async function readIfExists(sfs: StorageFs, file: string): Promise<Buffer | null | undefined> {
  try {
    return await sfs.readFile(file);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? null : undefined;
  }
}

/** `durable: false`: no fsyncs, the caller syncs the whole file system afterwards (clean shutdown). */
export async function persistIndexes(sfs: StorageFs, seg: Segment, closed = true, durable = true): Promise<void> {
  // files left as they are when unchanged since written (a partition that got less than index.interval.bytes): a
  // checkpoint of 10,000 such partitions rewrote 20,000 of them (temporary file, write, rename each) for nothing
  const versions = seg.indexVersions;
  if (seg.indexFiles.current(versions, durable)) {
    // nothing to write
  } else if (seg.index.lastEntry() === null && seg.timeIndex.lastEntry() === null) {
    // empty (a segment under index.interval.bytes, most of a big broker's): no files, a third of the writes at shutdown
    if (!seg.indexFiles.filesAbsent) {
      await unlinkIfExists(sfs, seg.indexPath);
      await unlinkIfExists(sfs, seg.timeIndexPath);
    }
    seg.indexFiles.written(versions, durable, true);
  } else {
    const index = seg.index.serialize();
    const timeIndex = seg.timeIndex.serialize();
    await writeFileAtomic(sfs, seg.dir, path.basename(seg.indexPath), index, durable);
    await writeFileAtomic(sfs, seg.dir, path.basename(seg.timeIndexPath), timeIndex, durable);
    seg.indexFiles.written(versions, durable);
  }
  await seg.txnIndex.persist(sfs, seg.dir, path.basename(seg.txnIndexPath), closed, durable);
  // the key index (when on) is written durably even at shutdown
  await persistKeyIndex(sfs, seg, closed);
  await persistTagIndex(sfs, seg, closed);
  seg.indexesPersistedAt = seg.size;
}

/** Whether the active segment's index files on disk already describe it (nothing appended since they were read or written). */
export function indexesUpToDate(seg: Segment): boolean {
  return seg.indexesPersistedAt === seg.size && seg.keys === null && seg.tags === null && seg.txnIndex.trusted;
}

async function unlinkIfExists(sfs: StorageFs, file: string): Promise<void> {
  try {
    await sfs.unlink(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

export async function removeSegmentFiles(sfs: StorageFs, seg: Segment): Promise<void> {
  for (const p of [seg.logPath, seg.indexPath, seg.timeIndexPath, seg.txnIndexPath, seg.keyIndexPath, seg.tagIndexPath]) {
    try {
      await sfs.unlink(p);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}

export async function readNumberFile(sfs: StorageFs, file: string): Promise<number | undefined> {
  try {
    const text = (await sfs.readFile(file)).toString('utf8').trim();
    const n = Number(text);
    return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** Tag index entries of a batch recovery scans anyway (the append path's own would be lost with the process). */
function indexScannedTags(tags: SegmentTags, b: { buf: Buffer; offsetInBuf: number; position: number; size: number }, segmentBase: number): void {
  if (tags.coveredEnd !== b.position) return;
  try {
    indexBatchTags(tags, b.buf, b.offsetInBuf, segmentBase);
  } catch {
    // undecodable records: no entry, as on the append path
  }
  tags.coveredEnd = b.position + b.size;
}
