import { expect } from 'chai';
import * as fs from 'node:fs';
import { ErrorCode } from '../../protocol/errors';
import { LogManager } from '../../storage/logManager';
import { nodeFs, type StorageFs } from '../../storage/fs';
import { StorageError } from '../../storage/errors';
import { buildBatch, readAll, removeDir, tempDir } from './helpers';

/** nodeFs with switchable faults per path fragment, and call counters. */
class FaultyFs implements StorageFs {
  readonly paths = new Map<number, string>();
  failWrites: { match: string; code: string; partial: boolean } | null = null;
  failFsync: string | null = null;
  fdatasyncCalls = 0;
  writevCalls = 0;
  readonly openFlags = new Map<string, number>();

  private errno(code: string): NodeJS.ErrnoException {
    const e = new Error(`${code}: injected`) as NodeJS.ErrnoException;
    e.code = code;
    return e;
  }

  async open(path: string, flags: number): Promise<number> {
    const fd = await nodeFs.open(path, flags);
    this.paths.set(fd, path);
    this.openFlags.set(path, flags);
    return fd;
  }
  close(fd: number) {
    this.paths.delete(fd);
    return nodeFs.close(fd);
  }
  read(fd: number, buf: Buffer, offset: number, length: number, position: number) {
    return nodeFs.read(fd, buf, offset, length, position);
  }
  async writev(fd: number, bufs: Buffer[], position: number): Promise<number> {
    this.writevCalls++;
    const f = this.failWrites;
    if (f && (this.paths.get(fd) ?? '').includes(f.match)) {
      // a disk that fills mid-write leaves part of the data behind
      if (f.partial) {
        const first = bufs[0]!;
        await nodeFs.writev(fd, [first.subarray(0, Math.max(1, first.length >> 1))], position);
      }
      throw this.errno(f.code);
    }
    return nodeFs.writev(fd, bufs, position);
  }
  /** The event-loop write path (storage takes it for small appends) fails the same way. */
  writevNow(fd: number, bufs: Buffer[], position: number): number | null {
    this.writevCalls++;
    const f = this.failWrites;
    if (f && (this.paths.get(fd) ?? '').includes(f.match)) {
      if (f.partial) {
        const first = bufs[0]!;
        nodeFs.writevNow!(fd, [first.subarray(0, Math.max(1, first.length >> 1))], position);
      }
      throw this.errno(f.code);
    }
    return nodeFs.writevNow!(fd, bufs, position);
  }
  async fdatasync(fd: number) {
    this.fdatasyncCalls++;
    if (this.failFsync && (this.paths.get(fd) ?? '').includes(this.failFsync)) throw this.errno('EIO');
    return nodeFs.fdatasync(fd);
  }
  fsync(fd: number) {
    return nodeFs.fsync(fd);
  }
  ftruncate(fd: number, length: number) {
    return nodeFs.ftruncate(fd, length);
  }
  setMtime(p: string, ms: number) {
    return nodeFs.setMtime(p, ms);
  }
  fstat(fd: number) {
    return nodeFs.fstat(fd);
  }
  readFile(path: string) {
    return nodeFs.readFile(path);
  }
  writeFile(path: string, data: Buffer) {
    return nodeFs.writeFile(path, data);
  }
  rename(from: string, to: string) {
    return nodeFs.rename(from, to);
  }
  unlink(path: string) {
    return nodeFs.unlink(path);
  }
  mkdir(path: string) {
    return nodeFs.mkdir(path);
  }
  readdir(path: string) {
    return nodeFs.readdir(path);
  }
  rmrf(path: string) {
    return nodeFs.rmrf(path);
  }
  isDirectory(path: string) {
    return nodeFs.isDirectory(path);
  }
  listDirectories(path: string) {
    return nodeFs.listDirectories(path);
  }
  syncFileSystem(path: string) {
    return nodeFs.syncFileSystem(path);
  }
}

describe('storage: disk errors, flush policy and group commit', () => {
  let dir: string;
  let faulty: FaultyFs;
  let manager: LogManager;

  beforeEach(async () => {
    dir = tempDir();
    faulty = new FaultyFs();
    manager = new LogManager({ dataDir: dir, fs: faulty, schedulerIntervalMs: 0 });
    await manager.open();
  });

  afterEach(async () => {
    await manager.close();
    removeDir(dir);
  });

  it('ENOSPC fails only the affected partition with KAFKA_STORAGE_ERROR, leaves no partial bytes, and recovers when space returns', async () => {
    const sick = await manager.create('sick', 0);
    const healthy = await manager.create('healthy', 0);
    await sick.append(buildBatch([{ value: 'before' }]));
    const sizeBefore = sick.sizeInBytes();
    faulty.failWrites = { match: 'sick-0', code: 'ENOSPC', partial: true };
    const failures = await Promise.allSettled([1, 2, 3].map((i) => sick.append(buildBatch([{ value: `lost-${i}` }]))));
    for (const f of failures) {
      expect(f.status).to.equal('rejected');
      const err = (f as PromiseRejectedResult).reason as StorageError;
      expect(err).to.be.instanceOf(StorageError);
      expect(err.code).to.equal(ErrorCode.KAFKA_STORAGE_ERROR);
      expect(err.message).to.contain('ENOSPC');
    }
    // the other partition keeps working meanwhile
    expect((await healthy.append(buildBatch([{ value: 'fine' }]))).baseOffset).to.equal(0);
    expect(sick.logEndOffset).to.equal(1);
    expect(sick.sizeInBytes()).to.equal(sizeBefore);
    expect(fs.statSync(`${sick.dir}/00000000000000000000.log`).size).to.equal(sizeBefore);
    faulty.failWrites = null;
    const after = await sick.append(buildBatch([{ value: 'after' }]));
    expect(after.baseOffset).to.equal(1);
    const got = await readAll(sick);
    expect(got.map((b) => b.baseOffset)).to.deep.equal([0, 1]);
  });

  it('EIO on write is reported the same way', async () => {
    const log = await manager.create('eio', 0);
    faulty.failWrites = { match: 'eio-0', code: 'EIO', partial: false };
    try {
      await log.append(buildBatch([{ value: 'x' }]));
      expect.fail('must fail');
    } catch (err) {
      expect((err as StorageError).code).to.equal(ErrorCode.KAFKA_STORAGE_ERROR);
    }
  });

  it('a failed fsync takes the partition offline (appends fail) without affecting others', async () => {
    // fsync mode switched on at runtime keeps the plain descriptor and acknowledges through fdatasync
    const log = await manager.create('fs', 0);
    log.updateConfig({ fsyncOnAppend: true });
    const other = await manager.create('ok', 0, { fsyncOnAppend: true });
    faulty.failFsync = 'fs-0';
    const r = await Promise.allSettled([log.append(buildBatch([{ value: 'x' }]))]);
    expect(r[0]!.status).to.equal('rejected');
    faulty.failFsync = null;
    const again = await Promise.allSettled([log.append(buildBatch([{ value: 'y' }]))]);
    expect(again[0]!.status).to.equal('rejected');
    expect(((again[0] as PromiseRejectedResult).reason as StorageError).code).to.equal(ErrorCode.KAFKA_STORAGE_ERROR);
    expect((await other.append(buildBatch([{ value: 'z' }]))).baseOffset).to.equal(0);
  });

  it('fsync mode writes the active segment through O_DSYNC and shares each durable write among concurrent appends', async () => {
    const log = await manager.create('durable', 0, { fsyncOnAppend: true, segmentBytes: 4096 });
    const activePath = () => `${log.dir}/${String(log.segmentBaseOffsets().at(-1)).padStart(20, '0')}.log`;
    expect((faulty.openFlags.get(activePath())! & fs.constants.O_DSYNC) !== 0).to.equal(true);
    const writesBefore = faulty.writevCalls;
    const results = await Promise.all(Array.from({ length: 64 }, (_, i) => log.append(buildBatch([{ value: `v${i}` }]))));
    const writes = faulty.writevCalls - writesBefore;
    expect(writes).to.be.at.least(1);
    expect(writes).to.be.at.most(8, 'group commit: 64 concurrent appends share a few durable writes');
    expect(results.map((r) => r.baseOffset).sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 64 }, (_, i) => i));
    expect(log.highWatermark).to.equal(64);
    // rolled segments keep the mode
    for (let i = 0; i < 40; i++) await log.append(buildBatch([{ value: 'x'.repeat(200) }]));
    expect(log.segmentCount).to.be.greaterThan(1);
    expect((faulty.openFlags.get(activePath())! & fs.constants.O_DSYNC) !== 0).to.equal(true);
  });

  it('fdatasync group commit: acknowledges only after the shared fsync', async () => {
    const log = await manager.create('durable2', 0);
    log.updateConfig({ fsyncOnAppend: true });
    let acked = 0;
    const appends = Array.from({ length: 64 }, (_, i) =>
      log.append(buildBatch([{ value: `v${i}` }])).then((r) => {
        acked++;
        return r;
      }),
    );
    const syncsAtStart = faulty.fdatasyncCalls;
    const results = await Promise.all(appends);
    expect(acked).to.equal(64);
    const syncs = faulty.fdatasyncCalls - syncsAtStart;
    expect(syncs).to.be.at.least(1);
    expect(syncs).to.be.at.most(4, 'group commit: 64 concurrent appends share a few fsyncs');
    expect(results.map((r) => r.baseOffset).sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 64 }, (_, i) => i));
    expect(log.highWatermark).to.equal(64);
  });

  it('with fdatasync group commit the high watermark only covers durable data', async () => {
    const log = await manager.create('hw', 0);
    log.updateConfig({ fsyncOnAppend: true });
    let syncStarted!: () => void;
    const started = new Promise<void>((r) => (syncStarted = r));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const orig = faulty.fdatasync.bind(faulty);
    faulty.fdatasync = async (fd: number) => {
      syncStarted();
      await gate;
      return orig(fd);
    };
    let acked = false;
    const pending = log.append(buildBatch([{ value: 'x' }])).then(() => (acked = true));
    await started;
    expect(log.logEndOffset).to.equal(1);
    expect(log.highWatermark).to.equal(0);
    expect(acked).to.equal(false);
    release();
    await pending;
    expect(log.highWatermark).to.equal(1);
  });

  it('flush.messages triggers an fdatasync once enough messages are unflushed', async () => {
    const log = await manager.create('fm', 0, { flushMessages: 10 });
    const before = faulty.fdatasyncCalls;
    for (let i = 0; i < 4; i++) await log.append(buildBatch([{ value: 'a' }, { value: 'b' }]));
    expect(faulty.fdatasyncCalls).to.equal(before);
    await log.append(buildBatch([{ value: 'a' }, { value: 'b' }]));
    await log.flush(); // joins the flush the append started (or runs one more)
    expect(faulty.fdatasyncCalls).to.be.greaterThan(before);
  });

  it('flush.ms flushes from the scheduler pass', async () => {
    const log = await manager.create('fms', 0, { flushMs: 1000 });
    await log.append(buildBatch([{ value: 'a' }]));
    const before = faulty.fdatasyncCalls;
    await manager.runMaintenance(Date.now() - 10_000);
    expect(faulty.fdatasyncCalls).to.equal(before);
    await manager.runMaintenance(Date.now() + 2000);
    expect(faulty.fdatasyncCalls).to.equal(before + 1);
    await manager.runMaintenance(Date.now() + 4000);
    expect(faulty.fdatasyncCalls).to.equal(before + 1, 'nothing new to flush');
  });
});
