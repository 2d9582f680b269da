import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildRecordBatch } from '../../protocol/records';
import { LogManager, type PartitionLog } from '../../storage';
import { SNAPSHOTS_KEPT, SNAPSHOT_SUFFIX } from '../../storage/producerSnapshots';
import type { AbortedTxn } from '../../storage/txnIndex';
import { appendIdempotent } from '../../src/txn/idempotentAppend';
import { writeTxnMarker } from '../../src/txn/markers';
import { removeDir, seededRandom, tempDir } from '../storage/helpers';
import { eventually } from '../helpers/eventually';

const SEGMENT_BYTES = 2048;
const PAD = 'x'.repeat(150);

interface Expected {
  producerId: bigint;
  firstOffset: number;
  lastOffset: number;
}

/**
 * Drives one partition the way the broker does (idempotent appends, markers
 * through the transaction code) and keeps the list of aborted transactions a
 * reader must be told about, to compare with what the segment indexes answer.
 */
class Workload {
  readonly aborted: Expected[] = [];
  private readonly seq = new Map<bigint, number>();
  private readonly open = new Map<bigint, number>();
  lastBatch: { pid: bigint; seq: number; buf: Buffer; offset: number } | null = null;

  constructor(
    private readonly log: () => PartitionLog,
    /** Keys repeat, so compaction has something to remove. */
    private readonly keyed = false,
  ) {}

  async write(pid: bigint, transactional: boolean, n = 1): Promise<void> {
    for (let i = 0; i < n; i++) {
      const seq = this.seq.get(pid) ?? 0;
      const records = [{ key: this.keyed ? Buffer.from(`k${seq % 3}`) : null, value: Buffer.from(`${pid}-${seq}-${PAD}`) }];
      const buf = buildRecordBatch({ records, producerId: pid, producerEpoch: 0, baseSequence: seq, transactional });
      const copy = Buffer.from(buf);
      const out = await appendIdempotent(this.log(), buf, { now: Date.now() });
      if (out.kind !== 'appended') throw new Error(`append refused: ${JSON.stringify(out)}`);
      this.seq.set(pid, seq + 1);
      if (transactional && !this.open.has(pid)) this.open.set(pid, out.result.baseOffset);
      this.lastBatch = { pid, seq, buf: copy, offset: out.result.baseOffset };
    }
  }

  async end(pid: bigint, commit: boolean): Promise<void> {
    const before = this.log().logEndOffset;
    await writeTxnMarker(this.log(), pid, 0, commit, 0, Date.now());
    const first = this.open.get(pid);
    this.open.delete(pid);
    if (!commit && first !== undefined) this.aborted.push({ producerId: pid, firstOffset: first, lastOffset: before });
  }

  /** What a fetch of [from, to) must be told: aborted transactions with data in the range. */
  expected(from: number, to: number): Expected[] {
    return this.aborted.filter((a) => a.lastOffset >= from && a.firstOffset < to);
  }
}

function strip(list: AbortedTxn[]): Expected[] {
  return list.map(({ producerId, firstOffset, lastOffset }) => ({ producerId, firstOffset, lastOffset }));
}

function filesWith(dir: string, suffix: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((n) => n.endsWith(suffix))
    .sort();
}

describe('aborted-transaction index per segment and producer-state snapshots at roll', function () {
  this.timeout(60_000);
  let dir: string;
  let managers: LogManager[];

  beforeEach(() => {
    dir = tempDir('brook-txnindex-');
    managers = [];
  });
  afterEach(async () => {
    for (const m of managers) await m.close().catch(() => undefined);
    removeDir(dir);
  });

  async function open(): Promise<LogManager> {
    const m = new LogManager({ dataDir: dir, schedulerIntervalMs: 0, defaults: { segmentBytes: SEGMENT_BYTES } });
    await m.open();
    managers.push(m);
    return m;
  }

  /** A seeded mix of plain idempotent batches and transactions, some spanning several segments. */
  async function fill(w: Workload, seed: number, rounds: number): Promise<void> {
    const rnd = seededRandom(seed);
    const longTxn = 900n + BigInt(seed);
    await w.write(longTxn, true);
    for (let r = 0; r < rounds; r++) {
      const pid = 100n + BigInt(r % 7);
      if (rnd() < 0.3) {
        await w.write(pid, false, 1 + Math.floor(rnd() * 3));
        continue;
      }
      await w.write(pid, true, 1 + Math.floor(rnd() * 3));
      await w.end(pid, rnd() < 0.6);
    }
    await w.end(longTxn, false);
  }

  function checkRanges(log: PartitionLog, w: Workload, seed: number): Promise<void> {
    const rnd = seededRandom(seed);
    return (async () => {
      expect(strip(await log.abortedTxns(0, log.logEndOffset))).to.deep.equal(w.expected(0, log.logEndOffset));
      for (let i = 0; i < 40; i++) {
        const from = Math.floor(rnd() * log.logEndOffset);
        const to = from + 1 + Math.floor(rnd() * 30);
        expect(strip(await log.abortedTxns(from, to)), `range [${from}, ${to})`).to.deep.equal(w.expected(from, to));
      }
    })();
  }

  it('indexes aborts in the segment of their marker, writes each closed segment\'s file, and answers fetch ranges across segments', async () => {
    const m = await open();
    let log = await m.create('idx', 0);
    const w = new Workload(() => log);
    await fill(w, 1, 60);
    await log.flush();
    expect(log.segmentCount).to.be.greaterThan(5);
    expect(w.aborted.length).to.be.greaterThan(5);
    await checkRanges(log, w, 11);

    // each closed segment with aborts has its file, exactly its markers' entries
    const bases = log.segmentBaseOffsets();
    for (let i = 0; i < bases.length - 1; i++) {
      const inSegment = w.aborted.filter((a) => a.lastOffset >= bases[i]! && a.lastOffset < bases[i + 1]!);
      const file = path.join(log.dir, `${String(bases[i]).padStart(20, '0')}.txnindex`);
      expect(fs.statSync(file).size, `segment ${bases[i]}`).to.equal(34 * inSegment.length);
    }
    // a snapshot per roll, named by the new segment's base, newest few kept
    expect(filesWith(log.dir, SNAPSHOT_SUFFIX)).to.deep.equal(bases.slice(-SNAPSHOTS_KEPT).map((b) => `${String(b).padStart(20, '0')}${SNAPSHOT_SUFFIX}`));

    // after a clean restart, closed segments answer from their files and nothing is replayed
    await log.producerState.snapshot();
    await m.close();
    log = (await open()).get('idx', 0)!;
    await log.producerState.table();
    expect(log.producerState.lastLoadStats).to.deep.include({ snapshotOffset: log.logEndOffset, replayedBytes: 0, rebuiltTxnIndexes: 0 });
    await checkRanges(log, w, 12);
  });

  it('a log without aborts answers without touching any index', async () => {
    const m = await open();
    const log = await m.create('clean', 0);
    const w = new Workload(() => log);
    for (let i = 0; i < 30; i++) {
      await w.write(7n, true, 2);
      await w.end(7n, true);
    }
    expect(log.segmentCount).to.be.greaterThan(3);
    expect(await log.abortedTxns(0, log.logEndOffset)).to.deep.equal([]);
    await log.flush();
    for (const f of filesWith(log.dir, '.txnindex')) expect(fs.statSync(path.join(log.dir, f)).size).to.equal(0);
  });

  it('rebuilds a missing or torn index file from the log on first use, identical to the original', async () => {
    let m = await open();
    let log = await m.create('torn', 0);
    const w = new Workload(() => log);
    await fill(w, 2, 60);
    await log.flush();
    const files = filesWith(log.dir, '.txnindex').filter((f) => fs.statSync(path.join(log.dir, f)).size > 0);
    expect(files.length).to.be.greaterThan(2);
    const originals = new Map(files.map((f) => [f, fs.readFileSync(path.join(log.dir, f))]));
    await log.producerState.snapshot();
    await m.close();
    const [missing, torn] = [files[0]!, files[files.length - 1]!];
    fs.unlinkSync(path.join(dir, 'torn-0', missing));
    fs.truncateSync(path.join(dir, 'torn-0', torn), originals.get(torn)!.length - 5);

    m = await open();
    log = m.get('torn', 0)!;
    await log.producerState.table();
    const stats = log.producerState.lastLoadStats!;
    expect(stats.rebuiltTxnIndexes).to.equal(2);
    // the replay starts at a snapshot at or below the first damaged segment (or the log start)
    expect(stats.replayedFrom).to.be.at.most(Number(missing.slice(0, 20)));
    for (const f of [missing, torn]) expect(fs.readFileSync(path.join(log.dir, f)), f).to.deep.equal(originals.get(f));
    await checkRanges(log, w, 13);
  });

  it('after a crash replays only from the snapshot of the last roll, rebuilds the active segment\'s index, and still dedups', async () => {
    const m = await open();
    let log = await m.create('crash', 0);
    const w = new Workload(() => log);
    await fill(w, 3, 50);
    await log.flush();
    const activeBase = log.segmentBaseOffsets().at(-1)!;
    expect(activeBase).to.be.greaterThan(0);
    // the roll's snapshot and the previous segment's finalization are written in the background
    await eventually(() => fs.existsSync(path.join(log.dir, `${String(activeBase).padStart(20, '0')}${SNAPSHOT_SUFFIX}`)), 'the roll snapshot', 10_000);
    const last = w.lastBatch!;

    // the broker dies: no snapshot at shutdown, no clean-shutdown marker, the active segment's index never written
    const crashed = new LogManager({ dataDir: dir, schedulerIntervalMs: 0, defaults: { segmentBytes: SEGMENT_BYTES } });
    await crashed.open();
    managers.push(crashed);
    // after a crash logs are recovered in the background
    await crashed.recovered();
    log = crashed.get('crash', 0)!;
    expect(log.segmentBaseOffsets().at(-1)).to.equal(activeBase);
    await log.producerState.table();
    const stats = log.producerState.lastLoadStats!;
    expect(stats).to.deep.include({ snapshotOffset: activeBase, replayedFrom: activeBase, rebuiltTxnIndexes: 1 });
    expect(stats.replayedBytes).to.be.at.most(SEGMENT_BYTES);
    await checkRanges(log, w, 14);

    // a retry of the last batch is answered with its first offset, not written again
    const end = log.logEndOffset;
    const retry = await appendIdempotent(log, Buffer.from(last.buf), { now: Date.now() });
    expect(retry).to.deep.equal({ kind: 'duplicate', baseOffset: last.offset });
    expect(log.logEndOffset).to.equal(end);
  });

  it('a partition no idempotent producer touched still gets roll snapshots, so after a crash its first load reads only the active segment', async () => {
    let m = await open();
    // state known at start: a snapshot covering the whole log, with one producer in it
    let log = await m.create('plain', 0);
    const w = new Workload(() => log);
    await w.write(55n, false, 3);
    await log.producerState.snapshot();
    await m.close();

    m = await open();
    log = m.get('plain', 0)!;
    for (let i = 0; i < 60; i++) await log.append(buildRecordBatch({ records: [{ key: null, value: Buffer.from(`plain-${i}-${PAD}`) }] }));
    await log.flush();
    const activeBase = log.segmentBaseOffsets().at(-1)!;
    await eventually(() => fs.existsSync(path.join(log.dir, `${String(activeBase).padStart(20, '0')}${SNAPSHOT_SUFFIX}`)), 'the roll snapshot of an unloaded log', 10_000);

    const crashed = new LogManager({ dataDir: dir, schedulerIntervalMs: 0, defaults: { segmentBytes: SEGMENT_BYTES } });
    await crashed.open();
    managers.push(crashed);
    log = crashed.get('plain', 0)!;
    const table = await log.producerState.table();
    expect(log.producerState.lastLoadStats).to.deep.include({ snapshotOffset: activeBase, replayedFrom: activeBase });
    // the producer carried from before survived in every roll snapshot
    expect([...table.entries()].map((e) => [e.producerId, e.batches.at(-1)!.lastSeq])).to.deep.equal([[55n, 2]]);
  });

  it('a truncated tail (diverged follower) takes its abort entries and later snapshots with it; the next load rebuilds from below the cut', async () => {
    const m = await open();
    const log = await m.create('cut', 0);
    const w = new Workload(() => log);
    await fill(w, 6, 70);
    await log.flush();
    const bases = log.segmentBaseOffsets();
    // just after an abort marker in an older closed segment
    const marker = w.aborted.filter((a) => a.lastOffset < bases[bases.length - 3]!).at(-1)!.lastOffset;
    const cut = marker + 1;
    await log.truncateTo(cut);
    expect(log.logEndOffset).to.equal(cut);
    for (const f of filesWith(log.dir, SNAPSHOT_SUFFIX)) expect(Number(f.slice(0, 20))).to.be.at.most(log.logEndOffset);
    await log.producerState.table();
    expect(log.producerState.lastLoadStats!.rebuiltTxnIndexes).to.equal(1);
    const end = log.logEndOffset;
    expect(strip(await log.abortedTxns(0, end))).to.deep.equal(w.aborted.filter((a) => a.lastOffset < end));
  });

  it('keeps the index of a segment rewritten by compaction', async () => {
    const m = await open();
    const log = await m.create('compacted', 0, { cleanupPolicy: 'compact' });
    const w = new Workload(() => log, true);
    await fill(w, 5, 60);
    await log.flush();
    const before = filesWith(log.dir, '.txnindex').map((f) => [f, fs.readFileSync(path.join(log.dir, f))] as const);
    const res = await log.compact(Date.now(), true);
    expect(res.segmentsRewritten).to.be.greaterThan(2);
    for (const [f, data] of before) expect(fs.readFileSync(path.join(log.dir, f)), f).to.deep.equal(data);
    await checkRanges(log, w, 15);
  });

  it('removes the index files of segments deleted by DeleteRecords and keeps answering for the rest', async () => {
    const m = await open();
    const log = await m.create('del', 0);
    const w = new Workload(() => log);
    await fill(w, 4, 60);
    await log.flush();
    const bases = log.segmentBaseOffsets();
    const cut = bases[3]!;
    await log.deleteRecordsBefore(cut);
    for (const b of bases.slice(0, 3)) expect(fs.existsSync(path.join(log.dir, `${String(b).padStart(20, '0')}.txnindex`))).to.equal(false);
    expect(strip(await log.abortedTxns(cut, log.logEndOffset))).to.deep.equal(w.expected(cut, log.logEndOffset));
  });
});
