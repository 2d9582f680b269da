/**
 * Compaction and transactions. Found by a tester with confluent-kafka on cleanup.policy=compact: a committed A=good,
 * then A=ABORTED in an aborted transaction; once the segments rolled and the cleaner ran, read_committed consumers
 * got no record for A at all (the aborted record had been taken as A's latest value, and the committed one removed).
 * The partition is driven as the broker drives it: idempotent/transactional appends and markers through src/txn.
 */
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildRecordBatch } from '../../protocol/records';
import { LogManager, type PartitionLog } from '../../storage';
import { decodeBatch } from '../../storage/records';
import { appendIdempotent } from '../../src/txn/idempotentAppend';
import { writeTxnMarker } from '../../src/txn/markers';
import { buildBatch, readAll, removeDir, tempDir } from './helpers';

const TXN_PID = 7n;

describe('storage: compaction of transactional data', () => {
  let dir: string;
  let manager: LogManager;
  let seq = 0;

  beforeEach(async () => {
    dir = tempDir('brook-compact-txn-');
    manager = new LogManager({ dataDir: dir, schedulerIntervalMs: 0 });
    await manager.open();
    seq = 0;
  });

  afterEach(async () => {
    await manager.close();
    removeDir(dir);
  });

  async function plain(log: PartitionLog, key: string, value: string): Promise<void> {
    await log.append(buildRecordBatch({ records: [{ key: Buffer.from(key), value: Buffer.from(value) }] }));
  }

  async function transactional(log: PartitionLog, key: string, value: string): Promise<number> {
    const buf = buildRecordBatch({ records: [{ key: Buffer.from(key), value: Buffer.from(value) }], producerId: TXN_PID, producerEpoch: 0, baseSequence: seq++, transactional: true });
    const out = await appendIdempotent(log, buf, { now: Date.now() });
    if (out.kind !== 'appended') throw new Error(`append refused: ${JSON.stringify(out)}`);
    return out.result.baseOffset;
  }

  /** Keyed filler that rolls segments (segment.bytes is small). */
  async function filler(log: PartitionLog, n: number): Promise<void> {
    for (let i = 0; i < n; i++) await plain(log, `filler${i}`, 'f'.repeat(60));
  }

  async function valuesOf(log: PartitionLog, key: string): Promise<Array<[number, string | null]>> {
    const out: Array<[number, string | null]> = [];
    for (const b of await readAll(log, log.logStartOffset)) {
      const d = decodeBatch(b.buf);
      if (d.attributes & 0x20) continue;
      for (const r of d.records) if (r.key?.toString() === key) out.push([d.baseOffset + r.offsetDelta, r.value ? r.value.toString() : null]);
    }
    return out;
  }

  it('an aborted record never supersedes a committed one, and the aborted data is removed', async () => {
    const log = await manager.create('ct', 0, { segmentBytes: 400, cleanupPolicy: 'compact' });
    await plain(log, 'A', 'committed-good');
    const abortedAt = await transactional(log, 'A', 'ABORTED');
    await writeTxnMarker(log, TXN_PID, 0, false, 0, Date.now());
    await filler(log, 12);
    expect(log.segmentCount).to.be.greaterThan(3);

    const res = await log.compact(Date.now(), true);
    expect(res.recordsRemoved, 'the aborted record').to.equal(1);
    expect(await valuesOf(log, 'A')).to.deep.equal([[0, 'committed-good']]);
    // read_committed readers are still told about the abort (the marker and its index entry stay)
    expect((await log.abortedTxns(0, log.logEndOffset)).map((t) => t.firstOffset)).to.deep.equal([abortedAt]);
  });

  it('an open transaction holds cleaning back until it ends; a committed value then supersedes the older one', async () => {
    const log = await manager.create('ct', 0, { segmentBytes: 400, cleanupPolicy: 'compact' });
    await plain(log, 'A', 'old');
    await filler(log, 4);
    await transactional(log, 'A', 'in-txn');
    await filler(log, 8);
    expect(log.segmentCount).to.be.greaterThan(3);

    await log.compact(Date.now(), true);
    // the open transaction's record may still abort: the committed value stays
    expect((await valuesOf(log, 'A')).map(([, v]) => v)).to.deep.equal(['old', 'in-txn']);

    await writeTxnMarker(log, TXN_PID, 0, true, 0, Date.now());
    // no segment rolled since, but the last stable offset moved past the held-back segments: the next pass runs
    const res = await log.compact(Date.now(), false);
    expect(res.segmentsRewritten).to.be.greaterThan(0);
    expect((await valuesOf(log, 'A')).map(([, v]) => v)).to.deep.equal(['in-txn']);
  });
});

/**
 * When compaction may drop a tombstone. Found by a tester: a tombstone with a CreateTime two days old vanished ~4 s
 * after it was written (delete.retention.ms is 1 day), so a consumer never saw the delete, and one with a future
 * timestamp never expired. The horizon now counts from when the broker wrote the tombstone's segment.
 */
describe('storage: tombstone horizon (delete.retention.ms)', () => {
  const DAY = 86_400_000;
  let dir: string;
  let manager: LogManager;

  async function open(): Promise<LogManager> {
    manager = new LogManager({ dataDir: dir, schedulerIntervalMs: 0, defaults: { segmentBytes: 300, cleanupPolicy: 'compact', deleteRetentionMs: DAY } });
    await manager.open();
    return manager;
  }

  beforeEach(async () => {
    dir = tempDir('brook-tombstones-');
    await open();
  });
  afterEach(async () => {
    await manager.close();
    removeDir(dir);
  });

  /** `key` set then deleted with a tombstone stamped `ts`, a superseded key beside it, then filler that rolls. */
  async function writeTombstone(log: PartitionLog, key: string, ts: number): Promise<void> {
    await log.append(buildBatch([{ key, value: 'v', timestamp: ts }, { key: 'dup', value: '1' }, { key: 'dup', value: '2' }, { key, value: null, timestamp: ts }]));
    for (let i = 0; i < 6; i++) await log.append(buildBatch([{ key: `filler${i}`, value: 'f'.repeat(120) }]));
    expect(log.segmentCount).to.be.greaterThan(2);
  }

  async function keys(log: PartitionLog): Promise<string[]> {
    const out: string[] = [];
    for (const b of await readAll(log, log.logStartOffset)) for (const r of decodeBatch(b.buf).records) out.push(`${r.key?.toString()}=${r.value ? r.value.toString() : 'null'}`);
    return out;
  }

  it('a tombstone with an old or a future CreateTime is kept delete.retention.ms after it was written, then removed', async () => {
    const log = await manager.create('tomb', 0);
    await writeTombstone(log, 'old', Date.now() - 2 * DAY);
    await writeTombstone(log, 'future', Date.now() + 30 * DAY);
    await log.compact(Date.now(), true);
    const kept = await keys(log);
    expect(kept).to.include.members(['old=null', 'future=null']);
    expect(kept.filter((k) => k.startsWith('dup='))).to.deep.equal(['dup=2']);
    await log.compact(Date.now() + DAY + 60_000);
    expect((await keys(log)).filter((k) => k.endsWith('=null'))).to.deep.equal([]);
  });

  it('the horizon survives cleaning and restarts: a cleaned segment keeps its mtime, a reopened one counts from it', async () => {
    let log = await manager.create('tomb', 0);
    await writeTombstone(log, 'gone', Date.now());
    await manager.close();
    const dataDir = path.join(dir, 'tomb-0');
    const first = path.join(dataDir, `${'0'.padStart(20, '0')}.log`);
    const written = Date.now() - DAY + 3_600_000;
    fs.utimesSync(first, new Date(written), new Date(written));

    log = (await open()).get('tomb', 0)!;
    // written 23 h ago: the tombstone stays, the superseded record goes, and the rewritten file keeps its time
    expect((await log.compact(Date.now(), true)).segmentsRewritten).to.equal(1);
    expect(await keys(log)).to.include('gone=null');
    expect(Math.abs(fs.statSync(first).mtimeMs - written)).to.be.below(1000);
    await manager.close();

    log = (await open()).get('tomb', 0)!;
    // two hours later the day is over, however recently the broker restarted or cleaned
    await log.compact(Date.now() + 2 * 3_600_000, true);
    expect(await keys(log)).to.not.include('gone=null');
  });
});
