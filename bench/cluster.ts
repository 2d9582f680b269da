/**
 * Cluster bench: produce throughput and latency with replication factor 3 on
 * three local brokers against replication factor 1 on the same brokers, and
 * failover time (kill -9 of a partition leader to the first acknowledged
 * produce on its successor) with default settings.
 *
 *   npm run build && npm run bench:cluster [-- --quick]   (CLUSTER_LATENCY_RATES=1000,2000 adds RF=3 latency rows;
 *   CLUSTER_IDLE_MS: the idle spell before the last RF=3 row, default 15000; -- --latency-only: the paced rows
 *   without the throughput and failover parts; CLUSTER_SET=k=v,k=v: more broker properties, for A/B runs). Each
 *   paced row ends with what idle processes pinned to each CPU saw meanwhile (bench/stallMeter.ts);
 *   BENCH_STOP_SIGNAL=TERM stops the brokers with SIGTERM rather than SIGKILL, so a --cpu-prof in
 *   BENCH_BROKER_NODE_FLAGS gets written).
 *
 * Brokers run from dist/ as separate processes (`bin/brook.js start`) sharing
 * one etcd (Debian's etcd-server) on loopback ports; load comes from the
 * librdkafka tool of bench/produce-consume.ts (bench/out/perf, built there:
 * run `npm run bench:produce-consume -- --quick` once if it is missing). On a
 * 2-core machine three brokers, etcd and the client share the cores, so the
 * figures are the price of replication on one box, not of a real cluster.
 */
import { execFileSync, spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createInterface } from 'readline';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { ApiKey } from '../protocol/generated/apis';
import type { ProduceResponse } from '../protocol/generated/messages/ProduceResponse';
import { BrokerClient } from '../src/replication/brokerClient';
import { startEtcd, type TestEtcd } from '../test/helpers/etcd';
import { buildBatch } from '../test/storage/helpers';
import { brokerNodeFlags } from './brokerNodeFlags';
import { describeStalls, StallMeter } from './stallMeter';

const ROOT = path.join(__dirname, '..');
const PERF = path.join(ROOT, 'bench', 'out', 'perf');
const CLI = path.join(ROOT, 'bin', 'brook.js');
const quick = process.argv.includes('--quick');
/** --latency-only: the paced rows alone, on brokers that have not run a throughput load first (a small heap) */
const latencyOnly = process.argv.includes('--latency-only');

interface PerfResult {
  messages: number;
  seconds: number;
  msgsPerSec: number;
  mbPerSec: number;
  p50Ms?: number;
  p99Ms?: number;
  maxMs?: number;
  warmupMessages?: number;
  failed?: number;
}

interface Node {
  id: number;
  dir: string;
  port: number;
  child: ChildProcess;
}

function perf(args: string[]): PerfResult {
  const out = execFileSync(PERF, args, { encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split('\n').pop()!) as PerfResult;
}

async function startNode(id: number, etcd: TestEtcd, dir: string): Promise<Node> {
  const args = [CLI, 'start', '--port', '0', '--data-dir', dir];
  for (const [k, v] of Object.entries({ 'metadata.backend': 'etcd', 'etcd.endpoints': etcd.endpoint, 'etcd.prefix': '/bench', 'node.id': String(id), 'offsets.topic.num.partitions': '3' })) {
    args.push('--set', `${k}=${v}`);
  }
  for (const kv of (process.env.CLUSTER_SET ?? '').split(',').filter(Boolean)) args.push('--set', kv);
  const child = spawn(process.execPath, [...brokerNodeFlags(), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`broker ${id} not listening: ${stderr}`)), 30_000);
    child.once('exit', (code) => reject(new Error(`broker ${id} exited (${code}): ${stderr}`)));
    createInterface({ input: child.stdout! }).on('line', (l) => {
      try {
        const m = JSON.parse(l) as { msg?: string; port?: number };
        if (m.msg === 'listening' && typeof m.port === 'number') {
          clearTimeout(timer);
          resolve(m.port);
        }
      } catch {
        // not a log line
      }
    });
  });
  return { id, dir, port, child };
}

function kill9(n: Node): Promise<void> {
  if (n.child.exitCode !== null || n.child.signalCode !== null) return Promise.resolve();
  const gone = new Promise<void>((r) => n.child.once('exit', () => r()));
  n.child.kill(process.env.BENCH_STOP_SIGNAL === 'TERM' ? 'SIGTERM' : 'SIGKILL');
  return gone;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** CPU time (user + system) the brokers used so far, in ms: work per message is steadier than latency on a shared machine. */
function brokersCpuMs(nodes: Node[]): number {
  const tick = 1000 / 100; // USER_HZ
  let ms = 0;
  for (const n of nodes) {
    if (n.child.pid === undefined || n.child.exitCode !== null) continue;
    // fields after the command name (which may hold spaces): utime and stime are the 12th and 13th
    const stat = fs.readFileSync(`/proc/${n.child.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ms += (Number(fields[11]) + Number(fields[12])) * tick;
  }
  return ms;
}

/** One acks=all produce of a one-record batch straight to `port`; true when acknowledged. */
async function produceOnce(port: number, topic: string, record: Buffer): Promise<boolean> {
  let client: BrokerClient | null = null;
  try {
    client = await BrokerClient.connect('127.0.0.1', port, 'bench-failover', 500);
    const res = await client.request<ProduceResponse>(ApiKey.Produce, 9, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 1000,
      topicData: [{ name: topic, partitionData: [{ index: 0, records: Buffer.from(record) }] }],
    });
    return res.responses[0]!.partitionResponses[0]!.errorCode === 0;
  } catch {
    return false;
  } finally {
    client?.close();
  }
}

/**
 * Failover rows: kill -9 of a leader to the first acknowledged acks=all write on a survivor, and what a paced
 * librdkafka producer sees across the kill of its partition's leader. Disconnects `admin`.
 */
async function failoverRows(admin: Admin, nodes: Node[]): Promise<Array<[string, string]>> {
  const rows: Array<[string, string]> = [];
  // failover: kill -9 the leader, then ask every survivor until one acknowledges an acks=all write
  const md = await admin.fetchTopicMetadata({ topics: ['failover'] });
  const leaderId = md.topics.find((t) => t.name === 'failover')!.partitions[0]!.leader;
  await admin.disconnect();
  const leader = nodes.find((x) => x.id === leaderId)!;
  const survivors = nodes.filter((x) => x !== leader);
  const record = buildBatch([{ value: 'failover-probe' }]);
  if (!(await produceOnce(leader.port, 'failover', record))) throw new Error('failover topic not writable before the kill');
  const killedAt = Date.now();
  await kill9(leader);
  let servedBy = -1;
  while (servedBy < 0 && Date.now() - killedAt < 60_000) {
    for (const s of survivors) {
      if (await produceOnce(s.port, 'failover', record)) {
        servedBy = s.id;
        break;
      }
    }
    if (servedBy < 0) await new Promise((r) => setTimeout(r, 20));
  }
  const failoverMs = Date.now() - killedAt;

  rows.push([
    'failover: kill -9 of the leader to first acks=all produce on the new leader',
    servedBy < 0 ? 'no new leader within 60 s' : `${fmt(failoverMs)} ms (broker.session.timeout.ms=3000 default, new leader ${servedBy})`,
  ]);

  // what a client sees: a paced librdkafka producer (acks=all) across the kill of its partition's leader
  // (one of the two survivors); its worst delivery latency is how long its messages waited for a new leader
  const admin2 = new Kafka({ brokers: survivors.map((x) => `127.0.0.1:${x.port}`), logLevel: logLevel.NOTHING }).admin();
  await admin2.connect();
  const md2 = await admin2.fetchTopicMetadata({ topics: ['failover-client'] });
  await admin2.disconnect();
  const clientLeader = survivors.find((x) => x.id === md2.topics[0]!.partitions[0]!.leader)!;
  const paced = spawn(PERF, ['produce', survivors.map((x) => `127.0.0.1:${x.port}`).join(','), 'failover-client', String(1000 * 12), '100', '-1', '1000', '0'], { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, PERF_WARMUP_MS: '0' } });
  let pacedOut = '';
  paced.stdout!.on('data', (d) => (pacedOut += d));
  const pacedDone = new Promise<void>((r) => paced.once('exit', () => r()));
  await new Promise((r) => setTimeout(r, 3000));
  await kill9(clientLeader);
  await pacedDone;
  const r = JSON.parse(pacedOut.trim().split('\n').pop()!) as PerfResult;
  rows.push(['client-visible failover: librdkafka 1k msgs/s, acks=all, leader killed', `max delivery latency ${fmt(r.maxMs ?? -1)} ms, p99 ${r.p99Ms} ms, ${r.failed ?? 0} failed of ${r.messages}`]);
  return rows;
}

async function main(): Promise<void> {
  if (!fs.existsSync(PERF)) throw new Error(`${PERF} is missing: run npm run bench:produce-consume -- --quick once to build it`);
  if (!fs.existsSync(path.join(ROOT, 'dist', 'src', 'cli', 'main.js'))) throw new Error('dist/ is missing: npm run build');
  const etcd = await startEtcd();
  const meter = StallMeter.start();
  const nodes: Node[] = [];
  const rows: Array<[string, string]> = [];
  try {
    for (const id of [1, 2, 3]) nodes.push(await startNode(id, etcd, fs.mkdtempSync(path.join(os.tmpdir(), `brook-bench-node${id}-`))));
    const bootstrap = nodes.map((n) => `127.0.0.1:${n.port}`).join(',');
    const admin = new Kafka({ brokers: bootstrap.split(','), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        { topic: 'rf1', numPartitions: 3, replicationFactor: 1 },
        { topic: 'rf3', numPartitions: 3, replicationFactor: 3 },
        { topic: 'failover', numPartitions: 1, replicationFactor: 3 },
        { topic: 'failover-client', numPartitions: 1, replicationFactor: 3 },
      ],
      waitForLeaders: true,
    });
    const n = quick ? 100_000 : 400_000;
    for (const topic of latencyOnly ? [] : ['rf1', 'rf3']) {
      const t = perf(['produce', bootstrap, topic, String(n), '100', '-1', '0']);
      rows.push([`produce 100 B, acks=all, ${topic === 'rf1' ? 'RF=1' : 'RF=3'} (3 partitions)`, `${fmt(t.msgsPerSec)} msgs/s, ${t.mbPerSec} MB/s (${t.messages} msgs, ${t.failed ?? 0} failed)`]);
    }
    const seconds = quick ? 3 : 10;
    // CLUSTER_LATENCY_RATES: more paced rates for the RF=3 row (the target's 5,000 is always run, for both)
    const extraRates = (process.env.CLUSTER_LATENCY_RATES ?? '').split(',').filter(Boolean).map(Number);
    // what the three brokers use doing nothing (replica fetches of the internal topics, etcd leases), so the
    // per-message figures below can be read against it
    const idleFrom = brokersCpuMs(nodes);
    const idleT0 = performance.now();
    await new Promise((r) => setTimeout(r, 3000));
    const idleCpuPct = ((brokersCpuMs(nodes) - idleFrom) / (performance.now() - idleT0)) * 100;
    rows.push(['brokers idle (3 s, no clients)', `${idleCpuPct.toFixed(1)}% of one core for the three`]);
    // the last row runs after the brokers sat idle (CLUSTER_IDLE_MS, default 15 s): what a burst after a quiet spell
    // meets (V8 shrinks an idle process's young generation; src/cli/nodeFlags.ts)
    const idleMs = Number(process.env.CLUSTER_IDLE_MS ?? (quick ? 5000 : 15_000));
    const runs: Array<[string, number, number]> = [
      ['rf1', 5000, 0],
      ['rf3', 5000, 0],
      ...extraRates.filter((r) => r !== 5000).map((r): [string, number, number] => ['rf3', r, 0]),
      ['rf3', 5000, idleMs],
    ];
    for (const [topic, rate, idleBefore] of runs) {
      if (idleBefore > 0) await new Promise((r) => setTimeout(r, idleBefore));
      const cpuBefore = brokersCpuMs(nodes);
      const from = Date.now();
      const l = perf(['produce', bootstrap, topic, String(rate * seconds), '100', '-1', String(rate), '0']);
      const to = Date.now();
      // perf() blocks this process: the meter's lines of the row are read once the loop runs again
      await new Promise((r) => setTimeout(r, 100));
      // the perf run includes its untimed warm-up at the same rate
      const cpuUsPerMsg = ((brokersCpuMs(nodes) - cpuBefore) * 1000) / (l.messages + (l.warmupMessages ?? 0));
      rows.push([
        `latency at ${fmt(rate)} msgs/s, acks=all, linger.ms=0, ${topic === 'rf1' ? 'RF=1' : 'RF=3'}${idleBefore > 0 ? `, after ${idleBefore / 1000} s idle` : ''}`,
        `p50 ${l.p50Ms} ms, p99 ${l.p99Ms} ms, max ${l.maxMs} ms; brokers' CPU ${fmt(cpuUsPerMsg)} µs per message (after ${fmt(l.warmupMessages ?? 0)} untimed); ${describeStalls(meter.between(from, to))}`,
      ]);
    }

    if (latencyOnly) await admin.disconnect();
    else rows.push(...(await failoverRows(admin, nodes)));
  } finally {
    await Promise.all(nodes.map(kill9));
    for (const x of nodes) fs.rmSync(x.dir, { recursive: true, force: true });
    await etcd.stop();
    await meter.stop();
  }
  const width = Math.max(...rows.map((r) => r[0].length));
  console.log(`cluster bench (${os.cpus().length} cores, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')})`);
  for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
