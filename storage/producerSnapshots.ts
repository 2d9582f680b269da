import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { nodeFs, writeFileAtomic } from './fs';
import type { ProducerEntry, ProducerStateTable } from './producerState';
import { segmentFileName } from './segmentName';

/** `<20-digit offset>.snapshot`: the producer state of every batch below that offset. */
export const SNAPSHOT_SUFFIX = '.snapshot';
const SNAPSHOT_NAME = /^(\d{20})\.snapshot$/;
/** Snapshots kept per partition: the newest few, so a damaged one still leaves an older start point. */
export const SNAPSHOTS_KEPT = 3;
/** Earlier versions' single snapshot (with the aborted list inside); superseded, removed when a new one is written. */
const LEGACY_SNAPSHOT_FILE = 'producer-state.snapshot';
const SNAPSHOT_VERSION = 2;

export interface SnapshotFile {
  version: number;
  /** Log end offset the snapshot covers: batches from here on are replayed from the log. */
  endOffset: number;
  producers: Array<{ pid: string; epoch: number; ts: number; txn: number; batches: Array<[number, number, number, number]> }>;
}

/** The state of a log no idempotent producer ever wrote to. */
export function emptySnapshot(): SnapshotFile {
  return { version: SNAPSHOT_VERSION, endOffset: 0, producers: [] };
}

/** Snapshot offsets present in `dir`, ascending. */
export async function listSnapshots(dir: string): Promise<number[]> {
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

export function snapshotName(offset: number): string {
  return `${segmentFileName(offset)}${SNAPSHOT_SUFFIX}`;
}

export async function removeSnapshot(dir: string, offset: number): Promise<void> {
  await fs.unlink(path.join(dir, snapshotName(offset))).catch(() => undefined);
}

/** The snapshot at exactly `offset`, null when missing, unreadable or of another version. */
export async function readSnapshot(dir: string, offset: number): Promise<SnapshotFile | null> {
  try {
    const parsed = JSON.parse(await fs.readFile(path.join(dir, snapshotName(offset)), 'utf8')) as SnapshotFile;
    if (parsed.version !== SNAPSHOT_VERSION || parsed.endOffset !== offset || !Array.isArray(parsed.producers)) return null;
    return parsed;
  } catch {
    return null;
  }
}

export function encodeSnapshot(table: ProducerStateTable, endOffset: number): Buffer {
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

/** A snapshot read earlier, now covering `endOffset` (nothing producer-related happened in between). */
export function reencodeSnapshot(snap: SnapshotFile, endOffset: number): Buffer {
  return Buffer.from(JSON.stringify({ ...snap, endOffset }));
}

export function entryOf(p: SnapshotFile['producers'][number]): ProducerEntry {
  return {
    producerId: BigInt(p.pid),
    epoch: p.epoch,
    lastTimestamp: p.ts,
    txnFirstOffset: p.txn,
    batches: p.batches.map(([firstSeq, lastSeq, baseOffset, lastOffset]) => ({ firstSeq, lastSeq, baseOffset, lastOffset, written: null })),
  };
}

/** Writes one snapshot (atomic, fsynced) and keeps only the newest few. */
export async function writeSnapshotFile(dir: string, endOffset: number, data: Buffer): Promise<void> {
  await writeFileAtomic(nodeFs, dir, snapshotName(endOffset), data);
  const offsets = await listSnapshots(dir);
  for (const o of offsets.slice(0, Math.max(0, offsets.length - SNAPSHOTS_KEPT))) await removeSnapshot(dir, o);
  await fs.unlink(path.join(dir, LEGACY_SNAPSHOT_FILE)).catch(() => undefined);
}
