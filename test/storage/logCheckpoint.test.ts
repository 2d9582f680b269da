import { expect } from 'chai';
import * as fs from 'node:fs';
import { QUIET_PASSES_MAX } from '../../storage/logCheckpoint';
import { LogManager } from '../../storage/logManager';
import { buildBatch, readAll, removeDir, tempDir } from './helpers';

const PARTITIONS = 20;

/**
 * The periodic log-summary checkpoint and the dirty-log journal: after kill -9 only logs changed since the last
 * checkpoint are recovered; idle logs go back to unopened and come back intact.
 */
describe('storage: log checkpoints and idle logs', function () {
  this.timeout(120_000);
  const managers: LogManager[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    for (const m of managers.splice(0)) await m.close().catch(() => undefined);
    for (const d of dirs.splice(0)) removeDir(d);
  });

  async function open(dataDir: string, opts: { recoveryConcurrency?: number; idleLogMs?: number; checkpointIntervalMs?: number; producerSnapshotAfterBytes?: number } = {}): Promise<LogManager> {
    const m = new LogManager({ dataDir, schedulerIntervalMs: 0, checkpointIntervalMs: 0, ...opts });
    managers.push(m);
    await m.open();
    return m;
  }

  function dir(prefix: string): string {
    const d = tempDir(prefix);
    dirs.push(d);
    return d;
  }

  /** The files as they are while `m` still runs: what kill -9 leaves (no clean-shutdown marker). */
  function crashCopy(from: string): string {
    const to = dir('brook-ckpt-crash-');
    fs.cpSync(from, to, { recursive: true });
    return to;
  }

  async function contents(m: LogManager, topic: string, p: number): Promise<Buffer> {
    return Buffer.concat((await readAll(m.get(topic, p)!)).map((b) => b.buf));
  }

  it('after kill -9 recovers only the logs changed since the last checkpoint, and loses nothing written', async () => {
    const d = dir('brook-ckpt-');
    const m = await open(d);
    for (let p = 0; p < PARTITIONS; p++) {
      const log = await m.create('ck', p, p < 3 ? { segmentBytes: 200 } : {});
      for (let i = 0; i <= p % 3 + (p < 3 ? 4 : 0); i++) await log.append(buildBatch([{ value: `p${p}-${i}-${'x'.repeat(50)}` }]));
    }
    expect(await m.checkpoint(), 'every log settled: none left dirty').to.equal(0);
    // after the checkpoint: two logs written again, one created
    await m.get('ck', 1)!.append(buildBatch([{ value: 'after-1' }]));
    await m.get('ck', 11)!.append(buildBatch([{ value: 'after-11' }]));
    await (await m.create('late', 0)).append(buildBatch([{ value: 'late' }]));
    const expected = new Map<string, Buffer>();
    const ends = new Map<string, number>();
    for (const { topic, partition, log } of m.partitions()) {
      expected.set(`${topic}-${partition}`, await contents(m, topic, partition));
      ends.set(`${topic}-${partition}`, log.logEndOffset);
    }

    const crashed = await open(crashCopy(d), { recoveryConcurrency: 0 });
    const recovering = crashed
      .partitions()
      .filter(({ log }) => log.recovering)
      .map(({ topic, partition }) => `${topic}-${partition}`)
      .sort();
    expect(recovering, 'named by the journal, known without listing the directories').to.deep.equal(['ck-1', 'ck-11', 'late-0']);
    for (const { topic, partition, log } of crashed.partitions()) {
      if (log.recovering) continue;
      expect(log.isOpen, `${topic}-${partition} trusted from the checkpoint, not opened`).to.equal(false);
      expect(log.logEndOffset, `${topic}-${partition}`).to.equal(ends.get(`${topic}-${partition}`));
    }
    for (const [name, data] of expected) {
      const [topic, p] = [name.slice(0, name.lastIndexOf('-')), Number(name.slice(name.lastIndexOf('-') + 1))];
      await crashed.get(topic, p)!.open();
      expect(crashed.get(topic, p)!.logEndOffset, name).to.equal(ends.get(name));
      expect((await contents(crashed, topic, p)).equals(data), name).to.equal(true);
    }
    await crashed.listed();
    expect(crashed.partitions().length, 'the background listing found nothing the summary and journal missed').to.equal(PARTITIONS + 1);
  });

  it('a checkpoint of a log written since keeps it out until it settled, and a crash after the next one recovers nothing', async () => {
    const d = dir('brook-ckpt-');
    const m = await open(d);
    const log = await m.create('ck', 0);
    await log.append(buildBatch([{ value: 'a' }]));
    // an append queued when the checkpoint starts: the log is not settled, it stays dirty
    const pending = log.append(buildBatch([{ value: 'b' }]));
    expect(await m.checkpoint()).to.equal(1);
    await pending;
    expect(await m.checkpoint()).to.equal(0);
    const crashed = await open(crashCopy(d), { recoveryConcurrency: 0 });
    expect(crashed.get('ck', 0)!.recovering).to.equal(false);
    expect(crashed.get('ck', 0)!.logEndOffset).to.equal(2);
    expect((await readAll(crashed.get('ck', 0)!)).length).to.equal(2);
  });

  it("the scheduler's periodic checkpoint saves a log only once it went a whole interval unchanged, so a log being written is not fdatasynced every pass", async () => {
    const d = dir('brook-ckpt-');
    const m = await open(d, { checkpointIntervalMs: 1000 });
    const quiet = await m.create('quiet', 0);
    const busy = await m.create('busy', 0);
    await quiet.append(buildBatch([{ value: 'q' }]));
    await busy.append(buildBatch([{ value: 'b0' }]));
    const t = Date.now();
    // first pass: both changed during the interval before it (they were created and written)
    await m.runMaintenance(t + 1000);
    expect([quiet.dirty, busy.dirty], 'changed in the interval: left for the next pass').to.deep.equal([true, true]);
    await busy.append(buildBatch([{ value: 'b1' }]));
    await m.runMaintenance(t + 2000);
    expect([quiet.dirty, busy.dirty], 'quiet for a whole interval: saved; written meanwhile: not').to.deep.equal([false, true]);
    await m.runMaintenance(t + 3000);
    expect(busy.dirty, 'quiet since the last pass: saved').to.equal(false);
    // a crash now recovers neither, and both have everything
    await busy.append(buildBatch([{ value: 'b2' }]));
    const crashed = await open(crashCopy(d), { recoveryConcurrency: 0 });
    expect(crashed.get('quiet', 0)!.recovering, 'checkpointed').to.equal(false);
    expect(crashed.get('busy', 0)!.recovering, 'written after its checkpoint: in the journal').to.equal(true);
  });

  it('a log written before every periodic pass is still saved every few passes instead of staying in the crash journal for good', async () => {
    const d = dir('brook-ckpt-');
    const m = await open(d, { checkpointIntervalMs: 1000 });
    const trickle = await m.create('trickle', 0);
    const t = Date.now();
    const savedAt: number[] = [];
    for (let pass = 1; pass <= 2 * (QUIET_PASSES_MAX + 1); pass++) {
      await trickle.append(buildBatch([{ value: `r${pass}` }]));
      await m.runMaintenance(t + pass * 1000);
      if (!trickle.dirty) savedAt.push(pass);
    }
    expect(savedAt, 'left out while it kept changing, saved every QUIET_PASSES_MAX + 1 passes').to.deep.equal([QUIET_PASSES_MAX + 1, 2 * (QUIET_PASSES_MAX + 1)]);
  });

  it('an idle log goes back to unopened, comes back intact with its idempotent producer state, and a crash then recovers nothing', async () => {
    const d = dir('brook-idle-');
    const m = await open(d, { idleLogMs: 1000 });
    const idle = await m.create('idle', 0);
    const busy = await m.create('idle', 1);
    await idle.producerState.table();
    // one timestamp for both: batches 7 days apart (the helper's default is 2023) would roll by segment.ms
    const ts = Date.now();
    await idle.append(buildBatch([{ value: 'plain' }], { baseTimestamp: ts }));
    await idle.append(buildBatch([{ value: 'idempotent' }], { producerId: 42, baseTimestamp: ts }));
    await busy.append(buildBatch([{ value: 'watched' }]));
    const before = await contents(m, 'idle', 0);
    // a parked fetch keeps a log in use
    const stopWatching = busy.onAppend(() => undefined);

    expect(await m.unloadIdle(Date.now() + 60_000)).to.equal(1);
    expect(idle.isOpen).to.equal(false);
    expect(idle.recovering).to.equal(false);
    expect(idle.segmentList()).to.deep.equal([]);
    expect(idle.logEndOffset).to.equal(2);
    expect(m.openPartitions()).to.deep.equal([busy]);
    expect(m.openSegmentHandles, 'the idle log holds no descriptor').to.equal(1);

    // reopened on use: data, offsets and producer state as before
    expect((await contents(m, 'idle', 0)).equals(before)).to.equal(true);
    expect(idle.isOpen).to.equal(true);
    const table = await idle.producerState.table();
    expect([...table.entries()].map((e) => e.producerId)).to.deep.equal([42n]);
    expect(idle.producerState.lastLoadStats?.replayedBytes, 'loaded from the snapshot written at unload').to.equal(0);
    const next = await idle.append(buildBatch([{ value: 'after' }]));
    expect(next.baseOffset).to.equal(2);
    stopWatching();

    // unloaded again; the next checkpoint counts it clean, so a crash trusts it without recovery
    expect(await m.unloadIdle(Date.now() + 60_000)).to.equal(2);
    expect(await m.checkpoint()).to.equal(0);
    const crashed = await open(crashCopy(d), { recoveryConcurrency: 0 });
    expect(crashed.get('idle', 0)!.recovering).to.equal(false);
    expect(crashed.get('idle', 0)!.logEndOffset).to.equal(3);
    expect((await readAll(crashed.get('idle', 0)!)).length).to.equal(3);
    const crashedTable = await crashed.get('idle', 0)!.producerState.table();
    expect([...crashedTable.entries()].map((e) => e.producerId)).to.deep.equal([42n]);
  });

  it('an idle log found at start with no producer snapshot at its end goes back to unopened after producer-free appends past the snapshot threshold', async () => {
    const d = dir('brook-idle-');
    // 1 MiB by default; the threshold is what matters, not the size
    const threshold = 2000;
    let m = await open(d, { idleLogMs: 1000, producerSnapshotAfterBytes: threshold });
    const ts = Date.now();
    await (await m.create('plain', 0)).append(buildBatch([{ value: 'before restart' }], { baseTimestamp: ts }));
    // below the threshold: a clean shutdown writes no snapshot, so the next start knows no state at the log end
    await m.close();
    m = await open(d, { idleLogMs: 1000, producerSnapshotAfterBytes: threshold });
    const log = m.get('plain', 0)!;
    for (let i = 0; i < 4; i++) await log.append(buildBatch([{ value: 'p'.repeat(threshold / 2) }], { baseTimestamp: ts }));
    expect(log.segmentList().length, 'no roll: nothing else resets the count').to.equal(1);

    expect(await m.unloadIdle(Date.now() + 60_000), 'unloaded on the first idle pass').to.equal(1);
    expect(log.isOpen).to.equal(false);
    expect(m.openSegmentHandles).to.equal(0);
    // reopened intact, with the (empty) producer state loaded from the log
    expect((await readAll(log)).length).to.equal(5);
    expect((await log.producerState.table()).size).to.equal(0);
  });

  it('a small log shuts down with no index files (its indexes are empty) and reopens from them without a rebuild', async () => {
    const d = dir('brook-ckpt-');
    let m = await open(d);
    const log = await m.create('small', 0);
    for (let i = 0; i < 3; i++) await log.append(buildBatch([{ value: `v${i}` }]));
    await m.close();
    managers.length = 0;
    const names = fs.readdirSync(log.dir);
    expect(names.filter((n) => n.endsWith('.index') || n.endsWith('.timeindex'))).to.deep.equal([]);
    const warnings: string[] = [];
    const logger = { info: () => undefined, warn: (_o: object, msg: string) => warnings.push(msg), error: (_o: object, msg: string) => warnings.push(msg) };
    m = new LogManager({ dataDir: d, schedulerIntervalMs: 0, checkpointIntervalMs: 0, logger });
    managers.push(m);
    await m.open();
    const again = m.get('small', 0)!;
    await again.open();
    expect(warnings).to.deep.equal([]);
    expect(again.logEndOffset).to.equal(3);
    expect((await readAll(again)).length).to.equal(3);
    expect(await again.offsetForTimestamp(0)).to.not.equal(null);
  });
  it('a checkpoint rewrites index files only when their entries changed, and a crash after it recovers nothing and loses nothing', async () => {
    const d = dir('brook-ckpt-');
    const m = await open(d);
    const log = await m.create('ix', 0, { indexIntervalBytes: 1000 });
    const big = () => buildBatch([{ value: 'b'.repeat(1200) }]);
    const small = (i: number) => buildBatch([{ value: `small-${i}` }]);
    for (let i = 0; i < 3; i++) await log.append(big());
    // takes the entry the last big batch made due: the next ~1,000 bytes add none
    await log.append(small(-1));
    const files = ['00000000000000000000.index', '00000000000000000000.timeindex', '00000000000000000000.txnindex'];
    // a rewrite is a new file renamed over the old one: a new inode (numbers get reused) and a new change time
    const inodes = () =>
      files.map((f) => {
        const st = fs.statSync(`${log.dir}/${f}`, { bigint: true });
        return `${st.ino}@${st.ctimeNs}`;
      });
    expect(await m.checkpoint()).to.equal(0);
    const first = inodes();
    // less than index.interval.bytes since: the same entries, the same files
    for (let i = 0; i < 3; i++) await log.append(small(i));
    expect(await m.checkpoint()).to.equal(0);
    expect(inodes(), 'no index file written again').to.deep.equal(first);
    const check = async (end: number) => {
      const crashed = await open(crashCopy(d), { recoveryConcurrency: 0 });
      const again = crashed.get('ix', 0)!;
      expect(again.recovering, 'trusted from the checkpoint').to.equal(false);
      await again.open();
      expect(again.logEndOffset).to.equal(end);
      expect((await contents(crashed, 'ix', 0)).equals(await contents(m, 'ix', 0))).to.equal(true);
      // the index still finds every batch: a read from each offset starts at that record
      for (let o = 0; o < end; o++) {
        const r = await again.read(o, 1, { minOneBatch: true });
        expect(r.bytes, `offset ${o}`).to.be.above(0);
      }
      await crashed.close();
    };
    await check(7);
    // a batch past the interval adds an entry: the offset index file is written again
    await log.append(big());
    await log.append(small(9));
    expect(await m.checkpoint()).to.equal(0);
    const third = inodes();
    expect(third[0], 'the offset index rewritten').to.not.equal(first[0]);
    expect(third[2], 'the transaction index (no entries added) left be').to.equal(first[2]);
    await check(9);
  });
});
