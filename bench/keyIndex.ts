/**
 * What `brook.index.keys=true` costs on the produce path (issue 15: ≤ 10 %).
 *
 *   npm run bench:keyindex [-- --quick]
 *
 * 1. End to end: the librdkafka load tool (bench/rdkafka/perf.c, PERF_KEYED=1 so
 *    every 100 B message has a distinct key) produces to a 3-partition topic
 *    with the index off and to one with it on, alternating, against Brook in a
 *    child process; the median of the rounds is compared.
 * 2. Storage only: appends of 100-record batches of 100 B keyed records to a
 *    PartitionLog with and without `keyIndex`, in this process, alternating.
 * Needs gcc and librdkafka-dev for part 1 (as bench/produce-consume.ts).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildPerf, perfMsgsPerSec, startBrook } from './perfProduce';
import { Kafka, logLevel } from 'kafkajs';
import { buildRecordBatch } from '../protocol/records';
import { LogManager } from '../storage/logManager';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 2 : 3;
const MESSAGES = quick ? 300_000 : 2_000_000;
const STORAGE_RECORDS = quick ? 500_000 : 2_000_000;

function produce(bootstrap: string, topic: string): number {
  return perfMsgsPerSec(bootstrap, topic, MESSAGES, { PERF_KEYED: '1' });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const cost = (off: number, on: number): string => `${(((off - on) / off) * 100).toFixed(1)} %`;

async function endToEnd(rows: Array<[string, string]>): Promise<void> {
  buildPerf();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'brook-bench-keys-'));
  const { child, port } = await startBrook(dataDir);
  const bootstrap = `127.0.0.1:${port}`;
  try {
    const admin = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const off: number[] = [];
    const on: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      await admin.createTopics({ topics: [{ topic: `plain-${r}`, numPartitions: 3 }, { topic: `keyed-${r}`, numPartitions: 3, configEntries: [{ name: 'brook.index.keys', value: 'true' }] }] });
      // alternate which goes first, so a drift in machine load hits both sides
      if (r % 2 === 0) {
        off.push(produce(bootstrap, `plain-${r}`));
        on.push(produce(bootstrap, `keyed-${r}`));
      } else {
        on.push(produce(bootstrap, `keyed-${r}`));
        off.push(produce(bootstrap, `plain-${r}`));
      }
    }
    await admin.disconnect();
    rows.push([`librdkafka produce 100 B keyed, acks=1, index off (${ROUNDS} runs of ${fmt(MESSAGES)})`, `median ${fmt(median(off))} msgs/s  [${off.map(fmt).join(', ')}]`]);
    rows.push([`librdkafka produce 100 B keyed, acks=1, brook.index.keys=true`, `median ${fmt(median(on))} msgs/s  [${on.map(fmt).join(', ')}]`]);
    rows.push(['  cost of the index (target ≤ 10 %)', cost(median(off), median(on))]);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function storageOnly(rows: Array<[string, string]>): Promise<void> {
  const value = Buffer.alloc(100, 0x61);
  const batches: Buffer[] = [];
  for (let b = 0; b < 1000; b++) batches.push(buildRecordBatch({ records: Array.from({ length: 100 }, (_, i) => ({ key: `k${b * 100 + i}`, value })) }));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'brook-bench-keys-storage-'));
  const manager = new LogManager({ dataDir: dir, schedulerIntervalMs: 0 });
  await manager.open();
  const off: number[] = [];
  const on: number[] = [];
  const offCpu: number[] = [];
  const onCpu: number[] = [];
  try {
    // round 0 warms the JIT up and is not counted
    for (let r = -1; r < ROUNDS * 2; r++) {
      const keyIndex = r % 2 !== 0;
      const log = await manager.create(`s-${r + 1}`, 0, { keyIndex, segmentBytes: 256 * 1024 * 1024 });
      const start = process.hrtime.bigint();
      const cpu = process.cpuUsage();
      const pending: Array<Promise<unknown>> = [];
      for (let n = 0; n < STORAGE_RECORDS / 100; n++) {
        pending.push(log.append(batches[n % batches.length]!));
        if (pending.length >= 64) await pending.shift();
      }
      await Promise.all(pending);
      const secs = Number(process.hrtime.bigint() - start) / 1e9;
      const used = process.cpuUsage(cpu);
      const cpuSecs = (used.user + used.system) / 1e6;
      if (r >= 0) (keyIndex ? on : off).push(STORAGE_RECORDS / secs);
      if (r >= 0) (keyIndex ? onCpu : offCpu).push(STORAGE_RECORDS / cpuSecs);
    }
  } finally {
    await manager.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  rows.push([`storage append, 100 x 100 B keyed records per batch, index off`, `median ${fmt(median(off))} records/s  [${off.map(fmt).join(', ')}]`]);
  rows.push([`storage append, same, keyIndex on`, `median ${fmt(median(on))} records/s  [${on.map(fmt).join(', ')}]`]);
  rows.push(['  cost of the index (wall clock)', cost(median(off), median(on))]);
  rows.push([`storage append, index off, per CPU second of this process`, `median ${fmt(median(offCpu))} records/s  [${offCpu.map(fmt).join(', ')}]`]);
  rows.push([`storage append, keyIndex on, per CPU second`, `median ${fmt(median(onCpu))} records/s  [${onCpu.map(fmt).join(', ')}]`]);
  rows.push(['  cost of the index (CPU time, less sensitive to other load)', cost(median(offCpu), median(onCpu))]);
}

async function main(): Promise<void> {
  const rows: Array<[string, string]> = [];
  const loadBefore = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  if (!process.argv.includes('--storage-only')) await endToEnd(rows);
  await storageOnly(rows);
  console.log(`\nBrook key index bench (${new Date().toISOString()}, ${os.cpus().length} cores):`);
  console.log(`  load average before ${loadBefore}, after ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  for (const [k, v] of rows) console.log(`  ${k.padEnd(72)} ${v}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
