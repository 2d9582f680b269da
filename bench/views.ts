/**
 * A filtered view keeping 1% of a source topic, read end to end by a kafkajs consumer group, against the same
 * client reading the whole source and filtering on the tag header itself (same run, same broker).
 *
 *   npm run bench:views [-- --records 10000000] [-- --grouped]
 *
 * --grouped: the 1% sit together in 1% of the batches (every 100th batch is all `paid`), as when producers send
 * one kind of event per batch; then the source's tag index lets the view skip the other 99% unread.
 *
 * The broker runs in a child process (so broker and client each get a core) and fills the source by appending
 * ready-made batches of 1,000 records (~100-byte JSON values, a brook-tag header; 1% tagged `paid`, spread at
 * random) straight to its log, which keeps the fill out of the timing; the view is created first, so the appends
 * keep the source's tag index. Order: the view read cold (first read of every batch), the source + client-side
 * filter, the view read warm; then the ratios.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { buildRecordBatch } from '../protocol/records/batch';
import { startBroker } from '../src/broker';
import { createLogger } from '../src/log';
import { partitionLog } from '../src/metadata/partitionLogs';

const TARGET = 10;
const PARTITIONS = 2;
const BATCH_RECORDS = 1000;
const SOURCE = 'bench-orders';
const VIEW = 'bench-orders.paid';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

/** Child: starts a broker, fills the source, creates the view, prints what the parent needs. */
async function serve(records: number, grouped: boolean): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'brook-bench-views-'));
  const broker = await startBroker({ host: '127.0.0.1', port: 0, dataDir, logger: createLogger('silent') });
  const topic = await broker.services.metadata.createTopic(SOURCE, { partitions: PARTITIONS });
  // 64 different batches appended round-robin: building 10,000 distinct ones would dominate the run
  let seed = 42;
  const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const others = ['new', 'shipped', 'refunded', 'cancelled'];
  const templates: Array<{ buf: Buffer; paid: number }> = [];
  for (let t = 0; t < 64; t++) {
    let paid = 0;
    const recs = Array.from({ length: BATCH_RECORDS }, (_, i) => {
      const isPaid = grouped ? t === 0 : random() < 0.01;
      const tag = isPaid ? (paid++, 'paid') : others[i % others.length]!;
      const value = JSON.stringify({ id: t * BATCH_RECORDS + i, amount: Math.floor(random() * 10000), note: 'x'.repeat(48) });
      return { key: Buffer.from(`k${i}`), value: Buffer.from(value), headers: [{ key: 'brook-tag', value: Buffer.from(tag) }], timestamp: BigInt(Date.now()) };
    });
    templates.push({ buf: buildRecordBatch({ records: recs }), paid });
  }
  // the view exists before the records come, as in use: appends keep the source's tag index
  await broker.services.metadata.createTopic(VIEW, { partitions: PARTITIONS, configs: { 'brook.view.of': SOURCE, 'brook.view.filter': 'paid' } });
  let matches = 0;
  const batches = Math.ceil(records / BATCH_RECORDS);
  const logs = await Promise.all(Array.from({ length: PARTITIONS }, async (_, p) => (await partitionLog(broker.services, topic, p)).log!));
  for (let b = 0; b < batches; b++) {
    const t = grouped ? templates[b % 100 === 0 ? 0 : 1 + (b % (templates.length - 1))]! : templates[b % templates.length]!;
    matches += t.paid;
    await logs[b % PARTITIONS]!.append(Buffer.from(t.buf));
  }
  const ends = logs.map((l) => l.highWatermark);
  process.stdout.write(JSON.stringify({ port: broker.port, matches, records: batches * BATCH_RECORDS, ends, bytes: logs.reduce((n, l) => n + l.sizeInBytes(), 0) }) + '\n');
  process.stdin.resume();
  process.stdin.on('end', async () => {
    await broker.close();
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(0);
  });
}

interface Served {
  port: number;
  matches: number;
  records: number;
  ends: number[];
  bytes: number;
}

/** Reads `topic` from the start until every partition's end; counts records that pass `keep`. */
async function readAll(kafka: Kafka, topic: string, group: string, ends: number[], keep: (tag: string | undefined) => boolean): Promise<{ ms: number; kept: number; seen: number }> {
  const consumer = kafka.consumer({ groupId: group, maxBytes: 32 * 1024 * 1024, maxBytesPerPartition: 8 * 1024 * 1024, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let kept = 0;
  let seen = 0;
  const reached = ends.map(() => false);
  // timed from the group join, so the join and rebalance delays (the same for both) stay out of the figure
  let start = process.hrtime.bigint();
  consumer.on(consumer.events.GROUP_JOIN, () => (start = process.hrtime.bigint()));
  await new Promise<void>((resolve, reject) => {
    // batches with only skipped (control) records never reach eachBatch, but they end a batch too
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      if (Number(payload.lastOffset) >= ends[payload.partition]! - 1) reached[payload.partition] = true;
      if (reached.every(Boolean)) resolve();
    });
    consumer
      .run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) {
            seen++;
            if (keep(m.headers?.['brook-tag']?.toString())) kept++;
          }
        },
      })
      .catch(reject);
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  await consumer.disconnect();
  return { ms, kept, seen };
}

async function main(): Promise<void> {
  const records = arg('--records', 10_000_000);
  const grouped = process.argv.includes('--grouped');
  if (process.argv.includes('--serve')) return serve(records, grouped);
  const tsx = path.join(__dirname, '..', 'node_modules', 'tsx', 'dist', 'cli.mjs');
  const child = spawn(process.execPath, [tsx, __filename, '--serve', '--records', String(records), ...(grouped ? ['--grouped'] : [])], { stdio: ['pipe', 'pipe', 'inherit'] });
  const fillStart = Date.now();
  const served = await new Promise<Served>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]!) as Served);
    });
    child.on('exit', (code) => reject(new Error(`broker child exited with ${code}`)));
  });
  const fillS = (Date.now() - fillStart) / 1000;
  const kafka = new Kafka({ brokers: [`127.0.0.1:${served.port}`], clientId: 'bench-views', logLevel: logLevel.NOTHING });
  const load = os.loadavg()[0]!.toFixed(1);
  // the cold view read runs first: after the whole source went through one client process, later reads in the
  // same processes were seen to slow down 3-4x (heap and GC), which would count against whichever comes last
  const cold = await readAll(kafka, VIEW, 'bench-view-cold', served.ends, () => true);
  const source = await readAll(kafka, SOURCE, 'bench-source', served.ends, (tag) => tag === 'paid');
  const warm = await readAll(kafka, VIEW, 'bench-view-warm', served.ends, () => true);
  child.stdin!.end();
  const mb = served.bytes / 1024 / 1024;
  const rate = (r: { ms: number }) => `${(served.records / (r.ms / 1000) / 1e6).toFixed(2)} M source records/s`;
  console.log(`views bench: ${served.records} records (${mb.toFixed(0)} MiB) in ${PARTITIONS} partitions, ${served.matches} tagged paid${grouped ? ' (grouped in 1% of the batches)' : ''} (${((100 * served.matches) / served.records).toFixed(2)}%), filled in ${fillS.toFixed(1)} s; load avg ${load} on ${os.cpus().length} cores; ${new Date().toISOString()}`);
  console.log(`source + client-side filter (kafkajs): ${(source.ms / 1000).toFixed(2)} s, ${rate(source)}, kept ${source.kept} of ${source.seen}`);
  console.log(`view, cold (first scan of each batch): ${(cold.ms / 1000).toFixed(2)} s, ${rate(cold)}, got ${cold.kept}`);
  console.log(`view, warm (read again, new group):   ${(warm.ms / 1000).toFixed(2)} s, ${rate(warm)}, got ${warm.kept}`);
  const ok = source.kept === served.matches && cold.kept === served.matches && warm.kept === served.matches;
  console.log(`speed-up cold ${(source.ms / cold.ms).toFixed(1)}x, warm ${(source.ms / warm.ms).toFixed(1)}x (target >= ${TARGET}x)${ok ? '' : ' -- RECORD COUNTS DIFFER'}`);
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
