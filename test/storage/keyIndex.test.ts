import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Compression } from '../../protocol/records/batchHeader';
import { LogManager } from '../../storage/logManager';
import type { PartitionLog } from '../../storage/partitionLog';
import type { StorageLogger } from '../../storage/logger';
import { buildBatch, removeDir, tempDir } from './helpers';

function capturingLogger(): StorageLogger & { warnings: string[] } {
  const warnings: string[] = [];
  return {
    warnings,
    info: () => undefined,
    warn: (_obj: object, msg?: string) => warnings.push(msg ?? ''),
    error: (_obj: object, msg?: string) => warnings.push(msg ?? ''),
  };
}

function keyIndexFiles(dir: string): string[] {
  return fs.readdirSync(dir).filter((f) => f.endsWith('.keyindex')).sort();
}

describe('storage: key index (brook.index.keys)', () => {
  let dir: string;
  let manager: LogManager;
  let log: PartitionLog;
  const extra: string[] = [];

  /** 60 batches of 10 records, key `k<i % 50>`; every 3rd batch lz4-compressed. Offset n has key k<n % 50>. */
  async function fill(l: PartitionLog): Promise<void> {
    for (let b = 0; b < 60; b++) {
      const records = Array.from({ length: 10 }, (_, r) => ({ key: `k${(b * 10 + r) % 50}`, value: `v${b * 10 + r}`.padEnd(40, '.') }));
      await l.append(buildBatch(records, { compression: b % 3 === 0 ? Compression.Lz4 : 0 }));
    }
    await l.flush();
  }

  beforeEach(async () => {
    dir = tempDir();
    manager = new LogManager({ dataDir: dir, schedulerIntervalMs: 0 });
    await manager.open();
    log = await manager.create('k', 0, { segmentBytes: 4000, keyIndex: true });
    await fill(log);
  });

  afterEach(async () => {
    await manager.close();
    removeDir(dir);
    for (const d of extra.splice(0)) removeDir(d);
  });

  it('finds every offset of a key across segments, reading only the batches that hold it', async () => {
    expect(log.segmentBaseOffsets().length).to.be.greaterThan(3);
    const offsets = await log.findKey(Buffer.from('k7'), 1000);
    expect(offsets).to.deep.equal(Array.from({ length: 12 }, (_, i) => 7 + i * 50));
    // 12 matches in 12 different batches: a scan would have read all 60
    expect(log.keyIndexStats.batchesRead).to.equal(12);
    expect(await log.findKey(Buffer.from('nope'), 10)).to.deep.equal([]);
    expect(await log.findKey(Buffer.from('k7'), 3)).to.deep.equal([7, 57, 107]);
    // closed segments have their file
    expect(keyIndexFiles(log.dir).length).to.be.greaterThanOrEqual(log.segmentBaseOffsets().length - 1);
  });

  it('looks up from an offset and newest first, reading only the batches of the matches returned', async () => {
    expect(await log.findKey(Buffer.from('k7'), 3, { from: 300 })).to.deep.equal([307, 357, 407]);
    const before = log.keyIndexStats.batchesRead;
    expect(await log.findKey(Buffer.from('k7'), 3, { newestFirst: true })).to.deep.equal([557, 507, 457]);
    expect(log.keyIndexStats.batchesRead - before).to.equal(3);
    expect(await log.findKey(Buffer.from('k7'), 3, { newestFirst: true, to: 457 })).to.deep.equal([407, 357, 307]);
    expect(await log.findKey(Buffer.from('k7'), 100, { from: 100, to: 300, newestFirst: true })).to.deep.equal([257, 207, 157, 107]);
  });

  it('answers null when the log has the index off, and builds it from the log when switched on later', async () => {
    const plain = await manager.create('plain', 0, { segmentBytes: 4000 });
    await fill(plain);
    expect(plain.findKey(Buffer.from('k1'))).to.equal(null);
    expect(keyIndexFiles(plain.dir)).to.deep.equal([]);
    plain.updateConfig({ keyIndex: true });
    expect(await plain.findKey(Buffer.from('k1'), 1000)).to.have.length(12);
    expect(plain.keyIndexStats.rebuilds).to.equal(plain.segmentBaseOffsets().length);
    // appends after the catch-up extend the active segment's index
    await plain.append(buildBatch([{ key: 'k1', value: 'late' }]));
    expect(await plain.findKey(Buffer.from('k1'), 1000)).to.have.length(13);
  });

  it('a truncated key index file left by kill -9 is rebuilt at recovery', async () => {
    await log.append(buildBatch([{ key: 'k7', value: 'tail' }]));
    await log.flush();
    const copy = tempDir('brook-crash-');
    extra.push(copy);
    fs.cpSync(dir, copy, { recursive: true });
    const partDir = path.join(copy, path.basename(log.dir));
    const files = keyIndexFiles(partDir);
    expect(files.length).to.be.greaterThan(1);
    const victim = path.join(partDir, files[1]!);
    const size = fs.statSync(victim).size;
    fs.truncateSync(victim, size - 5);
    const logger = capturingLogger();
    const m2 = new LogManager({ dataDir: copy, schedulerIntervalMs: 0, logger });
    await m2.open();
    // after a crash logs are recovered in the background
    await m2.recovered();
    try {
      expect(logger.warnings.some((w) => w.startsWith(`key index of segment ${files[1]!.slice(0, 20)} was damaged`))).to.equal(true);
      expect(fs.statSync(victim).size).to.equal(size);
      const l2 = await m2.create('k', 0, { segmentBytes: 4000, keyIndex: true });
      const offsets = (await l2.findKey(Buffer.from('k7'), 1000))!;
      expect(offsets.slice(0, 12)).to.deep.equal(Array.from({ length: 12 }, (_, i) => 7 + i * 50));
      expect(offsets[12]).to.equal(600);
    } finally {
      await m2.close();
    }
  });

  it('retention deletes a segment key index with the segment, truncation forgets entries past the cut', async () => {
    const bases = log.segmentBaseOffsets();
    await log.deleteRecordsBefore(bases[2]!);
    const names = keyIndexFiles(log.dir).map((f) => Number(f.slice(0, 20)));
    expect(names.every((b) => b >= bases[2]!)).to.equal(true);
    expect(await log.findKey(Buffer.from('k7'), 1000)).to.deep.equal(Array.from({ length: 12 }, (_, i) => 7 + i * 50).filter((o) => o >= bases[2]!));
    await log.truncateTo(300);
    expect(await log.findKey(Buffer.from('k7'), 1000)).to.deep.equal([7, 57, 107, 157, 207, 257].filter((o) => o >= bases[2]!));
    await log.append(buildBatch([{ key: 'k7', value: 'after-cut' }]));
    expect((await log.findKey(Buffer.from('k7'), 1000))!.at(-1)).to.equal(300);
  });
});
