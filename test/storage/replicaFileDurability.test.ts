import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LEADER_EPOCH_FILE } from '../../storage/leaderEpochCache';
import type { PartitionLog } from '../../storage/partitionLog';
import { buildBatch } from './helpers';
import { fsyncCounting, managedLogs } from './managedLogs';

async function leaderWrites(log: PartitionLog, epoch: number, count: number): Promise<number> {
  const start = log.logEndOffset;
  log.leaderEpochForAppends = epoch;
  await log.epochs.assign(epoch, start);
  for (let i = 0; i < count; i++) await log.append(buildBatch([{ value: `e${epoch}-${i}` }]));
  return start;
}

// the high watermark's file: ./highWatermarkCheckpoint.test.ts
describe("storage: durability of a replica's leader-epoch file", () => {
  const { manager, closed, newDir } = managedLogs();

  /** What kill -9 leaves: the page cache as other processes see it, no clean-shutdown marker. */
  function crashCopy(from: string): string {
    const to = newDir('brook-epoch-crash-');
    fs.cpSync(from, to, { recursive: true });
    return to;
  }

  it('takes a new epoch without an fsync and makes it durable when the log is saved for a checkpoint', async () => {
    const dir = newDir();
    const sfs = fsyncCounting();
    const m = await manager(dir, { fs: sfs });
    const log = await m.create('e', 0);
    const before = sfs.fsyncs;
    await log.epochs.assign(4, 0);
    expect(sfs.fsyncs).to.equal(before, 'taking leadership costs no fsync');
    expect(fs.readFileSync(path.join(log.dir, LEADER_EPOCH_FILE), 'utf8')).to.equal('4 0\n');
    await log.saveForCheckpoint();
    expect(sfs.fsyncs).to.be.greaterThan(before, 'the checkpoint fsyncs the epoch file');
    const afterSave = sfs.fsyncs;
    await log.saveForCheckpoint();
    expect(sfs.fsyncs).to.equal(afterSave, 'nothing new: no second fsync');
  });

  it('fsyncs each new epoch at once on a log that fsyncs every append', async () => {
    const dir = newDir();
    const sfs = fsyncCounting();
    const m = await manager(dir, { fs: sfs });
    const log = await m.create('e', 0, { fsyncOnAppend: true });
    const before = sfs.fsyncs;
    await log.epochs.assign(2, 0);
    expect(sfs.fsyncs).to.be.greaterThan(before);
    // switched on at runtime (an AlterConfigs of flush.messages=1): from then on too
    const other = await m.create('e', 1);
    other.updateConfig({ fsyncOnAppend: true });
    const beforeOther = sfs.fsyncs;
    await other.epochs.assign(2, 0);
    expect(sfs.fsyncs).to.be.greaterThan(beforeOther);
  });

  it('keeps the last of concurrent changes in the file', async () => {
    const dir = newDir();
    const m = await manager(dir);
    const log = await m.create('e', 0);
    // each later epoch starting at the same offset replaces the one before
    await Promise.all([log.epochs.assign(1, 0), log.epochs.sync(), log.epochs.assign(2, 0), log.epochs.assign(3, 0)]);
    expect(fs.readFileSync(path.join(log.dir, LEADER_EPOCH_FILE), 'utf8')).to.equal('3 0\n');
    await Promise.all([log.epochs.truncateFromEnd(0), log.epochs.assign(5, 0), log.epochs.sync()]);
    expect(fs.readFileSync(path.join(log.dir, LEADER_EPOCH_FILE), 'utf8')).to.equal('5 0\n');
  });

  it('after a crash, re-adds the epochs of the batches recovery reads when the file lost them', async () => {
    const dir = newDir();
    const m = await manager(dir);
    const log = await m.create('e', 0, { segmentBytes: 600 });
    await leaderWrites(log, 3, 6);
    const start7 = await leaderWrites(log, 7, 6);
    expect(log.segmentCount).to.be.greaterThan(1);
    const want = [
      { epoch: 3, startOffset: 0 },
      { epoch: 7, startOffset: start7 },
    ];
    expect(log.epochs.all()).to.deep.equal(want);

    // a power loss took the file's last change (or all of it) with data still in the log
    const copy = crashCopy(dir);
    const file = path.join(copy, path.basename(log.dir), LEADER_EPOCH_FILE);
    fs.writeFileSync(file, '3 0\n');
    const crashed = await manager(copy);
    await crashed.recovered();
    const again = crashed.get('e', 0)!;
    await again.open();
    expect(again.epochs.all()).to.deep.equal(want);
    expect(fs.readFileSync(file, 'utf8')).to.equal(`3 0\n7 ${start7}\n`);

    const copy2 = crashCopy(dir);
    fs.unlinkSync(path.join(copy2, path.basename(log.dir), LEADER_EPOCH_FILE));
    const crashed2 = await manager(copy2);
    await crashed2.recovered();
    const again2 = crashed2.get('e', 0)!;
    await again2.open();
    expect(again2.epochs.all()).to.deep.equal(want);
  });

  it('after a crash, drops epochs that start past the recovered log end', async () => {
    const dir = newDir();
    const m = await manager(dir);
    const log = await m.create('e', 0);
    await leaderWrites(log, 2, 4);
    // leadership taken at the end, then the written batches were torn off: the file names an epoch with no data
    await log.epochs.assign(9, 100);
    const copy = crashCopy(dir);
    const crashed = await manager(copy);
    await crashed.recovered();
    const again = crashed.get('e', 0)!;
    await again.open();
    expect(again.logEndOffset).to.equal(4);
    expect(again.epochs.all()).to.deep.equal([{ epoch: 2, startOffset: 0 }]);
  });

  it('a clean reopen trusts the file and rewrites nothing', async () => {
    const dir = newDir();
    const m = await manager(dir);
    const log = await m.create('e', 0);
    await leaderWrites(log, 2, 3);
    await closed(m);
    const file = path.join(log.dir, LEADER_EPOCH_FILE);
    const mtime = fs.statSync(file).mtimeMs;
    const m2 = await manager(dir);
    const again = m2.get('e', 0)!;
    await again.open();
    expect(again.epochs.all()).to.deep.equal([{ epoch: 2, startOffset: 0 }]);
    expect(fs.statSync(file).mtimeMs).to.equal(mtime);
  });
});
