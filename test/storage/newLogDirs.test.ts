import { expect } from 'chai';
import * as path from 'node:path';
import { DirSyncs } from '../../storage/dirSyncs';
import { nodeFs, type StorageFs } from '../../storage/fs';
import { buildBatch } from './helpers';
import { managedLogs } from './managedLogs';

/** nodeFs recording each fsync and fdatasync with the path of the descriptor it was made on. */
function syncRecording(): StorageFs & { syncs: string[] } {
  const paths = new Map<number, string>();
  const rec = { ...nodeFs, syncs: [] as string[] };
  rec.open = async (p: string, flags: number) => {
    const fd = await nodeFs.open(p, flags);
    paths.set(fd, p);
    return fd;
  };
  rec.fsync = async (fd: number) => {
    rec.syncs.push(`fsync ${paths.get(fd)}`);
    return nodeFs.fsync(fd);
  };
  rec.fdatasync = async (fd: number) => {
    rec.syncs.push(`fdatasync ${paths.get(fd)}`);
    return nodeFs.fdatasync(fd);
  };
  return rec;
}

/**
 * A new log's directory entries (its directory in the data dir, its first segment in its directory) are made
 * durable before anything of the log is, as Kafka flushes a new log's parent directory on its first flush, and not
 * when the log is created: creating a 10,000-partition topic spent half its time in those two fsyncs per partition.
 */
describe('storage: directory fsyncs of a new log', () => {
  const { manager, newDir } = managedLogs();

  it('creating a log fsyncs no directory; its first flush fsyncs both before the segment, the next flush neither', async () => {
    const dataDir = newDir();
    const sfs = syncRecording();
    const m = await manager(dataDir, { fs: sfs });
    const log = await m.create('d', 0);
    expect(sfs.syncs).to.deep.equal([]);
    await log.append(buildBatch([{ value: 'a' }]));
    await log.flush();
    expect(sfs.syncs).to.deep.equal([`fsync ${dataDir}`, `fsync ${log.dir}`, `fdatasync ${path.join(log.dir, '00000000000000000000.log')}`]);
    sfs.syncs.length = 0;
    await log.append(buildBatch([{ value: 'b' }]));
    await log.flush();
    expect(sfs.syncs).to.deep.equal([`fdatasync ${path.join(log.dir, '00000000000000000000.log')}`]);
  });

  it('a log that fsyncs every append has its directories durable before its first append is acknowledged', async () => {
    const dataDir = newDir();
    const sfs = syncRecording();
    const m = await manager(dataDir, { fs: sfs });
    const log = await m.create('f', 0, { fsyncOnAppend: true });
    expect(sfs.syncs.slice(0, 2)).to.deep.equal([`fsync ${dataDir}`, `fsync ${log.dir}`]);
    const before = sfs.syncs.length;
    await log.append(buildBatch([{ value: 'a' }]));
    expect(sfs.syncs.slice(before).filter((s) => s.startsWith('fsync '))).to.deep.equal([]);
  });

  it('a checkpoint or a close makes a new, never-written log’s directories durable', async () => {
    const dataDir = newDir();
    const sfs = syncRecording();
    const m = await manager(dataDir, { fs: sfs });
    const a = await m.create('c', 0);
    await m.checkpoint();
    expect(sfs.syncs.filter((s) => s.startsWith('fsync ') && !s.includes('log-'))).to.include.members([`fsync ${dataDir}`, `fsync ${a.dir}`]);
    sfs.syncs.length = 0;
    const b = await m.create('c', 1);
    await b.close();
    expect(sfs.syncs).to.include.members([`fsync ${dataDir}`, `fsync ${b.dir}`]);
  });

  it('new logs share the data dir’s fsync: a checkpoint saving 50 new logs fsyncs it once for them', async () => {
    const dataDir = newDir();
    const sfs = syncRecording();
    const m = await manager(dataDir, { fs: sfs });
    const logs = [];
    for (let p = 0; p < 50; p++) {
      const log = await m.create('many', p);
      await log.append(buildBatch([{ value: `v${p}` }]));
      logs.push(log);
    }
    await m.checkpoint();
    // one for the new logs' entries, one for the new log-summary's; each new log fsynced it before
    expect(sfs.syncs.filter((s) => s === `fsync ${dataDir}`)).to.have.length.at.most(2);
    for (const log of logs) expect(sfs.syncs).to.include(`fsync ${log.dir}`);
  });

  it('saving a new log’s empty indexes removes no file (there is none to remove)', async () => {
    const unlinks: string[] = [];
    const sfs: StorageFs = { ...nodeFs, unlink: async (p: string) => (unlinks.push(p), nodeFs.unlink(p)) };
    const m = await manager(newDir(), { fs: sfs });
    for (let p = 0; p < 5; p++) await (await m.create('empty-idx', p)).append(buildBatch([{ value: `v${p}` }]));
    await m.checkpoint();
    expect(unlinks.filter((p) => p.endsWith('.index') || p.endsWith('.timeindex'))).to.deep.equal([]);
  });
});

describe('storage: DirSyncs', () => {
  /** Descriptor-less fake whose fsyncs wait for release(); fsyncCalled() resolves once one is waiting. */
  function deferredFs(): StorageFs & { fsyncs: number; release(): void; fsyncCalled(): Promise<void> } {
    const waiting: Array<() => void> = [];
    let onCall: (() => void) | null = null;
    const f = {
      ...nodeFs,
      fsyncs: 0,
      open: async () => 7,
      close: async () => undefined,
      fsync: () => {
        f.fsyncs++;
        const p = new Promise<void>((resolve) => waiting.push(resolve));
        onCall?.();
        onCall = null;
        return p;
      },
      release: () => waiting.splice(0).forEach((r) => r()),
      fsyncCalled: () => new Promise<void>((resolve) => (waiting.length > 0 ? resolve() : (onCall = resolve))),
    };
    return f;
  }

  it('callers whose entries a sync in flight covers share it; an entry made after it began gets a sync of its own', async () => {
    const sfs = deferredFs();
    const syncs = new DirSyncs(sfs);
    const a = syncs.created('/d');
    const b = syncs.created('/d');
    const first = Promise.all([syncs.sync('/d', a), syncs.sync('/d', b)]);
    await sfs.fsyncCalled();
    expect(sfs.fsyncs).to.equal(1);
    const c = syncs.created('/d');
    let cDone = false;
    const third = syncs.sync('/d', c).then(() => (cDone = true));
    sfs.release();
    await first;
    expect(cDone, 'the first sync began before c was made').to.equal(false);
    await sfs.fsyncCalled();
    expect(sfs.fsyncs).to.equal(2);
    sfs.release();
    await third;
    await syncs.sync('/d', c);
    expect(sfs.fsyncs, 'nothing new: no third fsync').to.equal(2);
  });
});
