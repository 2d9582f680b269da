/**
 * Scheduled delivery (issue 14). Brook runs from src/ in a child process (`brook start`):
 *  1. 1,000,000 records scheduled an hour ahead (100 B values, kafkajs, acks=1): the broker's RSS growth
 *     (VmRSS from /proc, before the first schedule and after the last; target <= 200 MB);
 *  2. kill -9 and restart with them pending: spawn to the "listening" log line (target <= 5 s), next to the
 *     same start of a broker on an empty data dir (node + tsx + broker start by themselves);
 *  3. with those still pending, 200,000 more falling due at 20,000/s: lateness = the record's append
 *     time in its target (the topic stamps LogAppendTime, the broker's clock) minus its brook-deliver-at,
 *     read back by a consumer (target p99 <= 100 ms).
 *
 *   npx tsx bench/scheduled.ts [--pending N] [--rate R] [--seconds S]
 */
import { readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { tempDataDir } from '../test/helpers/tempDir';
import { startChildBroker, type ChildBroker } from '../test/txn/helpers/childBroker';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const PENDING = arg('--pending', 1_000_000);
const RATE = arg('--rate', 20_000);
const SECONDS = arg('--seconds', 10);
const LEAD_MS = arg('--lead-ms', 60_000);
const BATCH = 2000;
const VALUE = 'v'.repeat(100);

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');

/** Sends `count` records built by `make`, BATCH per request, 4 requests in flight. */
async function produce(producer: Producer, topic: string, count: number, make: (i: number) => { key: string; value: string; headers: Record<string, string> }): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (;;) {
      const start = next;
      if (start >= count) return;
      next += BATCH;
      const messages = [];
      for (let i = start; i < Math.min(count, start + BATCH); i++) messages.push(make(i));
      await producer.send({ topic, acks: 1, messages });
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
}

async function main(): Promise<void> {
  const dataDir = tempDataDir('brook-bench-scheduled-');
  let broker: ChildBroker = await startChildBroker(dataDir);
  try {
    let kafka = new Kafka({ brokers: [`127.0.0.1:${broker.port}`], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'pending', numPartitions: 1 }, { topic: 'due', numPartitions: 1, configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }] }] });
    await admin.disconnect();
    let producer = kafka.producer();
    await producer.connect();
    // the internal topic exists and the code paths are warm before the baseline
    await producer.send({ topic: 'pending', acks: 1, messages: [{ key: 'warm', value: VALUE, headers: { 'brook-delay-ms': '3600000' } }] });
    const rss0 = rssMb(broker.child.pid!);
    const t0 = Date.now();
    const later = Date.now() + 3_600_000;
    await produce(producer, 'pending', PENDING, (i) => ({ key: `k${i % 10_000}`, value: VALUE, headers: { 'brook-deliver-at': String(later + (i % 1000)) } }));
    const produceS = (Date.now() - t0) / 1000;
    const rss1 = rssMb(broker.child.pid!);
    console.log(`scheduled ${PENDING} records in ${produceS.toFixed(1)} s (${Math.round(PENDING / produceS)} rec/s)`);
    console.log(`RSS ${rss0.toFixed(0)} MB -> ${rss1.toFixed(0)} MB: growth ${(rss1 - rss0).toFixed(0)} MB (target <= 200 MB)  load ${load()}`);
    await producer.disconnect();

    await broker.kill9();
    // the same start on an empty data dir: what spawning node + tsx and opening a broker cost by themselves
    const emptyDir = tempDataDir('brook-bench-empty-');
    const e0 = Date.now();
    const empty = await startChildBroker(emptyDir, {}, 120_000);
    const emptyS = (Date.now() - e0) / 1000;
    await empty.kill9();
    rmSync(emptyDir, { recursive: true, force: true });
    const r0 = Date.now();
    broker = await startChildBroker(dataDir, {}, 120_000);
    const restartS = (Date.now() - r0) / 1000;
    const loaded = broker.logs.find((l) => l.msg === 'scheduled delivery loaded') as { pending?: number } | undefined;
    console.log(`restart after kill -9 with ${loaded?.pending} pending: listening after ${restartS.toFixed(2)} s (target <= 5 s; an empty broker took ${emptyS.toFixed(2)} s the same way)  RSS ${rssMb(broker.child.pid!).toFixed(0)} MB  load ${load()}`);

    kafka = new Kafka({ brokers: [`127.0.0.1:${broker.port}`], logLevel: logLevel.NOTHING });
    producer = kafka.producer();
    await producer.connect();
    const total = RATE * SECONDS;
    // lead time: the producer (kafkajs on this machine) must hand them all over before the first is due
    const first = Date.now() + LEAD_MS;
    const p0 = Date.now();
    await produce(producer, 'due', total, (i) => ({ key: `d${i % 1000}`, value: VALUE, headers: { 'brook-deliver-at': String(first + Math.floor((i * 1000) / RATE)) } }));
    const spare = (first - Date.now()) / 1000;
    console.log(`scheduled ${total} records due at ${RATE}/s over ${SECONDS} s (produced in ${((Date.now() - p0) / 1000).toFixed(1)} s, ${spare.toFixed(1)} s before the first falls due)`);
    if (spare < 0) console.log('WARNING: producing took longer than the lead time; the first records were late before the broker had them');
    await producer.disconnect();

    const lateness: number[] = [];
    const consumer = kafka.consumer({ groupId: 'bench-due', maxBytes: 50 << 20 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'due', fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachBatch: async ({ batch }) => {
            for (const m of batch.messages) {
              const at = Number(m.headers!['brook-deliver-at']!.toString());
              lateness.push(Number(m.timestamp) - at);
            }
            if (lateness.length >= total) resolve();
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();
    lateness.sort((a, b) => a - b);
    console.log(`lateness over ${lateness.length} records (append time - due): p50 ${pct(lateness, 50)} ms, p99 ${pct(lateness, 99)} ms, max ${lateness[lateness.length - 1]} ms (target p99 <= 100 ms)  load ${load()}`);
  } finally {
    await broker.kill9();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
