/**
 * Share groups (issue 13): 8 librdkafka share consumers (test/share/shareclient.c, built against
 * librdkafka 2.15.1 in the cache) on one partition of 1 KiB records, each acknowledging every batch
 * (ACCEPT, commit per batch); and the lateness of redelivery back-off: records RELEASEd on their
 * first delivery with brook.share.redelivery.backoff=1s, lateness = redelivered - released - 1 s
 * (wall clock in the consumers; the release time is taken before the acknowledgement is sent, so the
 * figure is an upper bound). Brook runs from src/ in a child process.
 *
 *   npx tsx bench/share.ts [--records N]
 */
import { rmSync } from 'node:fs';
import * as os from 'node:os';
import { Kafka, logLevel } from 'kafkajs';
import { tempDataDir } from '../test/helpers/tempDir';
import { startChildBroker } from '../test/txn/helpers/childBroker';
import { setGroupConfigs } from '../test/share/helpers/admin';
import { ensureShareClient, produceWithLibrdkafka, runShareClient, type RunningShareClient } from '../test/share/helpers/shareClient';

const CONSUMERS = 8;
const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const RECORDS = arg('--records', 600_000);
const LATENCY_RECORDS = arg('--latency-records', 2_000);
const BACKOFF_MS = 1000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const countOf = (c: RunningShareClient) => {
  for (let i = c.lines.length - 1; i >= 0; i--) if (c.lines[i]!.startsWith('COUNT ')) return Number(c.lines[i]!.slice(6));
  return 0;
};
const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

async function main(): Promise<void> {
  await ensureShareClient();
  const dataDir = tempDataDir('brook-bench-share-');
  const broker = await startChildBroker(dataDir);
  const bootstrap = `127.0.0.1:${broker.port}`;
  const clients: RunningShareClient[] = [];
  try {
    const kafka = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'bench-share', numPartitions: 1 }, { topic: 'bench-backoff', numPartitions: 1 }] });
    await admin.disconnect();
    await setGroupConfigs(broker.port, 'bench', { 'share.auto.offset.reset': 'earliest' });
    await setGroupConfigs(broker.port, 'bench-lat', { 'share.auto.offset.reset': 'earliest', 'brook.share.redelivery.backoff': `${BACKOFF_MS}ms` });

    const p0 = Date.now();
    await produceWithLibrdkafka(bootstrap, 'bench-share', RECORDS, 1024);
    console.log(`produced ${RECORDS} x 1 KiB in ${((Date.now() - p0) / 1000).toFixed(1)} s`);

    for (let i = 0; i < CONSUMERS; i++) clients.push(await runShareClient(bootstrap, 'bench', 'bench-share', 'bench'));
    let t0 = 0;
    let c0 = 0;
    for (;;) {
      const total = clients.reduce((s, c) => s + countOf(c), 0);
      if (t0 === 0 && total > 0) {
        t0 = Date.now();
        c0 = total;
      }
      if (total >= RECORDS) break;
      if (clients.every((c) => c.child.exitCode !== null)) throw new Error('all consumers exited');
      await sleep(20);
    }
    const secs = (Date.now() - t0) / 1000;
    const rate = (RECORDS - c0) / secs;
    const perConsumer = clients.map(countOf);
    console.log(`share consume: ${Math.round(rate).toLocaleString('en')} records/s (${(RECORDS - c0).toLocaleString('en')} in ${secs.toFixed(2)} s, per consumer ${perConsumer.join('/')}); target >= 100,000`);
    await Promise.all(clients.splice(0).map((c) => c.stop()));

    for (let i = 0; i < CONSUMERS; i++) clients.push(await runShareClient(bootstrap, 'bench-lat', 'bench-backoff', 'latency'));
    const producer = kafka.producer();
    await producer.connect();
    // Paced at about 1,000 records/s so redeliveries do not all fall due at one instant.
    for (let i = 0; i < LATENCY_RECORDS; i += 20) {
      await producer.send({ topic: 'bench-backoff', messages: Array.from({ length: 20 }, () => ({ value: Buffer.alloc(1024, 'y') })) });
      await sleep(20);
    }
    await producer.disconnect();
    const released = new Map<number, number>();
    const redelivered = new Map<number, number>();
    const deadline = Date.now() + 60_000;
    while (redelivered.size < LATENCY_RECORDS && Date.now() < deadline) {
      await sleep(50);
      for (const c of clients) {
        for (const l of c.lines) {
          const [kind, o, t] = l.split(' ');
          if (kind === 'REL' && !released.has(Number(o))) released.set(Number(o), Number(t));
          else if (kind === 'RED' && !redelivered.has(Number(o))) redelivered.set(Number(o), Number(t));
        }
      }
    }
    const lateness = [...redelivered].filter(([o]) => released.has(o)).map(([o, t]) => t - released.get(o)! - BACKOFF_MS).sort((a, b) => a - b);
    const early = lateness.filter((x) => x < 0).length;
    console.log(
      `back-off lateness (${lateness.length} of ${LATENCY_RECORDS} records, back-off ${BACKOFF_MS} ms): p50 ${pct(lateness, 50)} ms, p99 ${pct(lateness, 99)} ms, max ${lateness[lateness.length - 1]} ms, early ${early}; target p99 <= 100 ms`,
    );
    console.log(`load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}, ${os.cpus().length} cores`);
  } finally {
    await Promise.all(clients.map((c) => c.kill()));
    await broker.kill9();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
