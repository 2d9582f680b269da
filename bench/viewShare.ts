/**
 * Share groups on a filtered view (issue 15): one librdkafka 2.15.1 share consumer (test/share/shareclient.c, bench
 * mode: ACCEPT every batch) reads a view keeping 1% of a one-partition source end to end, against the same consumer
 * reading the whole source (same run, same broker, a group each). The view's acquisitions walk every source batch
 * (share groups do not use the tag summaries), so the figure is the cost of the walk against shipping every record.
 *
 *   npx tsx bench/viewShare.ts [--records N]
 */
import { rmSync } from 'node:fs';
import * as os from 'node:os';
import { Kafka, logLevel } from 'kafkajs';
import { tempDataDir } from '../test/helpers/tempDir';
import { startChildBroker } from '../test/txn/helpers/childBroker';
import { setGroupConfigs } from '../test/share/helpers/admin';
import { ensureShareClient, runShareClient, type RunningShareClient } from '../test/share/helpers/shareClient';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const RECORDS = arg('--records', 1_000_000);
const PER_SEND = 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const countOf = (c: RunningShareClient) => {
  for (let i = c.lines.length - 1; i >= 0; i--) if (c.lines[i]!.startsWith('COUNT ')) return Number(c.lines[i]!.slice(6));
  return 0;
};

/** Seconds from the consumer's start until it counted `want` records, and from its first record on (no group join). */
async function readAll(bootstrap: string, group: string, topic: string, want: number): Promise<{ total: number; fromFirst: number }> {
  const t0 = Date.now();
  let first = 0;
  const c = await runShareClient(bootstrap, group, topic, 'bench');
  try {
    for (;;) {
      const n = countOf(c);
      if (first === 0 && n > 0) first = Date.now();
      if (n >= want) break;
      if (c.child.exitCode !== null) throw new Error(`consumer exited: ${c.stderr.slice(-5).join(' ')}`);
      await sleep(20);
    }
    const end = Date.now();
    return { total: (end - t0) / 1000, fromFirst: (end - first) / 1000 };
  } finally {
    await c.kill();
  }
}

async function main(): Promise<void> {
  await ensureShareClient();
  const dataDir = tempDataDir('brook-bench-viewshare-');
  const broker = await startChildBroker(dataDir);
  const bootstrap = `127.0.0.1:${broker.port}`;
  try {
    const kafka = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'bench-src', numPartitions: 1 }] });
    await admin.createTopics({ topics: [{ topic: 'bench-src.paid', configEntries: [{ name: 'brook.view.of', value: 'bench-src' }, { name: 'brook.view.filter', value: 'paid' }] }] });
    await admin.disconnect();
    for (const g of ['bench-view', 'bench-source']) await setGroupConfigs(broker.port, g, { 'share.auto.offset.reset': 'earliest' });
    const producer = kafka.producer();
    await producer.connect();
    const p0 = Date.now();
    let matches = 0;
    const note = 'x'.repeat(60);
    for (let n = 0; n < RECORDS; n += PER_SEND) {
      const messages = Array.from({ length: PER_SEND }, (_, i) => {
        // every hundredth record, at a varying place in each batch
        const paid = (n + i) % 100 === (n / PER_SEND) % 100;
        if (paid) matches++;
        return { value: `{"id":${n + i},"note":"${note}"}`, headers: { 'brook-tag': paid ? 'paid' : 'new' } };
      });
      await producer.send({ topic: 'bench-src', acks: -1, messages });
    }
    await producer.disconnect();
    console.log(`produced ${RECORDS.toLocaleString('en')} records (~100 B values, ${matches.toLocaleString('en')} tagged paid) in ${((Date.now() - p0) / 1000).toFixed(1)} s`);
    const load = os.loadavg().map((x) => x.toFixed(2)).join(' ');
    const view = await readAll(bootstrap, 'bench-view', 'bench-src.paid', matches);
    const source = await readAll(bootstrap, 'bench-source', 'bench-src', RECORDS);
    const line = (label: string, r: { total: number; fromFirst: number }, n: number) =>
      console.log(`${label} ${r.total.toFixed(2)} s for ${n.toLocaleString('en')} records (${r.fromFirst.toFixed(2)} s from the first one), ${(RECORDS / r.total / 1e6).toFixed(2)} M source records/s`);
    line('share consumer on the view (1%):', view, matches);
    line('share consumer on the source:   ', source, RECORDS);
    console.log(`ratio source/view ${(source.total / view.total).toFixed(1)}x (from the first record ${(source.fromFirst / view.fromFirst).toFixed(1)}x); load average before ${load}, after ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}, ${os.cpus().length} cores; ${new Date().toISOString()}`);
  } finally {
    await broker.kill9();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
