/**
 * A restarted broker of a cluster with many replicas (issue 17: listening within seconds whatever the partition
 * count). Three in-process brokers (test/helpers/memoryCluster), one RF=3 topic of N partitions; broker 3 is
 * stopped and started again: time until it has started (listening, internal topics in their roles), until a
 * client retrying NOT_LEADER_OR_FOLLOWER has written to the last partition it leads, and until every replica it
 * holds has its role (its logs opened, followers fetching).
 *
 *   npx tsx bench/clusterRestart.ts [N ...]     (default 3000 10000)
 *   CLUSTER_RESTART_BROKERS=1 npx tsx bench/clusterRestart.ts 30000    (one broker in cluster mode, RF=1)
 *
 * No target of its own beyond issue 17's "listening within 2 s"; bench:scale measures a single broker's start.
 */
import * as os from 'os';
import { ApiKey } from '../protocol/generated/apis';
import { ErrorCode } from '../protocol/errors';
import type { ProduceResponse } from '../protocol/generated/messages/ProduceResponse';
import { MemoryCluster } from '../test/helpers/memoryCluster';
import { RawClient } from '../test/helpers/rawClient';
import { buildBatch } from '../test/storage/helpers';

const BROKERS = Number(process.env.CLUSTER_RESTART_BROKERS ?? 3);

async function run(partitions: number): Promise<string> {
  // brokers in one process share its descriptor limit: each gets a share of what one broker alone would
  const c = await MemoryCluster.start({ brokers: BROKERS, config: { 'brook.log.max.open.segment.handles': String(Math.floor(12_000 / BROKERS)) } });
  try {
    let t = performance.now();
    await c.createTopic('t', partitions, BROKERS);
    const createMs = performance.now() - t;
    await c.killBroker(BROKERS);
    t = performance.now();
    await (c as unknown as { startNode(id: number): Promise<unknown> }).startNode(BROKERS);
    const startedMs = performance.now() - t;
    // a client writing to the restarted broker's last partition meanwhile, retrying NOT_LEADER_OR_FOLLOWER
    const served = lastPartitionServed(c, partitions).then((p) => (p < 0 ? 'it leads no partition yet' : `its last partition (t-${p}) written after ${((performance.now() - t) / 1000).toFixed(2)} s`));
    await c.settled();
    const rolesMs = performance.now() - t;
    return `${String(partitions).padStart(6)} partitions, RF=${BROKERS}: created in ${(createMs / 1000).toFixed(1)} s; broker ${BROKERS} restarted: listening after ${(startedMs / 1000).toFixed(2)} s [target <= 2 s: ${startedMs <= 2000 ? 'met' : 'not met'}], ${await served}, every replica in its role after ${(rolesMs / 1000).toFixed(1)} s`;
  } finally {
    await c.stop();
  }
}

/** Writes (acks=all) to the last partition the restarted broker leads, retried every 20 ms until accepted; -1 if it leads none. */
async function lastPartitionServed(c: MemoryCluster, partitions: number): Promise<number> {
  let partition = partitions - 1;
  while (partition >= 0 && c.metadata.partitionState('t', partition)?.leader !== BROKERS) partition--;
  if (partition < 0) return -1;
  const client = await RawClient.connect(c.broker(BROKERS).port);
  try {
    for (;;) {
      const res = await client.request<ProduceResponse>(ApiKey.Produce, 9, {
        transactionalId: null,
        acks: -1,
        timeoutMs: 30_000,
        topicData: [{ name: 't', partitionData: [{ index: partition, records: buildBatch([{ value: 'after restart' }]) }] }],
      });
      const code = res.responses[0]!.partitionResponses[0]!.errorCode;
      if (code === 0) return partition;
      if (code !== ErrorCode.NOT_LEADER_OR_FOLLOWER) throw new Error(`write to t-${partition} failed: error ${code}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    client.close();
  }
}

async function main(): Promise<void> {
  const counts = process.argv.slice(2).map(Number).filter((n) => n > 0);
  console.log(`restart of one of ${BROKERS} in-process brokers (${os.cpus().length} cores, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')})`);
  for (const n of counts.length > 0 ? counts : [3000, 10000]) console.log(await run(n));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
