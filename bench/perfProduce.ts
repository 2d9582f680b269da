/** The librdkafka load tool (bench/rdkafka/perf.c) and a Brook child process, shared by the produce-cost benches. */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { brokerNodeFlags } from './brokerNodeFlags';
import { buildC } from './nativeBuild';

const ROOT = path.join(__dirname, '..');
export const PERF = path.join(ROOT, 'bench', 'out', 'perf');

/** Builds bench/out/perf when missing or older than its source (needs gcc and librdkafka-dev). */
export function buildPerf(): void {
  buildC(path.join(ROOT, 'bench', 'rdkafka', 'perf.c'), PERF, ['-lrdkafka']);
}

/** `brook start` from src/ on a free port; resolves at its "listening" log line. */
export function startBrook(dataDir: string): Promise<{ child: ChildProcess; port: number }> {
  const args = ['start', '--port', '0', '--data-dir', dataDir];
  return untilListening(spawn(process.execPath, ['--import', 'tsx', '-e', `require('./src/cli/main').main(${JSON.stringify(args)})`], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] }));
}

/** `bin/brook.js start` from dist/ on 127.0.0.1, any free port, with the broker's Node flags (as users run it). */
export function startBrookDist(dataDir: string, extraArgs: readonly string[] = []): Promise<{ child: ChildProcess; port: number }> {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'src', 'cli', 'main.js'))) throw new Error('dist/ is missing: npm run build');
  const args = [...brokerNodeFlags(), path.join(ROOT, 'bin', 'brook.js'), 'start', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir, ...extraArgs];
  return untilListening(spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] }));
}

function untilListening(child: ChildProcess): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (l) => {
      try {
        const m = JSON.parse(l) as { msg?: string; port?: number };
        if (m.port && /listening/i.test(m.msg ?? '')) resolve({ child, port: m.port });
      } catch {
        // not a log line
      }
    });
    child.on('exit', (code) => reject(new Error(`brook exited with ${code} before listening`)));
  });
}

/** What the load tool prints (one JSON line); latency fields only for paced runs. */
export interface PerfResult {
  messages: number;
  failed?: number;
  msgsPerSec: number;
  p50Ms?: number;
  p99Ms?: number;
  p999Ms?: number;
  maxMs?: number;
  /** The timed part, seconds. */
  seconds?: number;
  /** Paced runs: messages sent at the same rate before the timed part. */
  warmupMessages?: number;
  /** Produce runs: CPU seconds over the timed part of the tool's main (application) thread, and of its busiest librdkafka broker thread. */
  mainThreadCpuS?: number;
  busiestBrokerThread?: string;
  busiestBrokerThreadCpuS?: number;
}

/** Runs the load tool with `args` (perf produce|consume ..., see bench/rdkafka/perf.c). */
export function runPerf(args: string[], env: Record<string, string> = {}): PerfResult {
  const out = execFileSync(PERF, args, { encoding: 'utf8', maxBuffer: 1 << 20, env: { ...process.env, ...env } });
  return JSON.parse(out.trim().split('\n').pop()!) as PerfResult;
}

/** CPU time (user + system, ms) process `pid` used so far. */
export function processCpuMs(pid: number): number {
  // fields after the command name (which may hold spaces): utime and stime are the 12th and 13th, in 1/100 s
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** `messages` 100 B records with acks=1 through perf; `env` picks keyed (PERF_KEYED) or tagged (PERF_TAGGED) ones. */
export function perfMsgsPerSec(bootstrap: string, topic: string, messages: number, env: Record<string, string>): number {
  return runPerf(['produce', bootstrap, topic, String(messages), '100', '1', '0'], env).msgsPerSec;
}
