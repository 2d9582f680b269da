import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LogManager } from '../../storage/logManager';
import { HIGH_WATERMARK_CHECKPOINT_FILE, HighWatermarkCheckpoint, LEGACY_HIGH_WATERMARK_FILE, parseHighWatermarks } from '../../storage/highWatermarkCheckpoint';
import { silentLogger } from '../../storage/logger';
import { nodeFs, type StorageFs } from '../../storage/fs';
import type { PartitionLog } from '../../storage/partitionLog';
import { buildBatch } from './helpers';
import { fsyncCounting, managedLogs } from './managedLogs';

/** A log as replication uses it: its high watermark set by the ISR, not by its own writes. */
async function replicated(m: LogManager, topic: string, partition: number, records: number): Promise<PartitionLog> {
  const log = await m.create(topic, partition);
  log.highWatermarkFollowsLog = false;
  for (let i = 0; i < records; i++) await log.append(buildBatch([{ value: `v${i}` }]));
  return log;
}

function savedEntries(dataDir: string): string[] {
  const entries = parseHighWatermarks(fs.readFileSync(path.join(dataDir, HIGH_WATERMARK_CHECKPOINT_FILE), 'utf8'));
  expect(entries, 'a well-formed checkpoint').to.not.equal(null);
  return entries!.map((e) => `${e.topic}-${e.partition}=${e.offset}`).sort();
}

/**
 * Replicated logs' high watermarks live in one file per data dir (Kafka's replication-offset-checkpoint), not in a
 * file per partition rewritten every few seconds: what a restart restores, when it is written and fsynced, and how
 * a data dir of the per-partition files moves over.
 */
describe('storage: the high watermark checkpoint', () => {
  const { manager, closed, newDir } = managedLogs();

  it('writes one file only when a high watermark moved, without fsync, and fsyncs it at shutdown', async () => {
    const dir = newDir();
    const sfs = fsyncCounting();
    const m = await manager(dir, { fs: sfs });
    const a = await replicated(m, 'h', 0, 3);
    const b = await replicated(m, 'h', 1, 3);
    await m.create('plain', 0);
    a.setHighWatermark(2);
    b.setHighWatermark(1);
    const fsyncs = sfs.fsyncs;
    expect(await m.checkpointHighWatermarks()).to.equal(true);
    expect(sfs.fsyncs).to.equal(fsyncs, 'the periodic save is not fsynced');
    expect(savedEntries(dir)).to.deep.equal(['h-0=2', 'h-1=1']);
    expect(fs.existsSync(path.join(a.dir, LEGACY_HIGH_WATERMARK_FILE))).to.equal(false);

    expect(await m.checkpointHighWatermarks()).to.equal(false, 'nothing moved: nothing written');
    expect(m.highWatermarkSaves).to.equal(1);
    b.setHighWatermark(3);
    expect(await m.checkpointHighWatermarks()).to.equal(true);
    expect(savedEntries(dir)).to.deep.equal(['h-0=2', 'h-1=3']);

    // nothing moved since, but the last save was not fsynced: shutdown makes it durable
    const before = sfs.fsyncs;
    await closed(m);
    expect(sfs.fsyncs).to.be.greaterThan(before);
    expect(savedEntries(dir)).to.deep.equal(['h-0=2', 'h-1=3']);
    // a periodic save that comes after the shutdown leaves the file as the shutdown wrote it
    expect(await m.checkpointHighWatermarks()).to.equal(false);
    expect(savedEntries(dir)).to.deep.equal(['h-0=2', 'h-1=3']);
  });

  it('a restart restores each saved value, and a log not opened in a run keeps its value through that run', async () => {
    const dir = newDir();
    const m = await manager(dir);
    (await replicated(m, 'r', 0, 4)).setHighWatermark(4);
    (await replicated(m, 'r', 1, 4)).setHighWatermark(2);
    await closed(m);

    // a run that opens only r-0 and moves its high watermark on
    const m2 = await manager(dir);
    const r0 = await m2.create('r', 0);
    expect(r0.checkpointedHighWatermark).to.equal(4);
    r0.highWatermarkFollowsLog = false;
    await r0.append(buildBatch([{ value: 'more' }]));
    r0.setHighWatermark(5);
    expect(await m2.checkpointHighWatermarks()).to.equal(true);
    expect(savedEntries(dir)).to.deep.equal(['r-0=5', 'r-1=2']);
    await closed(m2);

    const m3 = await manager(dir);
    expect((await m3.create('r', 0)).checkpointedHighWatermark).to.equal(5);
    expect((await m3.create('r', 1)).checkpointedHighWatermark).to.equal(2);
  });

  it('the periodic save survives kill -9 (no clean shutdown)', async () => {
    const dir = newDir();
    const m = await manager(dir);
    (await replicated(m, 'k', 0, 3)).setHighWatermark(3);
    await m.checkpointHighWatermarks();
    // what kill -9 leaves: the files as other processes see them, no clean-shutdown marker
    const copy = newDir('brook-hw-crash-');
    fs.cpSync(dir, copy, { recursive: true });
    const crashed = await manager(copy);
    await crashed.recovered();
    const log = await crashed.create('k', 0);
    expect(log.logEndOffset).to.equal(3);
    expect(log.checkpointedHighWatermark).to.equal(3);
  });

  it('a deleted partition’s value does not reach a new log of the same name', async () => {
    const dir = newDir();
    const m = await manager(dir);
    (await replicated(m, 'd', 0, 3)).setHighWatermark(3);
    await closed(m);
    const m2 = await manager(dir);
    expect(await m2.deletePartition('d', 0)).to.equal(true);
    const again = await m2.create('d', 0);
    expect(again.checkpointedHighWatermark).to.equal(null);
    expect(again.logEndOffset).to.equal(0);
  });

  it('a deleted partition leaves the file at the next save even when no high watermark moved', async () => {
    const dir = newDir();
    const m = await manager(dir);
    (await replicated(m, 'gone', 0, 2)).setHighWatermark(2);
    (await replicated(m, 'kept', 0, 2)).setHighWatermark(1);
    await closed(m);
    const m2 = await manager(dir);
    expect(await m2.deletePartition('gone', 0)).to.equal(true);
    await closed(m2);
    expect(savedEntries(dir)).to.deep.equal(['kept-0=1']);
  });

  it('reads the per-partition file of an older data dir and removes it once the checkpoint holds the value', async () => {
    const dir = newDir();
    const m = await manager(dir);
    const log = await replicated(m, 'old', 0, 5);
    await closed(m);
    // as an older version left it: a `high-watermark` file in the partition directory, no shared checkpoint
    fs.rmSync(path.join(dir, HIGH_WATERMARK_CHECKPOINT_FILE), { force: true });
    const legacy = path.join(log.dir, LEGACY_HIGH_WATERMARK_FILE);
    fs.writeFileSync(legacy, '4');

    const m2 = await manager(dir);
    const again = await m2.create('old', 0);
    expect(again.checkpointedHighWatermark).to.equal(4);
    again.highWatermarkFollowsLog = false;
    again.setHighWatermark(4);
    await closed(m2);
    expect(savedEntries(dir)).to.deep.equal(['old-0=4']);
    expect(fs.existsSync(legacy)).to.equal(false);
  });

  it('a full disk fails the save without leaving a temporary file, and the next save writes', async () => {
    const dir = newDir();
    let full = false;
    const sfs: StorageFs = { ...nodeFs };
    sfs.writev = async (fd, buffers, position) => {
      if (full) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      return nodeFs.writev(fd, buffers, position);
    };
    const m = await manager(dir, { fs: sfs });
    const log = await replicated(m, 'full', 0, 3);
    log.setHighWatermark(3);
    full = true;
    let failure: unknown = null;
    await m.checkpointHighWatermarks().catch((err: unknown) => (failure = err));
    expect(String(failure)).to.include('ENOSPC');
    expect(fs.readdirSync(dir).filter((n) => n.endsWith('.tmp'))).to.deep.equal([]);
    full = false;
    expect(await m.checkpointHighWatermarks()).to.equal(true);
    expect(savedEntries(dir)).to.deep.equal(['full-0=3']);
  });

  it('a malformed checkpoint is logged and ignored: logs open with no saved value', async () => {
    const dir = newDir();
    const m = await manager(dir);
    (await replicated(m, 'bad', 0, 2)).setHighWatermark(2);
    await closed(m);
    fs.writeFileSync(path.join(dir, HIGH_WATERMARK_CHECKPOINT_FILE), '0\n3\nbad 0 2\n');
    const warnings: string[] = [];
    const logger = { info: () => undefined, warn: (_o: object, msg?: string) => warnings.push(msg ?? ''), error: () => undefined };
    const m2 = await manager(dir, { logger });
    expect(warnings.some((w) => w.includes('high watermark checkpoint is malformed'))).to.equal(true);
    const log = await m2.create('bad', 0);
    expect(log.checkpointedHighWatermark).to.equal(null);
    expect(log.logEndOffset).to.equal(2);
  });

  it('looking over 2,500 replicated logs, none moved, lets a waiting callback run before it ends', async () => {
    const dir = newDir();
    const checkpoint = new HighWatermarkCheckpoint(nodeFs, dir, silentLogger);
    // nothing moved since the last save: no file is written, the scan is all the save does
    const logs = Array.from({ length: 2500 }, (_, p) => ({ topic: 'hw', partition: p, dir: path.join(dir, `hw-${p}`), highWatermark: p, highWatermarkFollowsLog: false, checkpointedHighWatermark: p }));
    let ended = false;
    let ranBeforeEnd = false;
    setImmediate(() => (ranBeforeEnd = !ended));
    expect(await checkpoint.save(logs, { durable: false })).to.equal(false);
    ended = true;
    expect(ranBeforeEnd).to.equal(true);
  });
});
