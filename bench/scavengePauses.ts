/**
 * Young-generation collections (scavenges) of a broker under the acks=1 latency load, with and without V8's
 * parallel scavenger: how long each pause is, how much time they take in all, and the rounds' latency next to
 * issue 17's target (p99 <= 1 ms, p99.9 <= 5 ms at 50k msgs/s).
 *
 *   npm run build && npm run bench:scavenge [-- --pairs N]   (default 3)
 *
 * Each pair starts two brokers one after the other (`bin/brook.js start` from dist/ with the broker's Node flags,
 * src/cli/nodeFlags.ts, plus --trace-gc): one with --no-parallel-scavenge (the broker's own setting), one with
 * --parallel-scavenge (V8's default), alternating so a machine that gets busier meets both alike. Each broker
 * takes three rounds of 500,000 x 100 B paced at 50,000 msgs/s, linger.ms=0 (bench/out/perf, as bench:latency);
 * the scavenges counted are those of the rounds, not of the start-up. The broker's trace goes to a file: the load
 * tool blocks this process, and a pipe left unread would stall the broker's writes to it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { BROKER_NODE_FLAGS } from '../src/cli/nodeFlags';
import { buildPerf, processCpuMs, runPerf } from './perfProduce';

const ROOT = path.join(__dirname, '..');
const pairsArg = process.argv.indexOf('--pairs');
const PAIRS = pairsArg > 0 ? Number(process.argv[pairsArg + 1]) : 3;
const ROUNDS = 3;
const RATE = 50_000;
const COUNT = 500_000;
const SERIAL = '--no-parallel-scavenge';
const PARALLEL = '--parallel-scavenge';

/** "… Scavenge 15.6 (22.4) -> 12.4 (22.4) MB, 0.33 / 0.00 ms …": the pause is the first figure after "MB,". */
const SCAVENGE = /Scavenge\b.*?MB, ([\d.]+) \//;

function scavengePauses(log: string): number[] {
  const out: number[] = [];
  for (const line of log.split('\n')) {
    const m = SCAVENGE.exec(line);
    if (m) out.push(Number(m[1]));
  }
  return out;
}

async function untilListening(logFile: string, child: ChildProcess): Promise<number> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`broker exited with ${child.exitCode}`);
    const m = /"msg":"listening"[^\n]*"port":(\d+)|"port":(\d+)[^\n]*"msg":"listening"/.exec(fs.readFileSync(logFile, 'utf8'));
    if (m) return Number(m[1] ?? m[2]);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('broker not listening after 30 s');
}

interface Run {
  flag: string;
  rounds: string[];
  pauses: number[];
  cpuUsPerMsg: number;
}

async function runBroker(flag: string): Promise<Run> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'brook-bench-scavenge-'));
  const logFile = path.join(dir, 'broker.log');
  const out = fs.openSync(logFile, 'w');
  const flags = [...BROKER_NODE_FLAGS.filter((f) => f !== SERIAL && f !== PARALLEL), flag, '--trace-gc'];
  const child = spawn(process.execPath, [...flags, path.join(ROOT, 'bin', 'brook.js'), 'start', '--host', '127.0.0.1', '--port', '0', '--data-dir', path.join(dir, 'data')], { stdio: ['ignore', out, 'inherit'] });
  fs.closeSync(out);
  try {
    const port = await untilListening(logFile, child);
    const bootstrap = `127.0.0.1:${port}`;
    const admin = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'latency', numPartitions: 3 }] });
    await admin.disconnect();
    const before = scavengePauses(fs.readFileSync(logFile, 'utf8')).length;
    const cpu0 = processCpuMs(child.pid!);
    const rounds: string[] = [];
    let messages = 0;
    for (let i = 0; i < ROUNDS; i++) {
      const r = runPerf(['produce', bootstrap, 'latency', String(COUNT), '100', '1', String(RATE), '0']);
      messages += r.messages + (r.warmupMessages ?? 0);
      const met = (r.p99Ms ?? Infinity) <= 1 && (r.p999Ms ?? Infinity) <= 5;
      rounds.push(`p99 ${r.p99Ms} / p99.9 ${r.p999Ms} ms${met ? ' (met)' : ''}`);
    }
    const cpuUsPerMsg = ((processCpuMs(child.pid!) - cpu0) * 1000) / messages;
    const pauses = scavengePauses(fs.readFileSync(logFile, 'utf8')).slice(before);
    return { flag, rounds, pauses, cpuUsPerMsg };
  } finally {
    child.kill('SIGTERM');
    if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function describe(run: Run): string {
  const s = [...run.pauses].sort((a, b) => a - b);
  const sum = s.reduce((a, b) => a + b, 0);
  return (
    `${run.flag.padEnd(22)} ${String(s.length).padStart(4)} scavenges, ${sum.toFixed(1).padStart(6)} ms in all; pause p50 ${quantile(s, 0.5).toFixed(2)}, ` +
    `p90 ${quantile(s, 0.9).toFixed(2)}, p99 ${quantile(s, 0.99).toFixed(2)}, max ${(s[s.length - 1] ?? NaN).toFixed(2)} ms; ` +
    `broker CPU ${run.cpuUsPerMsg.toFixed(1)} µs/msg; rounds: ${run.rounds.join(', ')}`
  );
}

async function main(): Promise<void> {
  buildPerf();
  console.log(`scavenge pauses at ${RATE.toLocaleString('en-US')} msgs/s, acks=1, linger.ms=0 (${os.cpus().length} cores, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; target per round p99 <= 1 ms, p99.9 <= 5 ms)`);
  for (let i = 0; i < PAIRS; i++) {
    // alternate which goes first, so neither always meets the machine after the other's load
    const order = i % 2 === 0 ? [SERIAL, PARALLEL] : [PARALLEL, SERIAL];
    for (const flag of order) console.log(`  ${new Date().toISOString().slice(11, 19)} ${describe(await runBroker(flag))}`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
