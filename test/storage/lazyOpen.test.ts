import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LogManager } from '../../storage/logManager';
import { LOG_SUMMARY_FILE } from '../../storage/logSummary';
import { buildBatch, readAll, removeDir, tempDir } from './helpers';

const PARTITIONS = 30;

/** Start-up opens no partition file: logs open on first use, or are recovered in the background after a crash. */
describe('storage: logs open lazily at start', function () {
  this.timeout(120_000);
  let dir: string;
  const managers: LogManager[] = [];
  const dirs: string[] = [];

  beforeEach(() => {
    dir = tempDir('brook-lazy-');
    dirs.push(dir);
  });
  afterEach(async () => {
    for (const m of managers.splice(0)) await m.close().catch(() => undefined);
    for (const d of dirs.splice(0)) removeDir(d);
  });

  async function open(dataDir: string, opts: { recoveryConcurrency?: number } = {}): Promise<LogManager> {
    const m = new LogManager({ dataDir, schedulerIntervalMs: 0, ...opts });
    managers.push(m);
    await m.open();
    return m;
  }

  /** Partition p gets p % 4 + 1 batches of two records; partitions 0-4 roll into several segments. */
  async function fill(m: LogManager): Promise<Map<number, Buffer>> {
    const contents = new Map<number, Buffer>();
    for (let p = 0; p < PARTITIONS; p++) {
      const log = await m.create('lazy', p, p < 5 ? { segmentBytes: 300 } : {});
      const batches: Buffer[] = [];
      for (let i = 0; i < (p % 4) + 1 + (p < 5 ? 4 : 0); i++) {
        const b = buildBatch([{ value: `p${p}-${i}-${'x'.repeat(60)}` }, { value: `p${p}-${i}b` }]);
        batches.push(b);
        await log.append(b);
      }
      contents.set(p, Buffer.concat((await readAll(log)).map((b) => b.buf)));
    }
    return contents;
  }

  it('after a clean shutdown knows every log from the summary without opening a file, and opens each on first use', async () => {
    let m = await open(dir);
    const contents = await fill(m);
    const describe = (x: LogManager) =>
      x
        .partitions()
        .map(({ partition, log }) => ({ partition, end: log.logEndOffset, size: log.sizeInBytes(), segments: log.segmentCount }))
        .sort((a, b) => a.partition - b.partition);
    const before = describe(m);
    expect(before.find((b) => b.partition === 0)!.segments).to.be.greaterThan(1);
    await m.close();
    managers.length = 0;

    m = await open(dir);
    expect(m.openSegmentHandles).to.equal(0);
    expect(m.openPartitions()).to.deep.equal([]);
    expect(describe(m)).to.deep.equal(before);
    expect(m.partitions().every(({ log }) => !log.isOpen && !log.recovering)).to.equal(true);

    // first use opens the one log used, with its data and offsets
    const log3 = m.get('lazy', 3)!;
    expect(Buffer.concat((await readAll(log3)).map((b) => b.buf)).equals(contents.get(3)!)).to.equal(true);
    expect(m.openPartitions()).to.deep.equal([log3]);
    const end3 = log3.logEndOffset;
    expect((await log3.append(buildBatch([{ value: 'after-restart' }]))).baseOffset).to.equal(end3);
    // an append to an unopened log opens it and continues at its log end
    const log0 = m.get('lazy', 0)!;
    const end0 = log0.logEndOffset;
    expect((await log0.append(buildBatch([{ value: 'appended-unopened' }]))).baseOffset).to.equal(end0);
    await m.close();
    managers.length = 0;

    // the next clean start has the new ends of the logs used, and the untouched ones unchanged
    m = await open(dir);
    expect(m.get('lazy', 3)!.logEndOffset).to.equal(end3 + 1);
    expect(m.get('lazy', 0)!.logEndOffset).to.equal(end0 + 1);
    for (let p = 5; p < PARTITIONS; p++) {
      if (p === 3) continue;
      const log = m.get('lazy', p)!;
      expect(log.logEndOffset).to.equal(before.find((b) => b.partition === p)!.end);
      expect(Buffer.concat((await readAll(log)).map((b) => b.buf)).equals(contents.get(p)!)).to.equal(true);
    }
  });

  it('after a crash reports logs as recovering until recovered (on first use or in the background), and loses nothing written', async () => {
    const m = await open(dir);
    const contents = await fill(m);
    const ends = new Map(m.partitions().map(({ partition, log }) => [partition, log.logEndOffset]));
    // a copy of the files while the first manager still runs: no clean-shutdown marker, no summary
    const crashed = tempDir('brook-lazy-crash-');
    dirs.push(crashed);
    fs.cpSync(dir, crashed, { recursive: true });

    const onDemand = await open(crashed, { recoveryConcurrency: 0 });
    expect(onDemand.partitions().every(({ log }) => log.recovering)).to.equal(true);
    const log7 = onDemand.get('lazy', 7)!;
    await log7.open();
    expect(log7.recovering).to.equal(false);
    expect(log7.logEndOffset).to.equal(ends.get(7));
    expect(Buffer.concat((await readAll(log7)).map((b) => b.buf)).equals(contents.get(7)!)).to.equal(true);
    expect(onDemand.get('lazy', 8)!.recovering).to.equal(true);
    await onDemand.close();
    managers.splice(managers.indexOf(onDemand), 1);

    // the close above summarized only the recovered log: the others are recovered again, now in the background
    const background = await open(crashed);
    await background.recovered();
    for (let p = 0; p < PARTITIONS; p++) {
      const log = background.get('lazy', p)!;
      expect(log.recovering, `partition ${p}`).to.equal(false);
      expect(log.logEndOffset).to.equal(ends.get(p));
      expect(Buffer.concat((await readAll(log)).map((b) => b.buf)).equals(contents.get(p)!)).to.equal(true);
    }
  });

  it('a log missing from the summary is recovered; a damaged summary line is ignored', async () => {
    let m = await open(dir);
    await fill(m);
    const ends = new Map(m.partitions().map(({ partition, log }) => [partition, log.logEndOffset]));
    await m.close();
    managers.length = 0;
    const file = path.join(dir, LOG_SUMMARY_FILE);
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    const kept = lines.filter((l) => !l.startsWith('lazy\t4\t')).map((l) => (l.startsWith('lazy\t5\t') ? 'lazy\t5\tnot-a-number' : l));
    fs.writeFileSync(file, kept.join('\n'));
    m = await open(dir, { recoveryConcurrency: 0 });
    // a directory the summary does not name is found by the listing after open()
    await m.listed();
    expect(m.get('lazy', 4)!.recovering).to.equal(true);
    expect(m.get('lazy', 5)!.recovering).to.equal(true);
    expect(m.get('lazy', 6)!.recovering).to.equal(false);
    await m.get('lazy', 4)!.open();
    expect(m.get('lazy', 4)!.logEndOffset).to.equal(ends.get(4));
  });

  it('retention opens an unopened log only when its summary says old segments may go', async () => {
    let m = await open(dir);
    const old = await m.create('old', 0, { segmentBytes: 400, retentionMs: 1000 });
    for (let i = 0; i < 5; i++) await old.append(buildBatch([{ value: 'x'.repeat(150) }], { baseTimestamp: 1_000_000 + i }));
    const fresh = await m.create('fresh', 0, { retentionMs: 1000 });
    await fresh.append(buildBatch([{ value: 'one segment only' }], { baseTimestamp: 1_000_000 }));
    const segments = old.segmentCount;
    expect(segments).to.be.greaterThan(2);
    await m.close();
    managers.length = 0;

    m = await open(dir);
    // configs come back from the broker (topic configs), as at a real start
    m.get('old', 0)!.updateConfig({ segmentBytes: 400, retentionMs: 1000 });
    m.get('fresh', 0)!.updateConfig({ retentionMs: 1000 });
    await m.runMaintenance(2_000_000);
    expect(m.get('fresh', 0)!.isOpen).to.equal(false);
    expect(m.get('old', 0)!.isOpen).to.equal(true);
    expect(m.get('old', 0)!.segmentCount).to.equal(1);
  });
});
