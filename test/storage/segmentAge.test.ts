/**
 * How old a segment is, for segment.ms and for retention of data without timestamps. Found by a tester: segment.ms
 * counted from when the broker *loaded* the active segment, so every restart reset it, and a low-traffic topic whose
 * broker restarts more often than segment.ms never rolled (and retention never deleted anything). Kafka counts from
 * the active segment's first batch timestamp to the incoming batch's, falling back to creation time without one.
 */
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LogManager } from '../../storage/logManager';
import type { LogConfig } from '../../storage/config';
import { buildBatch, removeDir, tempDir } from './helpers';

const HOUR = 3_600_000;

describe('storage: segment age survives restarts', () => {
  let dir: string;
  let manager: LogManager;

  async function open(defaults: Partial<LogConfig>): Promise<LogManager> {
    manager = new LogManager({ dataDir: dir, schedulerIntervalMs: 0, defaults });
    await manager.open();
    return manager;
  }

  beforeEach(() => {
    dir = tempDir('brook-segage-');
  });
  afterEach(async () => {
    await manager.close();
    removeDir(dir);
  });

  it('segment.ms counts from the first batch timestamp, so a restart does not restart the clock', async () => {
    const defaults = { segmentMs: 15_000 };
    const written = Date.now() - 18_000;
    let log = await (await open(defaults)).create('segms', 0);
    await log.append(buildBatch([{ value: 'm1', timestamp: written }]), { now: written });
    await manager.close();

    // restarted moments ago; 18 s after m1 (segment.ms is 15 s) the next record starts a new segment
    log = (await open(defaults)).get('segms', 0)!;
    const now = Date.now();
    await log.append(buildBatch([{ value: 'm2', timestamp: now }]), { now });
    expect(log.segmentBaseOffsets()).to.deep.equal([0, 1]);
    // a record 10 s after m2 stays in m2's segment
    await log.append(buildBatch([{ value: 'm3', timestamp: now + 10_000 }]), { now: now + 10_000 });
    expect(log.segmentCount).to.equal(2);
  });

  it('a segment without timestamps found on disk is as old as its file (segment.ms and retention.ms)', async () => {
    const defaults = { segmentBytes: 300, segmentMs: HOUR, retentionMs: HOUR };
    let log = await (await open(defaults)).create('nots', 0);
    // no timestamps (-1): a format-v0 producer's records
    for (let i = 0; i < 4; i++) await log.append(buildBatch([{ value: 'x'.repeat(150), timestamp: -1 }]));
    expect(log.segmentCount).to.be.greaterThan(2);
    await manager.close();
    const twoHoursAgo = new Date(Date.now() - 2 * HOUR);
    for (const f of fs.readdirSync(path.join(dir, 'nots-0'))) if (f.endsWith('.log')) fs.utimesSync(path.join(dir, 'nots-0', f), twoHoursAgo, twoHoursAgo);

    log = (await open(defaults)).get('nots', 0)!;
    await log.open();
    const segments = log.segmentCount;
    // the active segment was last written two hours ago: the next append rolls
    await log.append(buildBatch([{ value: 'y', timestamp: -1 }]));
    expect(log.segmentCount).to.equal(segments + 1);
    // and retention deletes every closed segment, all older than retention.ms
    expect(await log.runRetention()).to.equal(segments);
    expect(log.segmentCount).to.equal(1);
  });
});
