/**
 * Cost of the tag index (issue 15 item 2) on the produce path of a view's source.
 *
 *   npm run bench:tagindex [-- --quick] [-- --storage-only]
 *
 * 1. End to end: the librdkafka load tool (bench/rdkafka/perf.c with PERF_TAGGED=1: a `brook-tag` header, one of 8
 *    tags, on every 100 B message; acks=1, librdkafka's default batching) produces to a 3-partition topic no view
 *    reads and to one that is the source of a tag view (so its appends keep the tag index), alternating, against
 *    Brook in a child process; the median of the rounds is compared. Needs gcc and librdkafka-dev.
 * 2. Storage only: the same records, 100 per batch, appended to a PartitionLog with `tagIndex` off and on,
 *    uncompressed and lz4 (the index decompresses a compressed batch once), after one uncounted warm-up run, by wall
 *    clock and by this process's CPU time.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildPerf, perfMsgsPerSec, startBrook } from './perfProduce';
import { Kafka, logLevel } from 'kafkajs';
import { buildRecordBatch } from '../protocol/records/batch';
import { Compression } from '../protocol/records/batchHeader';
import { LogManager } from '../storage/logManager';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 2 : 3;
const RECORDS = quick ? 500_000 : 2_000_000;
const MESSAGES = quick ? 300_000 : 2_000_000;
const TAGS = ['paid', 'new', 'refunded', 'shipped', 'cancelled', 'returned', 'held', 'billed'];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const cost = (off: number, on: number): string => `${(((off - on) / off) * 100).toFixed(1)} %`;

async function run(rows: Array<[string, string]>, compression: Compression, label: string): Promise<void> {
  const value = Buffer.alloc(100, 0x61);
  const batches: Buffer[] = [];
  for (let b = 0; b < 1000; b++) {
    batches.push(buildRecordBatch({ compression, records: Array.from({ length: 100 }, (_, i) => ({ value, headers: [{ key: 'brook-tag', value: Buffer.from(TAGS[(b * 7 + i) % TAGS.length]!) }] })) }));
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'brook-bench-tags-'));
  const manager = new LogManager({ dataDir: dir, schedulerIntervalMs: 0 });
  await manager.open();
  const wall: Record<'off' | 'on', number[]> = { off: [], on: [] };
  const cpu: Record<'off' | 'on', number[]> = { off: [], on: [] };
  try {
    for (let r = -1; r < ROUNDS * 2; r++) {
      const tagIndex = r % 2 !== 0;
      const log = await manager.create(`t-${label}-${r + 1}`, 0, { tagIndex, segmentBytes: 256 * 1024 * 1024 });
      const start = process.hrtime.bigint();
      const used0 = process.cpuUsage();
      const pending: Array<Promise<unknown>> = [];
      for (let n = 0; n < RECORDS / 100; n++) {
        pending.push(log.append(batches[n % batches.length]!));
        if (pending.length >= 64) await pending.shift();
      }
      await Promise.all(pending);
      const secs = Number(process.hrtime.bigint() - start) / 1e9;
      const used = process.cpuUsage(used0);
      if (r < 0) continue;
      wall[tagIndex ? 'on' : 'off'].push(RECORDS / secs);
      cpu[tagIndex ? 'on' : 'off'].push(RECORDS / ((used.user + used.system) / 1e6));
    }
  } finally {
    await manager.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  rows.push([`${label}: append, tag index off`, `median ${fmt(median(wall.off))} records/s  [${wall.off.map(fmt).join(', ')}]`]);
  rows.push([`${label}: append, tag index on`, `median ${fmt(median(wall.on))} records/s  [${wall.on.map(fmt).join(', ')}]`]);
  rows.push([`${label}:   cost (wall clock)`, cost(median(wall.off), median(wall.on))]);
  rows.push([`${label}: per CPU second, off -> on`, `${fmt(median(cpu.off))} -> ${fmt(median(cpu.on))} records/CPU-s`]);
  rows.push([`${label}:   cost (CPU time, less sensitive to other load)`, cost(median(cpu.off), median(cpu.on))]);
}

function produce(bootstrap: string, topic: string): number {
  return perfMsgsPerSec(bootstrap, topic, MESSAGES, { PERF_TAGGED: '1' });
}

async function endToEnd(rows: Array<[string, string]>): Promise<void> {
  buildPerf();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'brook-bench-tags-e2e-'));
  const { child, port } = await startBrook(dataDir);
  const bootstrap = `127.0.0.1:${port}`;
  try {
    const admin = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const off: number[] = [];
    const on: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      await admin.createTopics({ topics: [{ topic: `plain-${r}`, numPartitions: 3 }, { topic: `src-${r}`, numPartitions: 3 }] });
      await admin.createTopics({ topics: [{ topic: `src-${r}.paid`, configEntries: [{ name: 'brook.view.of', value: `src-${r}` }, { name: 'brook.view.filter', value: 'paid' }] }] });
      // alternate which goes first, so a drift in machine load hits both sides
      if (r % 2 === 0) {
        off.push(produce(bootstrap, `plain-${r}`));
        on.push(produce(bootstrap, `src-${r}`));
      } else {
        on.push(produce(bootstrap, `src-${r}`));
        off.push(produce(bootstrap, `plain-${r}`));
      }
    }
    await admin.disconnect();
    rows.push([`e2e: librdkafka produce 100 B tagged, acks=1, no view (${ROUNDS} x ${MESSAGES.toLocaleString('en-US')})`, `median ${fmt(median(off))} msgs/s  [${off.map(fmt).join(', ')}]`]);
    rows.push([`e2e: same, to the source of a tag view`, `median ${fmt(median(on))} msgs/s  [${on.map(fmt).join(', ')}]`]);
    rows.push(['e2e:   cost of the tag index', cost(median(off), median(on))]);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const rows: Array<[string, string]> = [];
  const loadBefore = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  if (!process.argv.includes('--storage-only')) await endToEnd(rows);
  await run(rows, Compression.None, 'uncompressed');
  await run(rows, Compression.Lz4, 'lz4');
  console.log(`\nBrook tag index bench (${new Date().toISOString()}, ${os.cpus().length} cores, ${RECORDS.toLocaleString('en-US')} x 100 B tagged records, batches of 100):`);
  console.log(`  load average before ${loadBefore}, after ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  for (const [k, v] of rows) console.log(`  ${k.padEnd(72)} ${v}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
