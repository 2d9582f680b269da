import { expect } from 'chai';
import { BATCH } from '../../protocol/records/batchHeader';
import { ErrorCode } from '../../protocol/errors';
import { LogManager } from '../../storage/logManager';
import type { PartitionLog } from '../../storage/partitionLog';
import { StorageError } from '../../storage/errors';
import { LeaderEpochCache } from '../../storage/leaderEpochCache';
import { nodeFs } from '../../storage/fs';
import { buildBatch, removeDir, splitBatches, tempDir } from './helpers';

/** Batches as a leader would send them: offsets and epoch already stamped. */
function leaderBatch(baseOffset: number, count: number, epoch: number, tag = 'v'): Buffer {
  const b = buildBatch(Array.from({ length: count }, (_, i) => ({ value: `${tag}${baseOffset + i}` })));
  b.writeBigInt64BE(BigInt(baseOffset), BATCH.BASE_OFFSET);
  b.writeInt32BE(epoch, BATCH.PARTITION_LEADER_EPOCH);
  return b;
}

async function offsetsIn(log: PartitionLog, from = 0): Promise<Array<[number, number]>> {
  const out: Array<[number, number]> = [];
  let o = from;
  while (o < log.logEndOffset) {
    const r = await log.read(o, 1 << 20);
    const batches = splitBatches(r.chunks);
    if (batches.length === 0) break;
    for (const b of batches) out.push([b.baseOffset, b.lastOffset]);
    o = batches[batches.length - 1]!.lastOffset + 1;
  }
  return out;
}

describe('storage: replica side of a partition log', () => {
  let dir: string;
  let manager: LogManager;
  let log: PartitionLog;

  beforeEach(async () => {
    dir = tempDir();
    manager = new LogManager({ dataDir: dir, schedulerIntervalMs: 0 });
    await manager.open();
    log = await manager.create('r', 0, { indexIntervalBytes: 128, segmentBytes: 1024 });
  });

  afterEach(async () => {
    await manager.close();
    removeDir(dir);
  });

  async function reopen(): Promise<void> {
    await manager.close();
    manager = new LogManager({ dataDir: dir, schedulerIntervalMs: 0 });
    await manager.open();
    log = await manager.create('r', 0, { indexIntervalBytes: 128, segmentBytes: 1024 });
  }

  it('appends leader batches keeping their offsets and epochs, byte for byte', async () => {
    const a = leaderBatch(0, 3, 4);
    const b = leaderBatch(3, 2, 5);
    const copy = Buffer.concat([a, b]);
    await log.append(a, { keepOffsets: true });
    const r = await log.append(b, { keepOffsets: true });
    expect(r).to.include({ baseOffset: 3, lastOffset: 4 });
    expect(log.logEndOffset).to.equal(5);
    const read = await log.read(0, 1 << 20);
    expect(Buffer.concat(read.chunks).equals(copy)).to.equal(true);
  });

  it('refuses a replicated batch that starts below the log end', async () => {
    await log.append(leaderBatch(0, 3, 1), { keepOffsets: true });
    try {
      await log.append(leaderBatch(2, 1, 1), { keepOffsets: true });
      expect.fail('accepted an overlapping batch');
    } catch (err) {
      expect(err).to.be.instanceOf(StorageError);
      expect((err as StorageError).code).to.equal(ErrorCode.OFFSET_OUT_OF_RANGE);
    }
    expect(log.logEndOffset).to.equal(3);
  });

  it('keeps the high watermark where replication puts it and wakes listeners when it moves', async () => {
    log.highWatermarkFollowsLog = false;
    const hw0 = log.highWatermark;
    await log.append(buildBatch([{ value: 'a' }, { value: 'b' }]));
    expect(log.logEndOffset).to.equal(2);
    expect(log.highWatermark).to.equal(hw0);
    expect(log.localCommittedEnd).to.equal(2);
    const bounded = await log.read(0, 1 << 20, { maxOffset: log.highWatermark });
    expect(bounded.bytes).to.equal(0);
    let woken = 0;
    log.onAppend(() => woken++);
    log.setHighWatermark(1);
    expect(log.highWatermark).to.equal(1);
    expect(woken).to.equal(1);
    log.setHighWatermark(1);
    expect(woken).to.equal(1);
    log.setHighWatermark(99);
    expect(log.highWatermark).to.equal(2);
  });

  it('an RF=1 log keeps its high watermark at the log end', async () => {
    await log.append(buildBatch([{ value: 'a' }]));
    expect(log.highWatermark).to.equal(log.logEndOffset);
  });

  it('persists the high watermark of a replicated log across a restart', async () => {
    log.highWatermarkFollowsLog = false;
    await log.append(buildBatch([{ value: 'a' }, { value: 'b' }, { value: 'c' }]));
    log.setHighWatermark(2);
    await reopen();
    expect(log.checkpointedHighWatermark).to.equal(2);
    expect(log.logEndOffset).to.equal(3);
  });

  it('truncates inside the active segment and appends after the cut', async () => {
    for (let i = 0; i < 5; i++) await log.append(leaderBatch(i * 2, 2, 1), { keepOffsets: true });
    log.setHighWatermark(10);
    const end = await log.truncateTo(6);
    expect(end).to.equal(6);
    expect(log.logEndOffset).to.equal(6);
    expect(log.highWatermark).to.equal(6);
    expect(await offsetsIn(log)).to.deep.equal([[0, 1], [2, 3], [4, 5]]);
    await log.append(leaderBatch(6, 1, 2), { keepOffsets: true });
    expect(await offsetsIn(log)).to.deep.equal([[0, 1], [2, 3], [4, 5], [6, 6]]);
  });

  it('truncates across rolled segments, drops the later files, and the cut survives a restart', async () => {
    for (let i = 0; i < 40; i++) await log.append(leaderBatch(i, 1, 1, 'x'.repeat(40)), { keepOffsets: true });
    expect(log.segmentCount).to.be.greaterThan(3);
    const bases = log.segmentBaseOffsets();
    const cutAt = bases[1]! + 1;
    await log.truncateTo(cutAt);
    expect(log.segmentCount).to.equal(2);
    expect(log.logEndOffset).to.equal(cutAt);
    // offset lookups through the rebuilt index still land on the right batch
    const r = await log.read(cutAt - 1, 1 << 20);
    expect(splitBatches(r.chunks)[0]!.baseOffset).to.equal(cutAt - 1);
    await log.append(leaderBatch(cutAt, 1, 2), { keepOffsets: true });
    await reopen();
    expect(log.logEndOffset).to.equal(cutAt + 1);
    const all = await offsetsIn(log);
    expect(all.length).to.equal(cutAt + 1);
    expect(all.every(([b, l], i) => b === i && l === i)).to.equal(true);
  });

  it('a cut at a segment base makes the previous segment active again', async () => {
    for (let i = 0; i < 40; i++) await log.append(leaderBatch(i, 1, 1, 'x'.repeat(40)), { keepOffsets: true });
    const bases = log.segmentBaseOffsets();
    await log.truncateTo(bases[2]!);
    expect(log.segmentBaseOffsets()).to.deep.equal(bases.slice(0, 2));
    expect(log.logEndOffset).to.equal(bases[2]);
    await log.append(leaderBatch(bases[2]!, 1, 1), { keepOffsets: true });
    expect(log.logEndOffset).to.equal(bases[2]! + 1);
  });

  it('truncating to zero or below the first segment starts the log over', async () => {
    for (let i = 0; i < 5; i++) await log.append(leaderBatch(i, 1, 1), { keepOffsets: true });
    await log.truncateTo(0);
    expect(log.logEndOffset).to.equal(0);
    expect(log.segmentCount).to.equal(1);
    await log.append(leaderBatch(0, 1, 3), { keepOffsets: true });
    expect(await offsetsIn(log)).to.deep.equal([[0, 0]]);
  });

  it('a truncation at or past the end changes nothing', async () => {
    await log.append(leaderBatch(0, 2, 1), { keepOffsets: true });
    expect(await log.truncateTo(5)).to.equal(2);
    expect(await offsetsIn(log)).to.deep.equal([[0, 1]]);
  });

  it('truncation drops epochs that started at or after the cut', async () => {
    await log.epochs.assign(1, 0);
    await log.append(leaderBatch(0, 3, 1), { keepOffsets: true });
    await log.epochs.assign(2, 3);
    await log.append(leaderBatch(3, 3, 2), { keepOffsets: true });
    await log.truncateTo(3);
    expect(log.epochs.all()).to.deep.equal([{ epoch: 1, startOffset: 0 }]);
  });
});

describe('storage: leader epoch cache', () => {
  let dir: string;
  beforeEach(() => (dir = tempDir()));
  afterEach(() => removeDir(dir));

  it('answers where each epoch ends, the latest at the log end, an epoch older than all at the first one\'s start', async () => {
    const c = await LeaderEpochCache.load(nodeFs, dir);
    expect(c.endOffsetFor(0, 10)).to.deep.equal({ epoch: -1, endOffset: -1 });
    await c.assign(2, 0);
    await c.assign(3, 5);
    await c.assign(3, 7); // same epoch again: ignored
    await c.assign(6, 9);
    // never had epoch 1: whatever the asker wrote in it ends where this log's first epoch starts (Kafka's answer)
    expect(c.endOffsetFor(1, 12)).to.deep.equal({ epoch: 1, endOffset: 0 });
    expect(c.endOffsetFor(-1, 12)).to.deep.equal({ epoch: -1, endOffset: -1 });
    expect(c.endOffsetFor(2, 12)).to.deep.equal({ epoch: 2, endOffset: 5 });
    expect(c.endOffsetFor(4, 12)).to.deep.equal({ epoch: 3, endOffset: 9 });
    expect(c.endOffsetFor(6, 12)).to.deep.equal({ epoch: 6, endOffset: 12 });
    expect(c.endOffsetFor(9, 12)).to.deep.equal({ epoch: 6, endOffset: 12 });
    const again = await LeaderEpochCache.load(nodeFs, dir);
    expect(again.all()).to.deep.equal(c.all());
  });

  it('moves the first epoch start with the log start and forgets epochs wholly before it', async () => {
    const c = await LeaderEpochCache.load(nodeFs, dir);
    await c.assign(1, 0);
    await c.assign(2, 4);
    await c.assign(3, 8);
    await c.truncateFromStart(6);
    expect(c.all()).to.deep.equal([
      { epoch: 2, startOffset: 6 },
      { epoch: 3, startOffset: 8 },
    ]);
  });
});
