import { expect } from 'chai';
import { ApiKey } from '../../protocol/generated/apis';
import type { ProduceResponse } from '../../protocol/generated/messages/ProduceResponse';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ReplicaManager } from '../../src/replication/replicaManager';
import type { LogManager } from '../../storage/logManager';
import { HIGH_WATERMARK_CHECKPOINT_FILE, parseHighWatermarks } from '../../storage/highWatermarkCheckpoint';
import { eventually } from '../helpers/eventually';
import { MemoryCluster } from '../helpers/memoryCluster';
import { RawClient } from '../helpers/rawClient';
import { buildBatch } from '../storage/helpers';

const PARTITIONS = 40;

async function rounds(r: ReplicaManager, n: number): Promise<void> {
  const target = r.checkpointRounds + n;
  await eventually(() => r.checkpointRounds >= target, `${n} checkpoint rounds`);
}

/** The broker's saved high watermarks of topic `hw`, by partition. */
function saved(logs: LogManager): Map<number, number> {
  const entries = parseHighWatermarks(fs.readFileSync(path.join(logs.dataDir, HIGH_WATERMARK_CHECKPOINT_FILE), 'utf8')) ?? [];
  return new Map(entries.filter((e) => e.topic === 'hw').map((e) => [e.partition, e.offset]));
}

/**
 * Issue 17 item 4: the periodic high watermark checkpoint writes nothing while no high watermark moves, and one
 * file per broker (not a file per partition) when one does; work counted, not timed.
 */
describe('replication: high watermark checkpoints only when a high watermark moved', function () {
  this.timeout(60_000);
  let c: MemoryCluster;

  after(async () => {
    await c?.stop();
  });

  it('a round with nothing new writes nothing; a write is saved in each broker\'s one checkpoint file', async () => {
    c = await MemoryCluster.start({ brokers: 3, config: { 'replica.high.watermark.checkpoint.interval.ms': '50', 'replica.lag.time.max.ms': '2000' } });
    await c.createTopic('hw', PARTITIONS, 3);
    const managers = [1, 2, 3].map((id) => c.replication(id));
    const logs = [1, 2, 3].map((id) => c.broker(id).services.logs);
    // the first rounds write every replica's starting high watermark
    await Promise.all(managers.map((r) => rounds(r, 2)));
    const before = logs.map((l) => l.highWatermarkSaves);
    await Promise.all(managers.map((r) => rounds(r, 3)));
    expect(logs.map((l) => l.highWatermarkSaves), 'files written with nothing new').to.deep.equal(before);
    for (const l of logs) expect(saved(l).size).to.equal(PARTITIONS);

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
    // every replica learns the new high watermark (followers with their next fetch) and saves it
    await eventually(() => logs.every((l) => saved(l).get(7) === 1), 'partition 7 saved on every replica');
    for (const l of logs) {
      const s = saved(l);
      expect([...s.entries()].filter(([, hw]) => hw !== 0).map(([p]) => p)).to.deep.equal([7]);
    }
    // the file is renamed into place before its save is counted: two more rounds let a save seen half-way finish
    await Promise.all(managers.map((r) => rounds(r, 2)));
    const after = logs.map((l) => l.highWatermarkSaves);
    await Promise.all(managers.map((r) => rounds(r, 3)));
    expect(logs.map((l) => l.highWatermarkSaves), 'files written once the new value was saved').to.deep.equal(after);
  });
});
