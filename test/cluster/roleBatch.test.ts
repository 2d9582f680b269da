import { expect } from 'chai';
import type { PartitionState } from '../../src/metadata/types';
import { PartitionReplica } from '../../src/replication/partitionReplica';
import { RoleBatch } from '../../src/replication/roleBatch';
import { eventually } from '../helpers/eventually';
import { MemoryCluster } from '../helpers/memoryCluster';

function state(partition: number, leaderEpoch = 0, partitionEpoch = 0): PartitionState {
  return { topic: 't', partition, leader: 1, leaderEpoch, partitionEpoch, replicas: [1], isr: [1] } as PartitionState;
}

describe('replication: a batch of partition roles', () => {
  it('applies in order, at most `limit` at a time', async () => {
    const b = new RoleBatch([0, 1, 2, 3, 4, 5].map((p) => state(p)));
    const started: number[] = [];
    let running = 0;
    let most = 0;
    await b.run(2, async (s) => {
      started.push(s.partition);
      most = Math.max(most, ++running);
      await Promise.resolve();
      running--;
    }, () => false);
    expect(started).to.deep.equal([0, 1, 2, 3, 4, 5]);
    expect(most).to.equal(2);
  });

  it('takes a hurried partition next, once, and says when it does not hold one', async () => {
    const b = new RoleBatch([0, 1, 2, 3, 4, 5].map((p) => state(p)));
    const started: number[] = [];
    await b.run(1, async (s) => {
      started.push(s.partition);
      if (s.partition === 0) {
        expect(b.hurry('t', 4)).to.equal(true);
        expect(b.hurry('t', 0), 'taken already').to.equal(false);
        expect(b.hurry('u', 1), 'another topic').to.equal(false);
      }
    }, () => false);
    expect(started).to.deep.equal([0, 4, 1, 2, 3, 5]);
  });

  it('keeps one state per partition, the newer one, at the first place', async () => {
    const b = new RoleBatch([state(0, 1), state(1, 1), state(0, 3), state(1, 1, 0), state(1, 0, 9), state(1, 1, 2)]);
    expect(b.size).to.equal(2);
    const seen: PartitionState[] = [];
    await b.run(4, async (s) => void seen.push(s), () => false);
    expect(seen.map((s) => [s.partition, s.leaderEpoch, s.partitionEpoch])).to.deep.equal([
      [0, 3, 0],
      [1, 1, 2],
    ]);
    expect(() => b.add(state(7))).to.throw(/after it started/);
  });

  it('while it runs, a partition not taken yet takes a newer state; a taken one is not held any more', async () => {
    const b = new RoleBatch([state(0, 1), state(1, 1), state(2, 1)]);
    const seen: Array<[number, number]> = [];
    await b.run(1, async (s) => {
      seen.push([s.partition, s.leaderEpoch]);
      if (s.partition === 0) {
        expect(b.started).to.equal(true);
        expect(b.replace(state(0, 5)), 'taken already').to.equal(false);
        expect(b.replace(state(2, 4))).to.equal(true);
        expect(b.replace(state(2, 3)), 'held; the older state is dropped').to.equal(true);
        expect(b.replace(state(9, 1)), 'not in the batch').to.equal(false);
      }
    }, () => false);
    expect(seen).to.deep.equal([
      [0, 1],
      [1, 1],
      [2, 4],
    ]);
  });

  it('starts nothing more once told to stop', async () => {
    const b = new RoleBatch([0, 1, 2, 3].map((p) => state(p)));
    const started: number[] = [];
    let stop = false;
    await b.run(1, async (s) => {
      started.push(s.partition);
      if (s.partition === 1) stop = true;
    }, () => stop);
    expect(started).to.deep.equal([0, 1]);
  });
});

describe('replication: leaderships a controller hands over at once', function () {
  this.timeout(60_000);
  const original = PartitionReplica.prototype.becomeLeader;
  let c: MemoryCluster | undefined;

  afterEach(async () => {
    PartitionReplica.prototype.becomeLeader = original;
    await c?.stop();
  });

  it('are taken together, not one after another', async () => {
    const N = 40;
    c = await MemoryCluster.start({ brokers: 2 });
    await c.createTopic('handover', N, 2);
    await c.settled();
    const ledBy2 = Array.from({ length: N }, (_, p) => p).filter((p) => c!.leaderOf('handover', p) === 2);
    expect(ledBy2.length, 'partitions led by broker 2').to.be.at.least(4);
    // the first leadership is held while the controller announces the others; they are then held until two are
    // in progress at once, which never happens when they are taken one at a time
    let releaseFirst!: () => void;
    const first = new Promise<void>((resolve) => (releaseFirst = resolve));
    let releaseRest!: () => void;
    const rest = new Promise<void>((resolve) => (releaseRest = resolve));
    let calls = 0;
    let restWaiting = 0;
    PartitionReplica.prototype.becomeLeader = async function (this: PartitionReplica, ...args: Parameters<PartitionReplica['becomeLeader']>) {
      if (++calls === 1) await first;
      else {
        restWaiting++;
        await rest;
      }
      return original.apply(this, args);
    };
    const killed = c.killBroker(2);
    try {
      await eventually(() => calls === 1, 'the first leadership is being taken');
      releaseFirst();
      await eventually(() => restWaiting >= 2, 'two more leaderships in progress at once', 10_000);
    } finally {
      releaseFirst();
      releaseRest();
      await killed;
    }
    const replication = c.replication(1);
    for (const p of ledBy2) expect(replication.replica('handover', p)?.role, `handover-${p}`).to.equal('leader');
  });
});
