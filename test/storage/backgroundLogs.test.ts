import { expect } from 'chai';
import type { LogManager } from '../../storage/logManager';
import { PartitionLog } from '../../storage/partitionLog';
import { buildBatch, sizedBatch } from './helpers';
import { fsyncCounting, managedLogs } from './managedLogs';
import { nodeFs } from '../../storage/fs';
import { unloadIdleLogs } from '../../storage/logCheckpoint';
import { silentLogger } from '../../storage/logger';

/** Counts reads of PartitionLog#hasBackgroundWork: how many logs a maintenance pass looked at. */
function countingBackgroundChecks(): { count: number; restore(): void } {
  const desc = Object.getOwnPropertyDescriptor(PartitionLog.prototype, 'hasBackgroundWork')!;
  const counter = {
    count: 0,
    restore: () => Object.defineProperty(PartitionLog.prototype, 'hasBackgroundWork', desc),
  };
  Object.defineProperty(PartitionLog.prototype, 'hasBackgroundWork', {
    configurable: true,
    get(this: PartitionLog) {
      counter.count++;
      return desc.get!.call(this);
    },
  });
  return counter;
}

/** How many logs two maintenance passes looked at. */
async function checksOverTwoPasses(m: LogManager): Promise<number> {
  const checks = countingBackgroundChecks();
  try {
    await m.runMaintenance();
    await m.runMaintenance();
  } finally {
    checks.restore();
  }
  return checks.count;
}

describe('storage: the maintenance pass visits only logs with background work', () => {
  const logs = managedLogs();

  it('a pass does not look at open logs of one segment and no flush.ms', async () => {
    const m = await logs.manager(logs.newDir());
    for (let p = 0; p < 50; p++) {
      const log = await m.create('one-segment', p);
      await log.append(buildBatch([{ value: `v${p}` }]));
    }
    // the pass used to read it for every open log, every second
    expect(await checksOverTwoPasses(m)).to.equal(0);
  });

  it('a log that rolled a segment gets retention from the pass, and leaves the pass once one segment is left', async () => {
    const m = await logs.manager(logs.newDir());
    const log = await m.create('rolled', 0, { segmentBytes: 2500, retentionMs: -1, retentionBytes: 1 });
    for (let i = 0; i < 10; i++) await log.append(sizedBatch(1000));
    expect(log.segmentCount).to.be.greaterThan(3);
    await m.runMaintenance();
    expect(log.segmentCount).to.equal(1);
    expect(log.logStartOffset).to.equal(log.segmentBaseOffsets()[0]);
    expect(await checksOverTwoPasses(m)).to.equal(1, 'looked at once more, then dropped');
  });

  it('a log given flush.ms after it opened is flushed by the pass', async () => {
    const counting = { ...fsyncCounting(), fdatasyncs: 0 };
    counting.fdatasync = async (fd: number) => {
      counting.fdatasyncs++;
      return nodeFs.fdatasync(fd);
    };
    const m = await logs.manager(logs.newDir(), { fs: counting });
    const log = await m.create('later-flush', 0);
    await log.append(buildBatch([{ value: 'a' }]));
    await m.runMaintenance(Date.now() + 60_000);
    const before = counting.fdatasyncs;
    log.updateConfig({ flushMs: 1000 });
    await m.runMaintenance(Date.now() + 60_000);
    expect(counting.fdatasyncs).to.equal(before + 1);
  });

  it('a log opened with several segments is visited without a roll in this run', async () => {
    const dir = logs.newDir();
    const first = await logs.manager(dir);
    const log = await first.create('reopened', 0, { segmentBytes: 2500, retentionMs: -1 });
    for (let i = 0; i < 10; i++) await log.append(sizedBatch(1000));
    const segments = log.segmentCount;
    expect(segments).to.be.greaterThan(3);
    await logs.closed(first);
    const second = await logs.manager(dir, { topicConfig: () => ({ segmentBytes: 2500, retentionMs: -1, retentionBytes: 1 }) });
    const again = second.get('reopened', 0)!;
    await again.open();
    expect(again.segmentCount).to.equal(segments);
    await second.runMaintenance();
    expect(again.segmentCount).to.equal(1);
  });
});

describe('storage: passes over every open log give the event loop turns', () => {
  it('unloadIdleLogs over 2,500 busy logs lets a waiting callback run before it ends', async () => {
    const now = Date.now();
    const busy = Array.from({ length: 2500 }, () => ({ isClosed: false, lastUsedAt: now }) as unknown as PartitionLog);
    let ranBeforeEnd = false;
    let ended = false;
    setImmediate(() => (ranBeforeEnd = !ended));
    const unloaded = await unloadIdleLogs(new Set(busy), now, 60_000, silentLogger);
    ended = true;
    expect(unloaded).to.equal(0);
    expect(ranBeforeEnd).to.equal(true, 'the pass held the event loop from start to end');
  });
});
