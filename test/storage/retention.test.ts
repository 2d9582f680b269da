import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ErrorCode } from '../../protocol/errors';
import { Compression } from '../../protocol/records/batchHeader';
import { LogManager, parsePartitionDir } from '../../storage/logManager';
import { StorageError } from '../../storage/errors';
import { deleteDirName } from '../../storage/deleteDir';
import { DIRTY_JOURNAL_FILE } from '../../storage/logCheckpoint';
import { decodeBatch } from '../../storage/records';
import { buildBatch, readAll, removeDir, sizedBatch, splitBatches, tempDir } from './helpers';

describe('storage: retention, DeleteRecords, topic deletion', () => {
  let dir: string;
  let manager: LogManager;

  beforeEach(async () => {
    dir = tempDir();
    manager = new LogManager({ dataDir: dir, schedulerIntervalMs: 0 });
    await manager.open();
  });

  afterEach(async () => {
    await manager.close();
    removeDir(dir);
  });

  it('retention.ms deletes whole closed segments whose newest record expired', async () => {
    const log = await manager.create('t', 0, { segmentBytes: 2500, retentionMs: 60_000 });
    for (let i = 0; i < 10; i++) await log.append(sizedBatch(1000, 1, 1_000_000 + i * 1000));
    const segsBefore = log.segmentBaseOffsets();
    expect(segsBefore.length).to.be.greaterThan(3);
    // now = newest timestamp of the 2nd segment + retention + 1: exactly the first two segments expire
    const secondEnd = segsBefore[2]! - 1;
    const deleted = await log.runRetention(1_000_000 + secondEnd * 1000 + 60_001);
    expect(deleted).to.equal(2);
    expect(log.logStartOffset).to.equal(segsBefore[2]);
    expect(log.segmentBaseOffsets()).to.deep.equal(segsBefore.slice(2));
    expect(fs.existsSync(path.join(log.dir, '00000000000000000000.log'))).to.equal(false);
    try {
      await log.read(0, 100);
      expect.fail('read below the log start must fail');
    } catch (err) {
      expect((err as StorageError).code).to.equal(ErrorCode.OFFSET_OUT_OF_RANGE);
    }
    // the active segment is never deleted, even when everything expired
    await log.runRetention(Number.MAX_SAFE_INTEGER - 1);
    expect(log.segmentCount).to.equal(1);
    expect(log.logEndOffset).to.equal(10);
  });

  it('retention.bytes keeps the newest segments under the limit', async () => {
    const log = await manager.create('t', 1, { segmentBytes: 2500, retentionBytes: 5000, retentionMs: -1 });
    for (let i = 0; i < 12; i++) await log.append(sizedBatch(1000));
    await log.runRetention();
    expect(log.sizeInBytes()).to.be.at.most(5000 + 2500);
    expect(log.sizeInBytes() - log.currentConfig().segmentBytes).to.be.lessThan(5000);
    const remaining = await readAll(log, log.logStartOffset);
    expect(remaining[remaining.length - 1]!.lastOffset).to.equal(11);
    expect(remaining[0]!.baseOffset).to.equal(log.logStartOffset);
  });

  it('compact-only logs are not deleted by time', async () => {
    const log = await manager.create('c', 0, { segmentBytes: 2500, retentionMs: 1, cleanupPolicy: 'compact' });
    for (let i = 0; i < 6; i++) await log.append(sizedBatch(1000, 1, 1000));
    expect(await log.runRetention(Date.now())).to.equal(0);
  });

  it('DeleteRecords moves the log start offset, survives restart and drops whole segments below it', async () => {
    const log = await manager.create('d', 0, { segmentBytes: 2500 });
    for (let i = 0; i < 10; i++) await log.append(sizedBatch(1000));
    const segs = log.segmentBaseOffsets();
    expect(await log.deleteRecordsBefore(segs[1]! + 1)).to.equal(segs[1]! + 1);
    expect(log.segmentBaseOffsets()[0]).to.equal(segs[1]);
    try {
      await log.deleteRecordsBefore(11);
      expect.fail('beyond the high watermark');
    } catch (err) {
      expect((err as StorageError).code).to.equal(ErrorCode.OFFSET_OUT_OF_RANGE);
    }
    await manager.close();
    manager = new LogManager({ dataDir: dir, schedulerIntervalMs: 0 });
    await manager.open();
    const reopened = manager.get('d', 0)!;
    expect(reopened.logStartOffset).to.equal(segs[1]! + 1);
    const res = await reopened.read(segs[1]! + 1, 1 << 20);
    // one record per batch: the read starts at the new log start offset exactly
    expect(splitBatches(res.chunks)[0]!.baseOffset).to.equal(segs[1]! + 1);
  });

  it('parses partition directory names whose topic contains dashes and digits', () => {
    expect(parsePartitionDir('orders-0')).to.deep.equal({ topic: 'orders', partition: 0 });
    expect(parsePartitionDir('a-b-12-7')).to.deep.equal({ topic: 'a-b-12', partition: 7 });
    expect(parsePartitionDir('__consumer_offsets-49')).to.deep.equal({ topic: '__consumer_offsets', partition: 49 });
    expect(parsePartitionDir('orders-0.1700000000000-delete')).to.equal(null);
    expect(parsePartitionDir('nodash')).to.equal(null);
  });

  it('a restarted manager finds every partition again', async () => {
    await manager.create('multi-part', 0);
    await manager.create('multi-part', 3);
    await (await manager.create('other', 1)).append(buildBatch([{ value: 'v' }]));
    await manager.close();
    manager = new LogManager({ dataDir: dir, schedulerIntervalMs: 0 });
    await manager.open();
    const found = manager.partitions().map((p) => `${p.topic}/${p.partition}`).sort();
    expect(found).to.deep.equal(['multi-part/0', 'multi-part/3', 'other/1']);
    expect(manager.get('other', 1)!.logEndOffset).to.equal(1);
  });

  it('deleteTopic closes and removes every partition directory of the topic only', async () => {
    const a0 = await manager.create('gone', 0);
    const a1 = await manager.create('gone', 1);
    const keep = await manager.create('gone-not', 0);
    await a0.append(buildBatch([{ value: 'x' }]));
    await a1.append(buildBatch([{ value: 'y' }]));
    await keep.append(buildBatch([{ value: 'z' }]));
    await manager.deleteTopic('gone');
    expect(manager.get('gone', 0)).to.equal(undefined);
    expect(fs.readdirSync(dir).filter((n) => !n.startsWith('.') && n !== DIRTY_JOURNAL_FILE)).to.deep.equal(['gone-not-0']);
    expect(splitBatches((await keep.read(0, 1000)).chunks).map((b) => [b.baseOffset, b.lastOffset])).to.deep.equal([[0, 0]]);
    const again = await manager.create('gone', 0);
    expect(again.logEndOffset).to.equal(0);
  });

  it('deleteTopic removes partitions of a 249-character topic (the delete-dir name is shortened to fit 255 bytes)', async () => {
    // Kafka accepts topic names up to 249 characters; `<topic>-<p>.<stamp>-delete` of such a name is too long for a file name
    const topic = 'L'.repeat(249);
    for (const p of [0, 17]) await (await manager.create(topic, p)).append(buildBatch([{ value: 'old' }]));
    // a directory already renamed for deletion by an earlier run, and left by a crash: start-up removes it
    const leftover = deleteDirName(topic, 3);
    expect(leftover.length).to.be.at.most(255);
    fs.mkdirSync(path.join(dir, leftover));
    await manager.deleteTopic(topic);
    const entries = (): string[] => fs.readdirSync(dir).filter((n) => n.startsWith('LLL'));
    expect(entries()).to.deep.equal([leftover]);
    expect((await manager.create(topic, 0)).logEndOffset).to.equal(0);
    await manager.deleteTopic(topic);
    await manager.close();
    manager = new LogManager({ dataDir: dir, schedulerIntervalMs: 0 });
    await manager.open();
    await manager.listed();
    expect(manager.partitions().map((p) => p.topic)).to.deep.equal([]);
    expect(entries()).to.deep.equal([]);
  });

  it('scheduler pass applies retention and closes idle segment handles', async () => {
    await manager.close();
    manager = new LogManager({ dataDir: dir, schedulerIntervalMs: 0, idleHandleMs: 1000, maxOpenSegmentHandles: 2 });
    await manager.open();
    const log = await manager.create('h', 0, { segmentBytes: 1500, retentionMs: -1 });
    for (let i = 0; i < 8; i++) await log.append(sizedBatch(1000));
    expect(log.segmentCount).to.equal(8);
    for (let o = 0; o < 8; o++) await log.read(o, 10, { minOneBatch: true });
    expect(manager.openSegmentHandles).to.be.at.most(2);
    await log.flush(); // rolled segments are finalized (fsync + index files) in the background; let that finish
    await manager.runMaintenance(Date.now() + 5000);
    expect(manager.openSegmentHandles).to.equal(0);
    // reading again reopens on demand
    expect(splitBatches((await log.read(1, 10, { minOneBatch: true })).chunks).map((b) => b.baseOffset)).to.deep.equal([1]);
  });

  it('a scheduler pass with nothing to do does not stop later passes (retention still runs once segments expire)', async () => {
    await manager.close();
    manager = new LogManager({ dataDir: dir, schedulerIntervalMs: 0, idleLogMs: 0, checkpointIntervalMs: 0 });
    await manager.open();
    const log = await manager.create('quiet', 0, { segmentBytes: 2500, retentionMs: 60_000 });
    const t = 1_000_000;
    // one segment, nothing dirty to checkpoint, no idle check: a pass that awaits nothing
    await manager.runMaintenance(t);
    await manager.runMaintenance(t);
    for (let i = 0; i < 10; i++) await log.append(sizedBatch(1000, 1, t + i));
    expect(log.segmentCount).to.be.greaterThan(2);
    await manager.runMaintenance(t + 10 + 60_001);
    expect(log.segmentCount).to.equal(1);
    expect(log.logStartOffset).to.equal(log.segmentBaseOffsets()[0]);
  });
});

describe('storage: compaction', () => {
  let dir: string;
  let manager: LogManager;

  beforeEach(async () => {
    dir = tempDir();
    manager = new LogManager({ dataDir: dir, schedulerIntervalMs: 0 });
    await manager.open();
  });

  afterEach(async () => {
    await manager.close();
    removeDir(dir);
  });

  async function liveRecords(log: { read(o: number, m: number): Promise<{ chunks: Buffer[] }>; logEndOffset: number; logStartOffset: number }) {
    const out: Array<{ offset: number; key: string | null; value: string | null }> = [];
    for (const b of await readAll(log, log.logStartOffset)) {
      const d = decodeBatch(b.buf);
      for (const r of d.records) {
        out.push({
          offset: d.baseOffset + r.offsetDelta,
          key: r.key ? r.key.toString() : null,
          value: r.value ? r.value.toString() : null,
        });
      }
    }
    return out;
  }

  it('keeps the last value per key in closed segments, keeps offsets, and expires tombstones', async () => {
    const log = await manager.create('__consumer_offsets', 0, { segmentBytes: 250, cleanupPolicy: 'compact', deleteRetentionMs: 10_000 });
    const ts = 1_000_000;
    // keys a,b,c written repeatedly; b deleted by a tombstone; values are single letters for easy checks
    const writes: Array<[string, string | null]> = [
      ['a', '1'], ['b', '1'], ['c', '1'], ['a', '2'], ['b', '2'], ['a', '3'], ['b', null], ['c', '2'], ['d', '1'], ['a', '4'],
    ];
    for (const [k, v] of writes) await log.append(buildBatch([{ key: k, value: v, timestamp: ts }]));
    // a batch with several records, some superseded later
    await log.append(buildBatch([{ key: 'e', value: '1', timestamp: ts }, { key: 'c', value: '3', timestamp: ts }, { key: 'e', value: '2', timestamp: ts }]));
    for (let i = 0; i < 4; i++) await log.append(buildBatch([{ key: 'z', value: String(i), timestamp: ts }]));
    const segsBefore = log.segmentCount;
    expect(segsBefore).to.be.greaterThan(3);
    const leo = log.logEndOffset;
    const sizeBefore = log.sizeInBytes();

    // delete.retention.ms counts from when the tombstone's segment was written (now), not from its record timestamp
    const r1 = await log.compact(Date.now() + 1000);
    expect(r1.recordsRemoved).to.be.greaterThan(0);
    expect(log.logEndOffset).to.equal(leo);
    expect(log.sizeInBytes()).to.be.lessThan(sizeBefore);
    const live = await liveRecords(log);
    const byKey = new Map<string, Array<string | null>>();
    for (const r of live) byKey.set(r.key!, [...(byKey.get(r.key!) ?? []), r.value]);
    expect(byKey.get('a')).to.deep.equal(['4']);
    expect(byKey.get('b')).to.deep.equal([null]); // tombstone kept: younger than delete.retention.ms
    expect(byKey.get('c')).to.deep.equal(['3']);
    expect(byKey.get('d')).to.deep.equal(['1']);
    expect(byKey.get('e')).to.deep.equal(['2']);
    // offsets only increase and keep their original values
    const offsets = live.map((r) => r.offset);
    expect([...offsets].sort((x, y) => x - y)).to.deep.equal(offsets);
    expect(live.find((r) => r.key === 'a')!.offset).to.equal(9);

    // a later pass after delete.retention.ms removes the tombstone
    await log.compact(Date.now() + 20_000);
    const after = await liveRecords(log);
    expect(after.some((r) => r.key === 'b')).to.equal(false);

    // cleaned segments survive a restart (indexes rebuilt or loaded consistently)
    await manager.close();
    manager = new LogManager({ dataDir: dir, schedulerIntervalMs: 0 });
    await manager.open();
    const reopened = manager.get('__consumer_offsets', 0)!;
    expect(reopened.logEndOffset).to.equal(leo);
    expect(await liveRecords(reopened)).to.deep.equal(after);
    // reading an offset that compaction removed returns the next surviving batch
    const res = await reopened.read(1, 1 << 16);
    const next = after.find((r) => r.offset >= 1)!;
    const first = decodeBatch(splitBatches(res.chunks)[0]!.buf);
    expect(first.records.map((r) => first.baseOffset + r.offsetDelta).find((o) => o >= 1)).to.equal(next.offset);
  });

  it('re-compresses partially kept compressed batches with their codec', async () => {
    const log = await manager.create('__transaction_state', 0, { segmentBytes: 150, cleanupPolicy: 'compact' });
    await log.append(buildBatch([{ key: 'x', value: 'A' }, { key: 'y', value: 'B' }, { key: 'x', value: 'C' }], { compression: Compression.Gzip }));
    await log.append(buildBatch([{ key: 'y', value: 'D' }], { compression: Compression.Zstd }));
    await log.append(buildBatch([{ key: 'q', value: 'E' }]));
    expect(log.segmentCount).to.be.greaterThan(1);
    await log.compact(Date.now(), true);
    const batches = await readAll(log);
    const first = decodeBatch(batches[0]!.buf);
    expect(first.attributes & 7).to.equal(Compression.Gzip);
    expect(first.records.map((r) => r.key!.toString())).to.deep.equal(['x']);
    expect(first.baseOffset + first.records[0]!.offsetDelta).to.equal(2);
    expect(batches[0]!.lastOffset).to.equal(2);
  });
});
