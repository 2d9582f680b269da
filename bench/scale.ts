/**
 * Scale on one broker (issue 17, item 5), each figure printed next to its target.
 *
 *   npm run build && npm run bench:scale
 *     env: SCALE_PARTITIONS (default "1000,10000"; add 100000), SCALE_RECORD_BYTES (default 4096 per partition),
 *          SCALE_PARTS (default "startup,load"; "loop": ./scaleIdleLoop.ts, the idle broker's event-loop delay at the
 *          largest N), SCALE_KEYED_MESSAGES (5000000), SCALE_CONNECTIONS (10000), SCALE_IDLE_SECONDS (60),
 *          SCALE_VERBOSE=1 prints the broker's log lines with their time since spawn
 *
 * Start-up, for each N: a fresh data dir, one broker (bin/brook.js, so dist/ must be built) creates a topic
 * with N partitions and gets one record of SCALE_RECORD_BYTES in every partition (acks=1), then:
 *   1. SIGTERM, restart: time to listening, RSS, every partition's log end checked (and how long until all
 *      answer);
 *   2. kill -9 of that broker, restart: the same (partitions recover in the background meanwhile).
 * The RSS slope between the smallest and largest N after a clean restart is the cost of an idle partition.
 * Load (./scaleLoad.ts): keyed produce over 10,000 vs 3 partitions (librdkafka, then pre-encoded requests), idle
 * connections, 1,000 groups committing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { Kafka, logLevel } from 'kafkajs';
import { ApiKey } from '../protocol/generated/apis';
import type { ListOffsetsResponse } from '../protocol/generated/messages/ListOffsetsResponse';
import type { ProduceResponse } from '../protocol/generated/messages/ProduceResponse';
import { buildRecordBatch } from '../protocol/records';
import { RawClient } from '../test/helpers/rawClient';
import { buildPerf, groupsCommitting, idleConnections, keyedThroughput, load, rawKeyedThroughput } from './scaleLoad';
import { brokerNodeFlags } from './brokerNodeFlags';
import { idleLoopRows } from './scaleIdleLoop';

const ROOT = path.resolve(__dirname, '..');
const CLI = path.join(ROOT, 'bin', 'brook.js');
const counts = (process.env.SCALE_PARTITIONS ?? '1000,10000').split(',').map(Number);
const recordBytes = Number(process.env.SCALE_RECORD_BYTES ?? 4096);
const TOPIC = 'scale';
const TARGET_LISTEN_MS = 2000;
const TARGET_RSS_MB = 400;

interface Broker {
  child: ChildProcess;
  port: number;
  /** ms from spawn to the 'listening' log line */
  listenMs: number;
  /** performance.now() at the 'listening' line */
  listenedAt: number;
  rssMb: number;
  /** 'log checkpoint written' lines that left no log dirty: every write so far is saved. */
  cleanCheckpoints: { count: number };
}

function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

async function start(dir: string, port = 0): Promise<Broker> {
  const args = [CLI, 'start', '--port', String(port), '--data-dir', dir, '--set', 'brook.max.partitions.per.topic=200000'];
  const t0 = performance.now();
  const wall0 = Date.now();
  const child = spawn(process.execPath, [...brokerNodeFlags(), '--max-old-space-size=4096', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const cleanCheckpoints = { count: 0 };
  const listening = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not listening after 600 s: ${stderr}`)), 600_000);
    child.once('exit', (code) => reject(new Error(`broker exited (${code}): ${stderr.slice(-2000)}`)));
    createInterface({ input: child.stdout! }).on('line', (l) => {
      try {
        const m = JSON.parse(l) as { msg?: string; port?: number; time?: number; stillDirty?: number };
        if (m.msg === 'log checkpoint written' && m.stillDirty === 0) cleanCheckpoints.count++;
        if (process.env.SCALE_VERBOSE && m.time) console.log(`  +${((m.time - wall0) / 1000).toFixed(2)} s ${m.msg} ${l.length < 300 ? l : ''}`);
        if (m.msg === 'listening' && typeof m.port === 'number') {
          clearTimeout(timer);
          resolve(m.port);
        }
      } catch {
        // not a log line
      }
    });
  });
  const listenedAt = performance.now();
  return { child, port: listening, listenMs: listenedAt - t0, listenedAt, rssMb: rssMb(child.pid!), cleanCheckpoints };
}

function stop(b: Broker, signal: NodeJS.Signals): Promise<void> {
  if (b.child.exitCode !== null || b.child.signalCode !== null) return Promise.resolve();
  const gone = new Promise<void>((r) => b.child.once('exit', () => r()));
  b.child.kill(signal);
  return gone;
}

function kafka(port: number): Kafka {
  return new Kafka({ clientId: 'bench-scale', brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING, requestTimeout: 600_000 });
}

let correlation = 0;
/** One request whose answer may take minutes (100,000 partitions in one request). */
async function slowRequest<T>(c: RawClient, apiKey: number, version: number, body: unknown): Promise<T> {
  const id = ++correlation;
  c.send(c.encode(apiKey, version, body, id));
  return c.decode<T>(apiKey, version, await c.nextFrame(600_000)).body;
}

/**
 * Creates the topic and writes one record into every partition with raw Produce requests of 1,000
 * partitions each (a Kafka client spends minutes on its own bookkeeping with 100,000 partitions).
 */
async function fill(port: number, n: number): Promise<void> {
  const admin = kafka(port).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: n }], timeout: 600_000 });
  await admin.disconnect();
  const c = await RawClient.connect(port);
  try {
    const records = buildRecordBatch({ records: [{ value: Buffer.alloc(recordBytes, 0x61) }] });
    for (let from = 0; from < n; from += 1000) {
      const partitionData = [];
      for (let p = from; p < Math.min(n, from + 1000); p++) partitionData.push({ index: p, records });
      const res = await slowRequest<ProduceResponse>(c, ApiKey.Produce, 9, { transactionalId: null, acks: 1, timeoutMs: 600_000, topicData: [{ name: TOPIC, partitionData }] });
      const failed = res.responses[0]!.partitionResponses.filter((r) => r.errorCode !== 0);
      if (failed.length > 0) throw new Error(`produce failed for ${failed.length} partitions, e.g. error ${failed[0]!.errorCode}`);
    }
  } finally {
    c.close();
  }
}

/** Log end offsets of every partition (ListOffsets LATEST, read_uncommitted); partitions answering an error are left out. */
async function logEnds(c: RawClient, n: number): Promise<{ ends: Map<number, number>; errors: number }> {
  const partitions = Array.from({ length: n }, (_, p) => ({ partitionIndex: p, currentLeaderEpoch: -1, timestamp: -1n }));
  const res = await slowRequest<ListOffsetsResponse>(c, ApiKey.ListOffsets, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: TOPIC, partitions }] });
  const ends = new Map<number, number>();
  let errors = 0;
  for (const p of res.topics[0]!.partitions) {
    if (p.errorCode === 0) ends.set(p.partitionIndex, Number(p.offset));
    else errors++;
  }
  return { ends, errors };
}

/**
 * Every partition's log end offset is 1 (the record written before the restart survived). After a crash
 * partitions still recovering answer NOT_LEADER_OR_FOLLOWER, so this polls until all answer (or 10 min) and
 * says how long after listening that took.
 */
async function check(b: Broker, n: number): Promise<string> {
  const c = await RawClient.connect(b.port);
  const deadline = Date.now() + 600_000;
  try {
    for (;;) {
      const { ends, errors } = await logEnds(c, n);
      const wrong = [...ends.values()].filter((e) => e !== 1).length;
      if (wrong > 0) return `NOT intact: ${wrong} partitions with a log end other than 1`;
      if (errors === 0) return `all ${n} partitions intact, all served ${((performance.now() - b.listenedAt) / 1000).toFixed(1)} s after listening`;
      if (Date.now() > deadline) return `NOT all served after 10 min: ${errors} partitions still answer an error`;
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    c.close();
  }
}

function row(label: string, b: Broker, checked: string): string {
  const listen = `${(b.listenMs / 1000).toFixed(2)} s`;
  const rss = `${Math.round(b.rssMb)} MB`;
  return `${label.padEnd(34)} listening ${listen.padStart(8)} (target <= ${TARGET_LISTEN_MS / 1000} s: ${b.listenMs <= TARGET_LISTEN_MS ? 'met' : 'NOT met'})   RSS ${rss.padStart(7)} (target <= ${TARGET_RSS_MB} MB: ${b.rssMb <= TARGET_RSS_MB ? 'met' : 'NOT met'})   ${checked}`;
}

async function startupRows(): Promise<void> {
  console.log(`bench:scale start-up, ${os.cpus().length} cores, load ${load()}, ${recordBytes} B per partition`);
  // RSS of an idle broker right after a clean restart, per partition count: the slope is the cost of an idle partition
  const idleRss: Array<{ n: number; mb: number }> = [];
  for (const n of counts) {
    const dir = fs.mkdtempSync(path.join(process.env.BENCH_DIR ?? os.tmpdir(), `brook-bench-scale-${n}-`));
    try {
      const t0 = performance.now();
      let b = await start(dir);
      await fill(b.port, n);
      console.log(`${n} partitions created and written in ${((performance.now() - t0) / 1000).toFixed(1)} s, broker RSS then ${Math.round(rssMb(b.child.pid!))} MB (load ${load()})`);
      await stop(b, 'SIGTERM');
      b = await start(dir);
      idleRss.push({ n, mb: b.rssMb });
      console.log(row(`${n} partitions, after SIGTERM`, b, await check(b, n)));
      await stop(b, 'SIGKILL');
      b = await start(dir);
      console.log(row(`${n} partitions, after kill -9`, b, await check(b, n)));
      await stop(b, 'SIGTERM');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  if (idleRss.length >= 2) {
    const a = idleRss[0]!;
    const z = idleRss[idleRss.length - 1]!;
    const perPartition = ((z.mb - a.mb) * 1024 * 1024) / (z.n - a.n);
    console.log(`idle partition (RSS after a clean restart, ${a.n} vs ${z.n} partitions): ${(perPartition / 1024).toFixed(2)} KB each (target <= 2 KB: ${perPartition <= 2048 ? 'met' : 'NOT met'})`);
  }
}

/** Keyed produce over many partitions, idle connections, groups committing: one broker, fresh data dir. */
async function loadRows(): Promise<void> {
  buildPerf();
  const dir = fs.mkdtempSync(path.join(process.env.BENCH_DIR ?? os.tmpdir(), 'brook-bench-scale-load-'));
  const b = await start(dir);
  try {
    console.log(`bench:scale load, load ${load()}`);
    const bootstrap = `127.0.0.1:${b.port}`;
    // 5 M: with 500,000 over 10,000 partitions (50 per partition) the run is librdkafka filling 10,000 partition queues
    // from empty, with batches of one or two records; from ~5 M its batches and the rate settle (bench/README.md)
    for (const line of await keyedThroughput(bootstrap, b.child.pid!, Number(process.env.SCALE_KEYED_MESSAGES ?? 5_000_000))) console.log(line);
    const checkpointsBefore = b.cleanCheckpoints.count;
    for (const line of await idleConnections(b.port, b.child.pid!, Number(process.env.SCALE_CONNECTIONS ?? 10_000))) console.log(line);
    // the coordinator's CPU, not the checkpoint saving the keyed rows' 10,000 partitions (up to 60 s after they
    // were written, as a checkpoint leaves out logs that changed since its previous pass)
    const t0 = Date.now();
    while (b.cleanCheckpoints.count === checkpointsBefore && Date.now() - t0 < 180_000) await new Promise((r) => setTimeout(r, 500));
    if (b.cleanCheckpoints.count === checkpointsBefore) console.log('  (no checkpoint saved the keyed rows within 180 s: the next row may include one)');
    for (const line of await groupsCommitting(b.port, b.child.pid!, 1000, 10)) console.log(line);
    for (const line of await rawKeyedThroughput(b.port, b.child.pid!)) console.log(line);
  } finally {
    await stop(b, 'SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'src', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` first');
  const parts = (process.env.SCALE_PARTS ?? 'startup,load').split(',');
  if (parts.includes('startup')) await startupRows();
  if (parts.includes('load')) await loadRows();
  if (parts.includes('loop')) for (const row of await idleLoopRows(Math.max(...counts))) console.log(row);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
