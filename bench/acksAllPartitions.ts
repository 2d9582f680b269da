/**
 * acks=all cost against the number of partitions the brokers replicate (issue 17, item 4: per-request work
 * must not grow with partitions). Three in-process brokers (test/helpers/memoryCluster, replica.fetch.wait.max.ms
 * 100), one RF=3 topic of N partitions with leaders spread, then 200 kafkajs acks=all writes one at a time to
 * partition 0: time per write and the process's CPU per write (all three brokers and the client share it).
 *
 *   npx tsx bench/acksAllPartitions.ts [N ...]     (default 3 1000 3000)
 *
 * No target of its own: the figure should not grow with N. It does while every follower fetch names, reads and
 * answers every partition its leader leads (sessionless Fetch), idle ones included.
 */
import * as os from 'os';
import { Kafka, logLevel } from 'kafkajs';
import { MemoryCluster } from '../test/helpers/memoryCluster';

const WRITES = 200;

async function run(partitions: number): Promise<string> {
  const c = await MemoryCluster.start({ brokers: 3 });
  try {
    await c.createTopic('t', partitions, 3);
    const producer = new Kafka({ brokers: c.bootstrap, logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    for (let i = 0; i < 20; i++) await producer.send({ topic: 't', acks: -1, messages: [{ partition: 0, value: 'warm' }] });
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < WRITES; i++) await producer.send({ topic: 't', acks: -1, messages: [{ partition: 0, value: `v${i}` }] });
    const ms = (performance.now() - t0) / WRITES;
    const cpu = process.cpuUsage(cpu0);
    await producer.disconnect();
    return `${String(partitions).padStart(6)} partitions, RF=3: ${ms.toFixed(2)} ms per acks=all write, CPU ${((cpu.user + cpu.system) / 1000 / WRITES).toFixed(2)} ms per write`;
  } finally {
    await c.stop();
  }
}

async function main(): Promise<void> {
  const counts = process.argv.slice(2).map(Number).filter((n) => n > 0);
  console.log(`acks=all writes one at a time, 3 in-process brokers (${os.cpus().length} cores, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')})`);
  for (const n of counts.length > 0 ? counts : [3, 1000, 3000]) console.log(await run(n));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
