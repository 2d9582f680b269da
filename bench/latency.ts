/**
 * acks=1 produce latency of one broker at 50k msgs/s (issue 17's target: p99 <= 1 ms, p99.9 <= 5 ms), on a fresh
 * broker and again after it stored and served a load, with nothing else in the broker's process (no event-loop
 * probe: bench:produce-consume's probe costs about 0.2 ms of p99 by itself).
 *
 *   npm run build && npm run bench:latency [-- --rounds N]
 *
 * The broker is `bin/brook.js start` with its own Node flags (bench/brokerNodeFlags.ts; BENCH_BROKER_NODE_FLAGS=''
 * for Node's defaults), the load tool librdkafka's (bench/out/perf: build it with `npm run bench:produce-consume
 * -- --quick` once). Each round: 500,000 x 100 B, linger.ms=0, paced at 50,000 msgs/s after the tool's untimed
 * warm-up. The load between the two sets of rounds: 3,000,000 x 100 B and 1,000,000 x 1 KiB produced at full speed
 * and read back by a consumer (about 1.3 GB through the page cache).
 */
import { execFileSync, spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createInterface } from 'readline';
import { Kafka, logLevel } from 'kafkajs';
import { brokerNodeFlags } from './brokerNodeFlags';

const ROOT = path.join(__dirname, '..');
const PERF = path.join(ROOT, 'bench', 'out', 'perf');
const CLI = path.join(ROOT, 'bin', 'brook.js');
const roundsArg = process.argv.indexOf('--rounds');
const ROUNDS = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : 2;
const RATE = 50_000;
const COUNT = 500_000;
const TARGET = { p99Ms: 1, p999Ms: 5 };

interface PerfResult {
  messages: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  msgsPerSec: number;
  failed?: number;
}

function perf(args: string[]): PerfResult {
  const out = execFileSync(PERF, args, { encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split('\n').pop()!) as PerfResult;
}

/** CPU time (user + system, ms) the process used so far. */
function cpuMs(pid: number): number {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function startBroker(dataDir: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [...brokerNodeFlags(), CLI, 'start', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`brook exited with ${code} before listening`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const m = JSON.parse(line) as { msg?: string; port?: number };
        if (m.msg === 'listening' && typeof m.port === 'number') resolve(m.port);
      } catch {
        // not a log line
      }
    });
  });
  return { child, port };
}

function verdict(r: PerfResult): string {
  const met = r.p99Ms <= TARGET.p99Ms && r.p999Ms <= TARGET.p999Ms;
  return met ? 'met' : 'not met';
}

async function main(): Promise<void> {
  if (!fs.existsSync(PERF)) throw new Error(`${PERF} is missing: run npm run bench:produce-consume -- --quick once to build it`);
  if (!fs.existsSync(path.join(ROOT, 'dist', 'src', 'cli', 'main.js'))) throw new Error('dist/ is missing: npm run build');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'brook-bench-latency-'));
  const { child, port } = await startBroker(path.join(dir, 'data'));
  const bootstrap = `127.0.0.1:${port}`;
  const rows: string[] = [];
  const loadBefore = os.loadavg()[0]!.toFixed(2);
  try {
    const admin = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ topics: ['latency', 'load-100', 'load-1k'].map((topic) => ({ topic, numPartitions: 3 })) });
    await admin.disconnect();
    const round = (label: string) => {
      const cpu0 = cpuMs(child.pid!);
      const r = perf(['produce', bootstrap, 'latency', String(COUNT), '100', '1', String(RATE), '0']);
      const cpuPct = ((cpuMs(child.pid!) - cpu0) / (COUNT / RATE + 1) / 1000) * 100;
      rows.push(
        `${label.padEnd(22)} p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, p99.9 ${r.p999Ms} ms, max ${r.maxMs} ms; ` +
          `${Math.round(r.msgsPerSec).toLocaleString('en-US')} msgs/s, ${r.failed ?? 0} failed; broker CPU ~${cpuPct.toFixed(0)}% ` +
          `[target p99 <= ${TARGET.p99Ms} ms, p99.9 <= ${TARGET.p999Ms} ms: ${verdict(r)}]`,
      );
    };
    for (let i = 1; i <= ROUNDS; i++) round(`fresh broker, round ${i}`);
    const p100 = perf(['produce', bootstrap, 'load-100', '3000000', '100', '1', '0']);
    const p1k = perf(['produce', bootstrap, 'load-1k', '1000000', '1024', '1', '0']);
    perf(['consume', bootstrap, 'load-100', '3000000', '3']);
    perf(['consume', bootstrap, 'load-1k', '1000000', '3']);
    rows.push(`load between: ${Math.round(p100.msgsPerSec).toLocaleString('en-US')} msgs/s (100 B), ${Math.round(p1k.msgsPerSec).toLocaleString('en-US')} msgs/s (1 KiB), both read back`);
    for (let i = 1; i <= ROUNDS; i++) round(`after the load, round ${i}`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(`\nBrook acks=1 latency at ${RATE.toLocaleString('en-US')} msgs/s, 100 B, linger.ms=0 (${os.cpus().length} cores, broker flags: ${brokerNodeFlags().join(' ') || 'Node defaults'})`);
  console.log(`  load average before ${loadBefore}, after ${os.loadavg()[0]!.toFixed(2)}; ${new Date().toISOString()}`);
  for (const r of rows) console.log(`  ${r}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
