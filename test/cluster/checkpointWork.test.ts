import { expect } from 'chai';
import { ApiKey } from '../../protocol/generated/apis';
import type { ProduceResponse } from '../../protocol/generated/messages/ProduceResponse';
import type { ReplicaManager } from '../../src/replication/replicaManager';
import { eventually } from '../helpers/eventually';
import { MemoryCluster } from '../helpers/memoryCluster';
import { RawClient } from '../helpers/rawClient';
import { buildBatch } from '../storage/helpers';

const PARTITIONS = 40;

/** Counts high watermark checkpoints per partition on every replica the broker holds. */
function countCheckpoints(r: ReplicaManager): Map<number, number> {
  const calls = new Map<number, number>();
  for (const replica of r.all()) {
    const log = replica.log;
    const real = log.checkpointHighWatermark.bind(log);
    log.checkpointHighWatermark = () => {
      calls.set(replica.state.partition, (calls.get(replica.state.partition) ?? 0) + 1);
      return real();
    };
  }
  return calls;
}

async function rounds(r: ReplicaManager, n: number): Promise<void> {
  const target = r.checkpointRounds + n;
  await eventually(() => r.checkpointRounds >= target, `${n} checkpoint rounds`);
}

/**
 * Issue 17 item 4: the periodic high watermark checkpoint touches only the
 * partitions whose high watermark moved; work counted per partition, not timed.
 */
describe('replication: high watermark checkpoints skip unchanged partitions', function () {
  this.timeout(60_000);
  let c: MemoryCluster;

  after(async () => {
    await c?.stop();
  });

  it('a round with nothing new checkpoints nothing; a write checkpoints only its partition', async () => {
    c = await MemoryCluster.start({ brokers: 3, config: { 'replica.high.watermark.checkpoint.interval.ms': '50', 'replica.lag.time.max.ms': '2000' } });
    await c.createTopic('hw', PARTITIONS, 3);
    const managers = [1, 2, 3].map((id) => c.replication(id));
    // the first rounds write every replica's starting high watermark
    await Promise.all(managers.map((r) => rounds(r, 2)));
    const counts = managers.map(countCheckpoints);
    await Promise.all(managers.map((r) => rounds(r, 3)));
    expect(counts.map((m) => m.size), 'partitions checkpointed with nothing new').to.deep.equal([0, 0, 0]);

    const leader = c.leaderOf('hw', 7);
    const client = await RawClient.connect(c.broker(leader).port);
    try {
      const res = await client.request<ProduceResponse>(ApiKey.Produce, 9, {
        transactionalId: null,
        acks: -1,
        timeoutMs: 10_000,
        topicData: [{ name: 'hw', partitionData: [{ index: 7, records: buildBatch([{ value: 'moved' }]) }] }],
      });
      expect(res.responses[0]!.partitionResponses[0]!.errorCode).to.equal(0);
    } finally {
      client.close();
    }
    // every replica learns the new high watermark (followers with their next fetch) and checkpoints that partition only
    await eventually(() => counts.every((m) => m.has(7)), 'partition 7 checkpointed on every replica');
    await Promise.all(managers.map((r) => rounds(r, 2)));
    for (const m of counts) expect([...m.keys()]).to.deep.equal([7]);
  });
});
