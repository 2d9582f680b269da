import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { batchCrcValid, ATTR, BATCH } from '../../protocol/records/batchHeader';
import { ErrorCode } from '../../protocol/errors';
import { LogManager } from '../../storage/logManager';
import type { PartitionLog } from '../../storage/partitionLog';
import { StorageError } from '../../storage/errors';
import { buildBatch, readAll, removeDir, sizedBatch, splitBatches, tempDir } from './helpers';

async function expectStorageError(p: Promise<unknown>, code: number): Promise<StorageError> {
  try {
    await p;
  } catch (err) {
    expect(err).to.be.instanceOf(StorageError);
    expect((err as StorageError).code).to.equal(code);
    return err as StorageError;
  }
  throw new Error(`expected StorageError ${code}`);
}

describe('storage: PartitionLog append and read', () => {
  let dir: string;
  let manager: LogManager;
  let log: PartitionLog;

  beforeEach(async () => {
    dir = tempDir();
    manager = new LogManager({ dataDir: dir, schedulerIntervalMs: 0 });
    await manager.open();
    log = await manager.create('orders', 0, { indexIntervalBytes: 256 });
  });

  afterEach(async () => {
    await manager.close();
    removeDir(dir);
  });

  it('assigns consecutive offsets in place and reads back the same bytes', async () => {
    const a = buildBatch([{ value: 'a1' }, { value: 'a2' }, { value: 'a3' }]);
    const b = buildBatch([{ key: 'k', value: 'b1' }]);
    const r1 = await log.append(a);
    const r2 = await log.append(b);
    expect(r1).to.include({ baseOffset: 0, lastOffset: 2, logAppendTime: -1, logStartOffset: 0 });
    expect(r2).to.include({ baseOffset: 3, lastOffset: 3 });
    expect(Number(a.readBigInt64BE(0))).to.equal(0);
    expect(Number(b.readBigInt64BE(0))).to.equal(3);
    expect(log.logEndOffset).to.equal(4);
    expect(log.highWatermark).to.equal(4);
    const res = await log.read(0, 1 << 20);
    expect(Buffer.concat(res.chunks).equals(Buffer.concat([a, b]))).to.equal(true);
    expect(res.bytes).to.equal(a.length + b.length);
    expect(res).to.include({ highWatermark: 4, logStartOffset: 0, logEndOffset: 4 });
    // CRC survives offset assignment (baseOffset is outside it)
    for (const batch of splitBatches(res.chunks)) expect(batchCrcValid(batch.buf)).to.equal(true);
  });

  it('writes several batches of one produce blob and returns them whole from the batch holding the offset', async () => {
    const blob = Buffer.concat([buildBatch([{ value: 'x' }, { value: 'y' }]), buildBatch([{ value: 'z' }])]);
    const r = await log.append(blob);
    expect(r).to.include({ baseOffset: 0, lastOffset: 2 });
    const res = await log.read(1, 1 << 20);
    expect(splitBatches(res.chunks).map((b) => [b.baseOffset, b.lastOffset])).to.deep.equal([
      [0, 1],
      [2, 2],
    ]);
    const tail = await log.read(2, 1 << 20);
    expect(splitBatches(tail.chunks).map((b) => b.baseOffset)).to.deep.equal([2]);
  });

  it('locates every offset through the sparse index among many batches', async () => {
    const sizes: number[] = [];
    for (let i = 0; i < 300; i++) {
      const n = 1 + (i % 4);
      sizes.push(n);
      await log.append(buildBatch(Array.from({ length: n }, (_, j) => ({ value: `v${i}-${j}`.padEnd(20 + (i % 50), '.') }))));
    }
    let offset = 0;
    for (let i = 0; i < sizes.length; i++) {
      for (let j = 0; j < sizes[i]!; j++) {
        const res = await log.read(offset + j, 1);
        expect(res.chunks.length).to.equal(0, 'maxBytes 1 without minOneBatch returns nothing');
        const one = await log.read(offset + j, 1, { minOneBatch: true });
        const got = splitBatches(one.chunks);
        expect(got.length).to.equal(1);
        expect(got[0]!.baseOffset).to.equal(offset);
      }
      offset += sizes[i]!;
    }
  });

  it('respects maxBytes, minOneBatch and maxOffset', async () => {
    const batches = [sizedBatch(1000), sizedBatch(1000), sizedBatch(1000)];
    for (const b of batches) await log.append(b);
    const size = batches[0]!.length;
    const two = await log.read(0, 2 * size + 10);
    expect(splitBatches(two.chunks).length).to.equal(2);
    const none = await log.read(0, size - 1);
    expect(none.bytes).to.equal(0);
    const forced = await log.read(0, 10, { minOneBatch: true });
    expect(splitBatches(forced.chunks).length).to.equal(1);
    const capped = await log.read(0, 1 << 20, { maxOffset: 2 });
    expect(splitBatches(capped.chunks).map((b) => b.baseOffset)).to.deep.equal([0, 1]);
    const atEnd = await log.read(3, 1 << 20);
    expect(atEnd.bytes).to.equal(0);
  });

  it('answers OFFSET_OUT_OF_RANGE below the start and past the end', async () => {
    await log.append(buildBatch([{ value: 'a' }]));
    await expectStorageError(log.read(2, 100), ErrorCode.OFFSET_OUT_OF_RANGE);
    await expectStorageError(log.read(-1, 100), ErrorCode.OFFSET_OUT_OF_RANGE);
  });

  it('serializes concurrent appends into contiguous offsets with nothing lost', async () => {
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => log.append(buildBatch([{ value: `m${i}` }, { value: `n${i}` }]))));
    const bases = results.map((r) => r.baseOffset).sort((x, y) => x - y);
    expect(bases).to.deep.equal(Array.from({ length: 200 }, (_, i) => i * 2));
    const res = await log.read(0, 1 << 22);
    const got = splitBatches(res.chunks);
    expect(got.length).to.equal(200);
    got.forEach((b, i) => expect(b.baseOffset).to.equal(i * 2));
  });

  it('keeps offsets contiguous with many concurrent appends across frequent segment rolls', async () => {
    log.updateConfig({ segmentBytes: 2000 });
    const results = await Promise.all(Array.from({ length: 300 }, (_, i) => log.append(sizedBatch(100 + (i % 5) * 150, 1 + (i % 3)))));
    expect(log.segmentCount).to.be.greaterThan(20);
    const all = await readAll(log);
    let next = 0;
    for (const b of all) {
      expect(b.baseOffset).to.equal(next);
      next = b.lastOffset + 1;
    }
    expect(next).to.equal(log.logEndOffset);
    expect(all.length).to.equal(300);
    const byBase = new Set(all.map((b) => b.baseOffset));
    for (const r of results) expect(byBase.has(r.baseOffset)).to.equal(true);
  });

  it('rewrites timestamps for LogAppendTime and fixes the CRC', async () => {
    log.updateConfig({ messageTimestampType: 'LogAppendTime' });
    const batch = buildBatch([{ value: 'a', timestamp: 1000 }]);
    const r = await log.append(batch, { now: 1_800_000_000_000 });
    expect(r.logAppendTime).to.equal(1_800_000_000_000);
    const stored = splitBatches((await log.read(0, 4096)).chunks)[0]!.buf;
    expect(Number(stored.readBigInt64BE(BATCH.MAX_TIMESTAMP))).to.equal(1_800_000_000_000);
    expect(stored.readInt16BE(BATCH.ATTRIBUTES) & ATTR.TIMESTAMP_LOG_APPEND).to.not.equal(0);
    expect(batchCrcValid(stored)).to.equal(true);
    expect(await log.maxTimestamp()).to.deep.equal({ offset: 0, timestamp: 1_800_000_000_000 });
  });

  it('rejects oversize and malformed record sets without touching the log', async () => {
    log.updateConfig({ maxMessageBytes: 500 });
    await expectStorageError(log.append(sizedBatch(2000)), ErrorCode.MESSAGE_TOO_LARGE);
    log.updateConfig({ maxMessageBytes: 1 << 20, segmentBytes: 1000 });
    await expectStorageError(log.append(sizedBatch(2000)), ErrorCode.RECORD_LIST_TOO_LARGE);
    const truncated = buildBatch([{ value: 'abc' }]).subarray(0, 70);
    await expectStorageError(log.append(truncated), ErrorCode.CORRUPT_MESSAGE);
    const badMagic = buildBatch([{ value: 'abc' }]);
    badMagic.writeInt8(1, BATCH.MAGIC);
    await expectStorageError(log.append(badMagic), ErrorCode.CORRUPT_MESSAGE);
    expect(log.logEndOffset).to.equal(0);
    expect(log.sizeInBytes()).to.equal(0);
  });

  it('wakes onAppend listeners and stops after unsubscribe', async () => {
    let calls = 0;
    const off = log.onAppend(() => calls++);
    await log.append(buildBatch([{ value: 'a' }]));
    await log.append(buildBatch([{ value: 'b' }]));
    off();
    await log.append(buildBatch([{ value: 'c' }]));
    expect(calls).to.equal(2);
  });

  it('rolls segments by size and by age, reading across them', async () => {
    log.updateConfig({ segmentBytes: 3000 });
    for (let i = 0; i < 10; i++) await log.append(sizedBatch(1000), { now: 1000 });
    const bases = log.segmentBaseOffsets();
    expect(bases.length).to.be.greaterThan(3);
    for (const base of bases) expect(fs.existsSync(path.join(log.dir, `${String(base).padStart(20, '0')}.log`))).to.equal(true);
    for (let o = 0; o < 10; o++) {
      const got = splitBatches((await log.read(o, 1, { minOneBatch: true })).chunks);
      expect(got[0]!.baseOffset).to.equal(o);
    }
    // age: a batch segment.ms or more after the active segment's first batch (by timestamp, as Kafka) rolls
    log.updateConfig({ segmentBytes: 1 << 20, segmentMs: 60_000 });
    const t = Date.now();
    await log.append(sizedBatch(100, 1, t), { now: t });
    const afterFirst = log.segmentCount;
    await log.append(sizedBatch(100, 1, t + 59_000), { now: t + 59_000 });
    expect(log.segmentCount).to.equal(afterFirst);
    await log.append(sizedBatch(100, 1, t + 61_000), { now: t + 61_000 });
    expect(log.segmentCount).to.equal(afterFirst + 1);
  });

  it('finds offsets by timestamp through the time index', async () => {
    log.updateConfig({ segmentBytes: 4000 });
    for (let i = 0; i < 50; i++) {
      await log.append(buildBatch([{ value: 'x'.repeat(200), timestamp: 10_000 + i * 10 }, { value: 'y'.repeat(200), timestamp: 10_000 + i * 10 + 5 }]));
    }
    expect(log.segmentCount).to.be.greaterThan(2);
    expect(await log.offsetForTimestamp(0)).to.deep.equal({ offset: 0, timestamp: 10_000 });
    expect(await log.offsetForTimestamp(10_005)).to.deep.equal({ offset: 1, timestamp: 10_005 });
    expect(await log.offsetForTimestamp(10_006)).to.deep.equal({ offset: 2, timestamp: 10_010 });
    expect(await log.offsetForTimestamp(10_250)).to.deep.equal({ offset: 50, timestamp: 10_250 });
    expect(await log.offsetForTimestamp(10_495)).to.deep.equal({ offset: 99, timestamp: 10_495 });
    expect(await log.offsetForTimestamp(10_496)).to.equal(null);
    expect(await log.maxTimestamp()).to.deep.equal({ offset: 99, timestamp: 10_495 });
  });

  it('keeps data, indexes and offsets across a clean restart', async () => {
    log.updateConfig({ segmentBytes: 5000 });
    for (let i = 0; i < 30; i++) await log.append(sizedBatch(700, 2));
    const before = Buffer.concat((await readAll(log)).map((b) => b.buf));
    expect(before.length).to.equal(log.sizeInBytes());
    const segs = log.segmentBaseOffsets();
    await manager.close();
    expect(fs.existsSync(path.join(dir, '.clean-shutdown'))).to.equal(true);
    manager = new LogManager({ dataDir: dir, schedulerIntervalMs: 0 });
    await manager.open();
    log = manager.get('orders', 0)!;
    // known from the clean shutdown's summary before any file is opened
    expect(log.isOpen).to.equal(false);
    expect(log.logEndOffset).to.equal(60);
    expect(log.sizeInBytes()).to.equal(before.length);
    await log.open();
    expect(log.segmentBaseOffsets()).to.deep.equal(segs);
    expect(Buffer.concat((await readAll(log)).map((b) => b.buf)).equals(before)).to.equal(true);
    const r = await log.append(sizedBatch(100));
    expect(r.baseOffset).to.equal(60);
  });
});
