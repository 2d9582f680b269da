/**
 * A restarted broker of a cluster with many replicas (issue 17: listening within seconds whatever the partition
 * count). Three in-process brokers (test/helpers/memoryCluster), one RF=3 topic of N partitions; broker 3 is
 * stopped and started again: time until it has started (listening, internal topics in their roles) and until
 * every replica it holds has its role (its logs opened, followers fetching).
 *
 *   npx tsx bench/clusterRestart.ts [N ...]     (default 3000 10000)
 *
 * No target of its own beyond issue 17's "listening within 2 s"; bench:scale measures a single broker's start.
 */
import * as os from 'os';
import { MemoryCluster } from '../test/helpers/memoryCluster';

async function run(partitions: number): Promise<string> {
  // three brokers in one process share its descriptor limit: each gets a third of what one broker alone would
  const c = await MemoryCluster.start({ brokers: 3, config: { 'brook.log.max.open.segment.handles': '4000' } });
  try {
    let t = performance.now();
    await c.createTopic('t', partitions, 3);
    const createMs = performance.now() - t;
    await c.killBroker(3);
    t = performance.now();
    await (c as unknown as { startNode(id: number): Promise<unknown> }).startNode(3);
    const startedMs = performance.now() - t;
    await c.settled();
    const rolesMs = performance.now() - t;
    return `${String(partitions).padStart(6)} partitions, RF=3: created in ${(createMs / 1000).toFixed(1)} s; broker 3 restarted: listening after ${(startedMs / 1000).toFixed(2)} s [target <= 2 s: ${startedMs <= 2000 ? 'met' : 'not met'}], every replica in its role after ${(rolesMs / 1000).toFixed(1)} s`;
  } finally {
    await c.stop();
  }
}

async function main(): Promise<void> {
  const counts = process.argv.slice(2).map(Number).filter((n) => n > 0);
  console.log(`restart of one of 3 in-process brokers (${os.cpus().length} cores, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')})`);
  for (const n of counts.length > 0 ? counts : [3000, 10000]) console.log(await run(n));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
