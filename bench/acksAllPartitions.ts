/**
 * acks=all cost against the number of partitions the brokers replicate (issue 17, item 4: per-request work
 * must not grow with partitions). Three in-process brokers (test/helpers/memoryCluster, replica.fetch.wait.max.ms
 * 100), one RF=3 topic of N partitions with leaders spread, then 1,000 kafkajs acks=all writes one at a time to
 * partition 0: time per write and the process's CPU per write (all three brokers and the client share it).
 *
 *   npx tsx bench/acksAllPartitions.ts [N ...]     (default 3 1000 3000)
 *
 * No target of its own: the figure should not grow with N. It does while every follower fetch names, reads and
 * answers every partition its leader leads (sessionless Fetch), idle ones included, or while a follower looks at
 * every partition it follows to plan each round.
 *
 * Timing starts once the process is quiet, and with 1,000 or more partitions not before the logs' first checkpoint
 * (30 s after they are created, it saves the index files of 3 x N new logs) would have begun: otherwise it lands
 * in the timed writes. The idle CPU printed is what the brokers spend with nothing written (sweeps and ticks over
 * every replica).
 */
import * as os from 'os';
import { Kafka, logLevel } from 'kafkajs';
import { MemoryCluster } from '../test/helpers/memoryCluster';

const WRITES = 1000;
const QUIET_CORE_FRACTION = 0.3;
const QUIET_DEADLINE_MS = 120_000;
/** The log manager's checkpoint period (storage/logManager.ts) and a little more. */
const FIRST_CHECKPOINT_MS = 35_000;

/** Waits until a 2 s window uses under QUIET_CORE_FRACTION of a core (or the deadline); returns the last window's use. */
async function quiet(): Promise<number> {
  const deadline = Date.now() + QUIET_DEADLINE_MS;
  for (;;) {
    const c0 = process.cpuUsage();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const c = process.cpuUsage(c0);
    const fraction = (c.user + c.system) / 2e6;
    if (fraction < QUIET_CORE_FRACTION || Date.now() > deadline) return fraction;
  }
}

async function run(partitions: number): Promise<string> {
  // three brokers in one process share its descriptor limit: each gets a third of what one broker alone would
  const c = await MemoryCluster.start({ brokers: 3, config: { "brook.log.max.open.segment.handles": "4000" } });
  try {
    await c.createTopic('t', partitions, 3);
    const producer = new Kafka({ brokers: c.bootstrap, logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    if (partitions >= 1000) await new Promise((resolve) => setTimeout(resolve, FIRST_CHECKPOINT_MS));
    const idle = await quiet();
    for (let i = 0; i < 20; i++) await producer.send({ topic: 't', acks: -1, messages: [{ partition: 0, value: 'warm' }] });
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < WRITES; i++) await producer.send({ topic: 't', acks: -1, messages: [{ partition: 0, value: `v${i}` }] });
    const ms = (performance.now() - t0) / WRITES;
    const cpu = process.cpuUsage(cpu0);
    await producer.disconnect();
    return `${String(partitions).padStart(6)} partitions, RF=3: ${ms.toFixed(2)} ms per acks=all write, CPU ${((cpu.user + cpu.system) / 1000 / WRITES).toFixed(2)} ms per write (idle before: ${(idle * 100).toFixed(0)} % of a core)`;
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
