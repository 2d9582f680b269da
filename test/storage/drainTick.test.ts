import { expect } from 'chai';
import { queueDrain, type TickDrained } from '../../storage/drainTick';
import { LogManager } from '../../storage/logManager';
import type { PartitionLog } from '../../storage';
import { buildBatch, readAll, removeDir, tempDir } from './helpers';

/** A pipeline stand-in that records when it was drained; `onDrain` runs inside its drain. */
function pipeline(name: string, drained: string[], onDrain: () => void = () => undefined): TickDrained {
  return {
    drainQueued() {
      drained.push(name);
      onDrain();
    },
  };
}

describe('storage: appends queued in one tick are drained by one shared microtask', () => {
  it('drains every pipeline queued in the tick once, in the order queued, after the code that queued them', async () => {
    const drained: string[] = [];
    const ticks = new Set<Promise<void>>();
    for (const name of ['a', 'b', 'c']) ticks.add(queueDrain(pipeline(name, drained)));
    expect(drained).to.deep.equal([]);
    expect(ticks.size).to.equal(1);
    await [...ticks][0];
    expect(drained).to.deep.equal(['a', 'b', 'c']);
  });

  it('leaves a pipeline queued while the tick drains to the next tick', async () => {
    const drained: string[] = [];
    let again: Promise<void> | null = null;
    const first = queueDrain(pipeline('a', drained, () => (again = queueDrain(pipeline('a-again', drained)))));
    queueDrain(pipeline('b', drained));
    await first;
    // queued during a's drain, yet drained after b: by the next tick's microtask, not the running one
    expect(again).to.not.equal(null);
    expect(again).to.not.equal(first);
    await again;
    expect(drained).to.deep.equal(['a', 'b', 'a-again']);
  });

  it('drains the other pipelines when one throws, and reports the throw as an unhandled rejection', async () => {
    const drained: string[] = [];
    const mochaHandlers = process.listeners('unhandledRejection');
    process.removeAllListeners('unhandledRejection');
    const reported = new Promise<unknown>((resolve) => process.once('unhandledRejection', resolve));
    try {
      queueDrain(pipeline('a', drained));
      queueDrain(pipeline('bug', drained, () => { throw new Error('a bug in a drain'); }));
      await queueDrain(pipeline('c', drained));
      expect(drained).to.deep.equal(['a', 'bug', 'c']);
      expect(((await reported) as Error).message).to.equal('a bug in a drain');
    } finally {
      process.removeAllListeners('unhandledRejection');
      for (const h of mochaHandlers) process.on('unhandledRejection', h);
    }
  });

  describe('with partition logs', () => {
    let dir: string;
    let manager: LogManager;
    let logs: PartitionLog[];

    beforeEach(async () => {
      dir = tempDir();
      manager = new LogManager({ dataDir: dir, schedulerIntervalMs: 0 });
      await manager.open();
      logs = [];
      for (let p = 0; p < 50; p++) logs.push(await manager.create('wide', p));
    });

    afterEach(async () => {
      await manager.close();
      removeDir(dir);
    });

    it('appends made in one tick to 50 logs, twice to each, land in order with consecutive offsets', async () => {
      const appends = logs.flatMap((log, p) => [log.append(buildBatch([{ value: `${p}-1` }])), log.append(buildBatch([{ value: `${p}-2` }, { value: `${p}-3` }]))]);
      const results = await Promise.all(appends);
      for (let p = 0; p < logs.length; p++) {
        expect([results[2 * p]!.baseOffset, results[2 * p + 1]!.baseOffset]).to.deep.equal([0, 1]);
        const read = await readAll(logs[p]!);
        expect(read.map((b) => [b.baseOffset, b.lastOffset])).to.deep.equal([[0, 0], [1, 2]]);
        expect(read[0]!.buf.includes(`${p}-1`) && read[1]!.buf.includes(`${p}-3`)).to.equal(true);
      }
    });

    it('an append made when a write is published (a caller appending again) is written in a later tick', async () => {
      const log = logs[0]!;
      const second = log.append(buildBatch([{ value: 'first' }])).then(() => log.append(buildBatch([{ value: 'second' }])));
      expect((await second).baseOffset).to.equal(1);
      const read = await readAll(log);
      expect(read.map((b) => b.baseOffset)).to.deep.equal([0, 1]);
      expect(read[1]!.buf.includes('second')).to.equal(true);
    });
  });
});
