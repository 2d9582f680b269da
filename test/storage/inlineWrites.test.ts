import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { nodeFs, O_DSYNC, O_RDWR_CREATE } from '../../storage/fs';
import { LogManager } from '../../storage/logManager';
import { buildBatch, removeDir, sizedBatch, tempDir } from './helpers';

/**
 * Which writes bypass the libuv thread pool is observable: with every pool
 * thread parked in a blocking open() of a FIFO, only writes made inline from
 * the event loop can complete.
 */
describe('storage: nodeFs inline page-cache writes', () => {
  let dir: string;
  let fifo: string;
  let parked: Array<Promise<fs.promises.FileHandle>> = [];
  let releaseFd = -1;

  beforeEach(() => {
    dir = tempDir();
    fifo = path.join(dir, 'park');
    execFileSync('mkfifo', [fifo]);
  });

  afterEach(async () => {
    releasePool();
    for (const h of await Promise.all(parked)) await h.close();
    parked = [];
    if (releaseFd >= 0) fs.closeSync(releaseFd);
    releaseFd = -1;
    removeDir(dir);
  });

  /** Occupies every thread-pool thread with an open() that blocks until the FIFO gets a writer. */
  function parkPool(): void {
    const threads = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
    for (let i = 0; i < threads; i++) parked.push(fs.promises.open(fifo, 'r'));
  }

  function releasePool(): void {
    // O_RDWR on a FIFO never blocks on Linux and counts as a writer, which wakes the parked readers
    if (releaseFd < 0 && parked.length > 0) releaseFd = fs.openSync(fifo, fs.constants.O_RDWR);
  }

  function settledWithin<T>(p: Promise<T>, ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
    return Promise.race([p.then(() => true), late]).finally(() => clearTimeout(timer));
  }

  it('writes small buffers from the event loop while the thread pool is busy, and big or O_DSYNC ones through the pool', async () => {
    const plainFd = await nodeFs.open(path.join(dir, 'plain.log'), O_RDWR_CREATE);
    const dsyncFd = await nodeFs.open(path.join(dir, 'dsync.log'), O_RDWR_CREATE | O_DSYNC);
    const small = [Buffer.from('head-'), Buffer.alloc(1000, 0x61)];
    const big = Buffer.alloc(256 * 1024, 0x62);
    const dsyncSmall = Buffer.from('durable');
    parkPool();

    // fails (instead of hanging) if the small write waited for the pool
    expect(await settledWithin(nodeFs.writev(plainFd, small, 0), 5000)).to.equal(true);
    const bigWrite = nodeFs.writev(plainFd, [big], 1005);
    const dsyncWrite = nodeFs.writev(dsyncFd, [dsyncSmall], 0);
    // a later inline write completes; the pooled ones are still queued behind the parked threads
    expect(await settledWithin(nodeFs.writev(plainFd, [Buffer.from('tail')], 1005 + big.length), 5000)).to.equal(true);
    let bigDone = false;
    let dsyncDone = false;
    void bigWrite.then(() => (bigDone = true));
    void dsyncWrite.then(() => (dsyncDone = true));
    await new Promise((r) => setImmediate(r));
    expect(bigDone, 'a 256 KiB write should go through the pool').to.equal(false);
    expect(dsyncDone, 'an O_DSYNC write should go through the pool').to.equal(false);

    releasePool();
    expect(await bigWrite).to.equal(big.length);
    expect(await dsyncWrite).to.equal(dsyncSmall.length);
    await nodeFs.close(plainFd);
    await nodeFs.close(dsyncFd);

    const plain = fs.readFileSync(path.join(dir, 'plain.log'));
    expect(plain.length).to.equal(1005 + big.length + 4);
    expect(plain.subarray(0, 1005).equals(Buffer.concat(small))).to.equal(true);
    expect(plain.subarray(1005, 1005 + big.length).equals(big)).to.equal(true);
    expect(plain.subarray(1005 + big.length).toString()).to.equal('tail');
    expect(fs.readFileSync(path.join(dir, 'dsync.log')).toString()).to.equal('durable');
  });

  it('reads the bytes just appended at the tail from the event loop, and big reads through the pool', async () => {
    const manager = new LogManager({ dataDir: path.join(dir, 'logs'), schedulerIntervalMs: 0 });
    await manager.open();
    try {
      const log = await manager.create('tail', 0);
      await log.append(sizedBatch(200 * 1024), {});
      await log.append(buildBatch([{ value: 'just written' }]), {});
      parkPool();
      // a tail fetch of the last batch (a follower's or a caught-up consumer's) completes with the pool blocked
      const tail = log.read(1, 1 << 20);
      expect(await settledWithin(tail, 5000)).to.equal(true);
      expect((await tail).chunks[0]!.includes(Buffer.from('just written'))).to.equal(true);
      // the 200 KiB batch is too big to copy on the event loop: that read waits for a pool thread
      let bigDone = false;
      const big = log.read(0, 1 << 20, { maxOffset: 1 }).then((r) => {
        bigDone = true;
        return r;
      });
      await new Promise((r) => setImmediate(r));
      expect(bigDone, 'a 200 KiB read should go through the pool').to.equal(false);
      releasePool();
      expect((await big).bytes).to.be.greaterThan(200 * 1000);
    } finally {
      releasePool();
      await manager.close();
    }
  });

  it('a descriptor number reused after closing an O_DSYNC file writes inline again', async () => {
    const first = await nodeFs.open(path.join(dir, 'a.log'), O_RDWR_CREATE | O_DSYNC);
    await nodeFs.close(first);
    const reused = await nodeFs.open(path.join(dir, 'b.log'), O_RDWR_CREATE);
    expect(reused, 'the kernel hands out the lowest free descriptor').to.equal(first);
    parkPool();
    expect(await settledWithin(nodeFs.writev(reused, [Buffer.from('x')], 0), 5000)).to.equal(true);
    releasePool();
    await nodeFs.close(reused);
  });
});
