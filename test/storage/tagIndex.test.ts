import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildRecordBatch } from '../../protocol/records/batch';
import { Compression } from '../../protocol/records/batchHeader';
import { LogManager } from '../../storage/logManager';
import type { PartitionLog } from '../../storage/partitionLog';
import type { StorageLogger } from '../../storage/logger';
import { hashTag } from '../../storage/tagIndex';
import { removeDir, tempDir } from './helpers';

function capturingLogger(): StorageLogger & { lines: string[] } {
  const lines: string[] = [];
  const push = (_obj: object, msg?: string) => lines.push(msg ?? '');
  return { lines, info: push, warn: push, error: push };
}

function tagFiles(dir: string): string[] {
  return fs.readdirSync(dir).filter((f) => f.endsWith('.tagindex')).sort();
}

/** Batch b (10 records): tag 'common' except batches 7, 23 and 41, whose record 3 is 'rare'; every 4th is lz4; batch 30 has no tags. */
function batch(b: number): Buffer {
  const records = Array.from({ length: 10 }, (_, r) => ({
    value: Buffer.from(`v${b}-${r}`.padEnd(40, '.')),
    headers: b === 30 ? [] : [{ key: 'other', value: Buffer.from('x') }, { key: r % 2 ? 'TAGS' : 'brook-tag', value: Buffer.from((b === 7 || b === 23 || b === 41) && r === 3 ? 'rare' : 'common') }],
  }));
  return buildRecordBatch({ records, compression: b % 4 === 0 ? Compression.Lz4 : Compression.None });
}
const RARE_BATCHES = [7, 23, 41];
const BATCHES = 50;

/** Base offsets of the batches a rare-tag read has to look at, following the index from `from`. */
async function candidates(log: PartitionLog, hashes: number[]): Promise<number[]> {
  const out: number[] = [];
  let at = 0;
  for (let guard = 0; guard < 1000 && at < log.highWatermark; guard++) {
    at = await log.tagIndex.skip(at, hashes, log.highWatermark);
    if (at >= log.highWatermark) break;
    if (log.tagIndex.batchMayMatch(at, hashes)) out.push(at);
    at += 10;
  }
  return out;
}

describe('storage: tag index of view sources', () => {
  let dir: string;
  let manager: LogManager;
  let log: PartitionLog;
  const extra: string[] = [];
  const rare = [hashTag('rare')];

  beforeEach(async () => {
    dir = tempDir();
    manager = new LogManager({ dataDir: dir, schedulerIntervalMs: 0 });
    await manager.open();
    log = await manager.create('t', 0, { segmentBytes: 6000, tagIndex: true });
    for (let b = 0; b < BATCHES; b++) await log.append(batch(b));
    await log.flush();
  });

  afterEach(async () => {
    await manager.close();
    removeDir(dir);
    for (const d of extra.splice(0)) removeDir(d);
  });

  it('is built by appends: a rare-tag read looks only at the batches holding the tag, closed segments get a file', async () => {
    expect(log.segmentBaseOffsets().length).to.be.greaterThan(3);
    expect(await candidates(log, rare)).to.deep.equal(RARE_BATCHES.map((b) => b * 10));
    expect(log.tagIndex.stats.batchesIndexed).to.equal(0);
    // a 'common' read looks at every tagged batch, none at the untagged one
    const common = await candidates(log, [hashTag('common')]);
    expect(common).to.have.length(BATCHES - 1);
    expect(common).to.not.include(300);
    expect(tagFiles(log.dir).length).to.equal(log.segmentBaseOffsets().length - 1);
  });

  it('after a clean restart the index answers from its files without decoding any batch', async () => {
    await manager.close();
    const m2 = new LogManager({ dataDir: dir, schedulerIntervalMs: 0 });
    await m2.open();
    try {
      const l2 = await m2.create('t', 0, { segmentBytes: 6000, tagIndex: true });
      expect(await candidates(l2, rare)).to.deep.equal(RARE_BATCHES.map((b) => b * 10));
      expect(l2.tagIndex.stats.batchesIndexed).to.equal(0);
      expect(l2.tagIndex.stats.rebuilds).to.equal(0);
      // the active segment's index came back too: appends extend it
      await l2.append(batch(7));
      expect(await candidates(l2, rare)).to.deep.equal([...RARE_BATCHES.map((b) => b * 10), BATCHES * 10]);
      expect(l2.tagIndex.stats.batchesIndexed).to.equal(0);
    } finally {
      await m2.close();
    }
  });

  it('a damaged file is rebuilt at recovery and a missing one at first use, each with a log line', async () => {
    await manager.close();
    const files = tagFiles(log.dir);
    const damaged = path.join(log.dir, files[1]!);
    const size = fs.statSync(damaged).size;
    fs.truncateSync(damaged, size - 7);
    fs.unlinkSync(path.join(log.dir, files[2]!));
    const logger = capturingLogger();
    const m2 = new LogManager({ dataDir: dir, schedulerIntervalMs: 0, logger });
    await m2.open();
    try {
      const l2 = await m2.create('t', 0, { segmentBytes: 6000, tagIndex: true });
      await l2.open();
      expect(logger.lines.some((l) => l.startsWith(`tag index of segment ${files[1]!.slice(0, 20)} was damaged`))).to.equal(true);
      expect(fs.statSync(damaged).size).to.equal(size);
      expect(await candidates(l2, rare)).to.deep.equal(RARE_BATCHES.map((b) => b * 10));
      expect(logger.lines.some((l) => l === `tag index of segment ${files[2]!.slice(0, 20)} missing: building it from the log`)).to.equal(true);
      expect(l2.tagIndex.stats.rebuilds).to.equal(1);
      expect(l2.tagIndex.stats.batchesIndexed).to.be.greaterThan(0);
      expect(tagFiles(l2.dir)).to.deep.equal(files);
    } finally {
      await m2.close();
    }
  });

  it('a crash image taken mid-append: recovery rebuilds the lost entries while it scans, finding every rare batch', async () => {
    // appends in flight while the files are copied: the copy is what kill -9 leaves
    const writes = Array.from({ length: 30 }, (_, i) => log.append(batch(i % 3 === 0 ? 7 : 1)));
    const copy = tempDir('brook-crash-');
    extra.push(copy);
    fs.cpSync(dir, copy, { recursive: true });
    await Promise.all(writes);
    const m2 = new LogManager({ dataDir: copy, schedulerIntervalMs: 0 });
    await m2.open();
    await m2.recovered();
    try {
      const l2 = await m2.create('t', 0, { segmentBytes: 6000, tagIndex: true });
      const end = l2.highWatermark;
      expect(end).to.be.at.least(BATCHES * 10);
      const expected = RARE_BATCHES.map((b) => b * 10);
      for (let o = BATCHES * 10; o < end; o += 10) if (((o - BATCHES * 10) / 10) % 3 === 0) expected.push(o);
      expect(await candidates(l2, rare)).to.deep.equal(expected);
      // the active segment's entries, lost with the process, came back from recovery's scan: nothing decoded now
      expect(l2.tagIndex.stats.batchesIndexed).to.equal(0);
      expect(tagFiles(l2.dir)).to.have.length(l2.segmentBaseOffsets().length);
      // and appends after recovery keep extending it
      await l2.append(batch(7));
      expect((await candidates(l2, rare)).at(-1)).to.equal(end);
    } finally {
      await m2.close();
    }
  });

  it('truncation forgets entries past the cut; a log with the index off keeps none', async () => {
    await log.truncateTo(250);
    expect(await candidates(log, rare)).to.deep.equal([70, 230]);
    await log.append(batch(41));
    expect(await candidates(log, rare)).to.deep.equal([70, 230, 250]);
    const plain = await manager.create('plain', 0, { segmentBytes: 6000 });
    for (let b = 0; b < 20; b++) await plain.append(batch(b));
    expect(tagFiles(plain.dir)).to.deep.equal([]);
  });
});
