import { expect } from 'chai';
import * as path from 'node:path';
import { BATCH } from '../../protocol/records/batchHeader';
import { ErrorCode } from '../../protocol/errors';
import { StorageError } from '../../storage/errors';
import { nodeFs } from '../../storage/fs';
import { HandlePool } from '../../storage/handlePool';
import { LogManager } from '../../storage/logManager';
import { Segment } from '../../storage/segment';
import { buildBatch, removeDir, tempDir } from './helpers';

function batchAt(baseOffset: number, count: number): Buffer {
  const b = buildBatch(Array.from({ length: count }, (_, i) => ({ value: `v${baseOffset + i}` })));
  b.writeBigInt64BE(BigInt(baseOffset), BATCH.BASE_OFFSET);
  return b;
}

describe('storage: segment invariants', () => {
  let dir: string;
  let seg: Segment;

  beforeEach(async () => {
    dir = tempDir('brook-segment-');
    await nodeFs.mkdir(path.join(dir, 'p-0'));
    seg = new Segment(path.join(dir, 'p-0'), 10, nodeFs, new HandlePool(4, 60_000));
    await seg.create();
  });
  afterEach(() => {
    seg.markDeleted();
    removeDir(dir);
  });

  it('publishes written batches in order and keeps flushed <= published <= written', async () => {
    const a = batchAt(10, 3);
    const b = batchAt(13, 2);
    const start = seg.reserve(a.length + b.length);
    expect(start).to.equal(0);
    await seg.write([a, b], start);
    seg.publishBatch(0, 10, 12, 1, a.length, 4096);
    expect({ size: seg.size, written: seg.writtenEnd, next: seg.nextOffset }).to.deep.equal({ size: a.length, written: a.length + b.length, next: 13 });
    seg.publishBatch(a.length, 13, 14, 1, b.length, 4096);
    await seg.sync();
    expect({ flushed: seg.flushedSize, size: seg.size, next: seg.nextOffset }).to.deep.equal({ flushed: a.length + b.length, size: a.length + b.length, next: 15 });
  });

  it('throws on a batch published out of place, past the written end, or below the next offset', async () => {
    const a = batchAt(10, 3);
    seg.reserve(a.length);
    await seg.write([a], 0);
    expect(() => seg.publishBatch(5, 10, 12, 1, a.length, 4096)).to.throw(/invariant violated/);
    expect(() => seg.publishBatch(0, 10, 12, 1, a.length + 1, 4096)).to.throw(/invariant violated/);
    expect(() => seg.publishBatch(0, 9, 12, 1, a.length, 4096)).to.throw(/invariant violated/);
    seg.publishBatch(0, 10, 12, 1, a.length, 4096);
    expect(seg.nextOffset).to.equal(13);
  });

  it('throws when flushed would pass published, when next offset would move back, or a truncation passes the end', async () => {
    expect(() => seg.markFlushed(1)).to.throw(/invariant violated/);
    expect(() => seg.consumeOffsetsTo(9)).to.throw(/invariant violated/);
    let failed: unknown;
    await seg.truncateTo(1, 4096).catch((err: unknown) => (failed = err));
    expect(String(failed)).to.match(/invariant violated/);
  });

  it('truncates to a batch boundary and rebuilds what stays from the file', async () => {
    const a = batchAt(10, 3);
    const b = batchAt(13, 2);
    seg.reserve(a.length + b.length);
    await seg.write([a, b], 0);
    seg.publishBatch(0, 10, 12, 1, a.length, 4096);
    seg.publishBatch(a.length, 13, 14, 1, b.length, 4096);
    await seg.truncateTo(a.length, 4096);
    expect({ size: seg.size, written: seg.writtenEnd, flushed: seg.flushedSize, next: seg.nextOffset }).to.deep.equal({ size: a.length, written: a.length, flushed: a.length, next: 13 });
    expect(seg.txnIndex.trusted, 'aborts after the cut are rebuilt by the producer-state replay').to.equal(false);
  });
});

describe('storage: the append edge refuses what would break an invariant', () => {
  let dir: string;
  let manager: LogManager;

  beforeEach(async () => {
    dir = tempDir('brook-segment-edge-');
    manager = new LogManager({ dataDir: dir, schedulerIntervalMs: 0 });
    await manager.open();
  });
  afterEach(async () => {
    await manager.close();
    removeDir(dir);
  });

  it('a replicated request whose batches go backwards gets CORRUPT_MESSAGE and the log stays as it was', async () => {
    const log = await manager.create('rep', 0);
    const err = await log.append(Buffer.concat([batchAt(0, 2), batchAt(1, 2)]), { keepOffsets: true }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(StorageError);
    expect((err as StorageError).code).to.equal(ErrorCode.CORRUPT_MESSAGE);
    expect(log.logEndOffset).to.equal(0);
    const ok = await log.append(Buffer.concat([batchAt(0, 2), batchAt(2, 2)]), { keepOffsets: true });
    expect(ok).to.deep.include({ baseOffset: 0, lastOffset: 3 });
  });
});

describe('storage: producer-state settings belong to a LogManager', () => {
  let dirs: string[];

  beforeEach(() => {
    dirs = [tempDir('brook-pstate-a-'), tempDir('brook-pstate-b-')];
  });
  afterEach(() => {
    for (const d of dirs) removeDir(d);
  });

  it('producer.id.expiration.ms set on one manager does not change another in the same process', async () => {
    const [a, b] = await Promise.all(dirs.map(async (d) => {
      const m = new LogManager({ dataDir: d, schedulerIntervalMs: 0 });
      await m.open();
      return m;
    }));
    try {
      a!.setProducerExpirationMs(1);
      const now = Date.now();
      for (const m of [a!, b!]) {
        const log = await m.create('idem', 0);
        const table = await log.producerState.table();
        table.record(7n, 0, { firstSeq: 0, lastSeq: 0, baseOffset: 0, lastOffset: 0, written: null }, now - 1000);
      }
      expect(a!.expireIdleProducers(now)).to.equal(1);
      expect(b!.expireIdleProducers(now)).to.equal(0);
      expect(b!.get('idem', 0)!.producerState.loaded!.size).to.equal(1);
    } finally {
      await a!.close();
      await b!.close();
    }
  });
});
