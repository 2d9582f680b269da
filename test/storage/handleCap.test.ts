import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LogManager } from '../../storage/logManager';
import { buildBatch, readAll, removeDir, tempDir } from './helpers';

/** Descriptors this process has open (Linux). */
function openFds(): number {
  return fs.readdirSync('/proc/self/fd').length;
}

const PARTITIONS = 100;
const CAP = 16;

describe('storage: open segment descriptors are capped across partitions', function () {
  this.timeout(120_000);
  let dir: string;
  let manager: LogManager | null;

  beforeEach(() => {
    dir = tempDir('brook-handles-');
    manager = null;
  });
  afterEach(async () => {
    await manager?.close();
    removeDir(dir);
  });

  async function open(): Promise<LogManager> {
    manager = new LogManager({ dataDir: dir, schedulerIntervalMs: 0, maxOpenSegmentHandles: CAP });
    await manager.open();
    return manager;
  }

  /** Each partition's values, as read back. */
  async function valuesOf(m: LogManager, p: number): Promise<number> {
    return (await readAll(m.get('many', p)!)).length;
  }

  it(`${PARTITIONS} partitions written, rolled and read hold at most ${CAP} segment descriptors, also after a clean restart and after a crash`, async () => {
    const before = openFds();
    let m = await open();
    for (let p = 0; p < PARTITIONS; p++) {
      const log = await m.create('many', p, { segmentBytes: 400 });
      for (let i = 0; i < 2; i++) await log.append(buildBatch([{ value: `p${p}-v${i}-${'x'.repeat(150)}` }]));
      expect(m.openSegmentHandles).to.be.at.most(CAP);
    }
    // every partition rolled at least once, so there are more segments than partitions
    expect(m.get('many', 0)!.segmentCount).to.be.greaterThan(1);
    for (let p = 0; p < PARTITIONS; p++) expect(await valuesOf(m, p)).to.equal(2);
    expect(m.openSegmentHandles).to.be.at.most(CAP);
    // descriptors of the whole process: the cap plus a few the process opened meanwhile (not one per partition)
    expect(openFds() - before).to.be.at.most(CAP + 8);
    // appends after eviction reopen the active segment and keep offsets going
    expect((await m.get('many', 0)!.append(buildBatch([{ value: 'again' }]))).baseOffset).to.equal(2);
    await m.close();
    manager = null;

    m = await open();
    expect(m.openSegmentHandles, 'opened after a clean shutdown').to.be.at.most(CAP);
    expect(openFds() - before).to.be.at.most(CAP + 8);
    for (let p = 1; p < PARTITIONS; p++) expect(await valuesOf(m, p)).to.equal(2);
    expect(await valuesOf(m, 0)).to.equal(3);

    // a crash: the next manager opens the same directory without the clean-shutdown marker
    const crashedDir = `${dir}-copy`;
    fs.cpSync(dir, crashedDir, { recursive: true });
    fs.rmSync(path.join(crashedDir, '.clean-shutdown'), { force: true });
    const crashed = new LogManager({ dataDir: crashedDir, schedulerIntervalMs: 0, maxOpenSegmentHandles: CAP });
    await crashed.open();
    await crashed.recovered();
    try {
      expect(crashed.openSegmentHandles, 'opened after a crash').to.be.at.most(CAP);
      for (let p = 1; p < PARTITIONS; p++) expect((await readAll(crashed.get('many', p)!)).length).to.equal(2);
    } finally {
      await crashed.close();
      removeDir(crashedDir);
    }
  });

  it('fsync-mode appends keep working when the active segments are closed between appends', async () => {
    const m = await open();
    const logs = [];
    for (let p = 0; p < 40; p++) logs.push(await m.create('sync', p, { fsyncOnAppend: true }));
    for (let round = 0; round < 3; round++) {
      const results = await Promise.all(logs.map((log, p) => log.append(buildBatch([{ value: `p${p}-r${round}` }]))));
      expect(results.map((r) => r.baseOffset)).to.deep.equal(logs.map(() => round));
      expect(m.openSegmentHandles).to.be.at.most(CAP);
    }
    for (const log of logs) expect(log.highWatermark).to.equal(3);
  });
});
