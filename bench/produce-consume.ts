/**
 * Produce/consume throughput and latency of a Brook broker driven by librdkafka.
 *
 *   npm run build && npm run bench:produce-consume [-- --quick]
 *
 * Needs gcc and librdkafka-dev (apt-get install -y librdkafka-dev) to build the
 * C load tool in bench/rdkafka/perf.c. Brook runs as a separate process from
 * dist/, as a user would run it, so the broker and the client each get a core.
 * Add --cpu-prof to write a CPU profile of the broker into bench/out/.
 *
 * The broker is preloaded with bench/eventLoopProbe (from dist/), so the latency
 * row also shows the broker's event-loop delay and CPU use during that run, and
 * the machine's load average: on a shared machine those explain outliers.
 * Add --priority to give this session's scheduler group (Linux autogroup, so
 * the broker and the load tool) nice -10 for the run (needs root): on a machine
 * shared with other work, that approximates a dedicated one. Plain `nice` would
 * not do: with autogroups it only ranks processes within one session.
 */
import { execFileSync, spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Kafka, logLevel } from 'kafkajs';
import type { ProbeSample } from './eventLoopProbe';
import { brokerNodeFlags } from './brokerNodeFlags';
import { buildPerf, PERF } from './perfProduce';

const ROOT = path.join(__dirname, '..');
const OUT = path.join(ROOT, 'bench', 'out');
const PROBE = path.join(ROOT, 'dist', 'bench', 'eventLoopProbe.js');
const quick = process.argv.includes('--quick');
const cpuProf = process.argv.includes('--cpu-prof');
const priority = process.argv.includes('--priority');
const AUTOGROUP = '/proc/self/autogroup';

/** Sets this session's autogroup nice value; returns the previous one. */
function setAutogroupNice(nice: number): number {
  const before = Number(/nice\s+(-?\d+)/.exec(fs.readFileSync(AUTOGROUP, 'utf8'))?.[1] ?? 0);
  fs.writeFileSync(AUTOGROUP, String(nice));
  return before;
}

interface PerfResult {
  mode: string;
  messages: number;
  seconds: number;
  msgsPerSec: number;
  mbPerSec: number;
  p50Ms?: number;
  p99Ms?: number;
  p999Ms?: number;
  maxMs?: number;
  failed?: number;
  lingerMs?: string;
  batchNumMessages?: string;
  batchSize?: string;
}

function buildLoadTool(): void {
  try {
    buildPerf();
  } catch {
    console.error('cannot build the librdkafka load tool: apt-get install -y gcc librdkafka-dev');
    process.exit(2);
  }
}

function startBrook(dataDir: string, probeOut: string): Promise<{ child: ChildProcess; port: number }> {
  const args = [path.join(ROOT, 'bin', 'brook.js'), 'start', '--port', '0', '--data-dir', dataDir];
  const nodeArgs = [...brokerNodeFlags(), ...(cpuProf ? ['--cpu-prof', '--cpu-prof-dir', OUT] : [])];
  if (fs.existsSync(PROBE)) nodeArgs.push('--require', PROBE);
  else console.error(`no ${PROBE} (run npm run build): event-loop figures will be missing`);
  const child = spawn(process.execPath, [...nodeArgs, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, BROOK_PROBE_OUT: probeOut },
  });
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString();
      for (const line of buf.split('\n')) {
        try {
          const entry = JSON.parse(line) as { msg?: string; port?: number };
          if (entry.port && /listening/i.test(entry.msg ?? '')) {
            child.stdout!.off('data', onData);
            child.stdout!.resume();
            resolve({ child, port: entry.port });
            return;
          }
        } catch {
          /* partial line */
        }
      }
    };
    child.stdout!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`brook exited with ${code} before listening`)));
  });
}

function perf(args: string[]): PerfResult {
  const out = execFileSync(PERF, args, { encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split('\n').pop()!) as PerfResult;
}

async function createTopic(bootstrap: string, topic: string, partitions: number): Promise<void> {
  const admin = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }] });
  await admin.disconnect();
}

/** The broker's event-loop delay and CPU use between two wall-clock instants, from the probe's samples. */
function brokerDuring(probeOut: string, from: number, to: number): string {
  if (!fs.existsSync(probeOut)) return 'broker event loop: not probed';
  const samples = fs
    .readFileSync(probeOut, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as ProbeSample);
  const inside = samples.filter((s) => s.t > from && s.t <= to + 1000);
  const before = samples.filter((s) => s.t <= from).pop();
  if (inside.length === 0 || !before) return 'broker event loop: too few samples';
  const last = inside[inside.length - 1];
  const cpuPct = ((last.cpuUs - before.cpuUs) / 1000 / (last.t - before.t)) * 100;
  const worstP99 = Math.max(...inside.map((s) => s.p99Ms));
  const worstMax = Math.max(...inside.map((s) => s.maxMs));
  // how much of the run the broker's main thread was ready to work but had no CPU (other processes had it)
  const waitPct = last.runQueueWaitMs >= 0 ? ((last.runQueueWaitMs - before.runQueueWaitMs) / (last.t - before.t)) * 100 : NaN;
  const worstWait = Math.max(...inside.map((s, i) => s.runQueueWaitMs - (i === 0 ? before : inside[i - 1]).runQueueWaitMs));
  // mark-compacts are what recycled fetch read buffers avoid (issue 17): counted, not timed
  const gcs = last.majorGcs !== undefined && before.majorGcs !== undefined ? `; ${last.majorGcs - before.majorGcs} mark-compacts (${(last.majorGcMs! - before.majorGcMs!).toFixed(0)} ms)` : '';
  return (
    `broker event-loop delay p99 (worst second) ${worstP99.toFixed(1)} ms, max ${worstMax.toFixed(1)} ms; ` +
    `broker CPU ${cpuPct.toFixed(0)}%, waiting for a CPU ${waitPct.toFixed(0)}% (worst second ${worstWait.toFixed(0)} ms)${gcs}`
  );
}

/** Waits (up to 3 s) for the probe's sample that covers the end of a run. */
async function probeSampleAfter(probeOut: string, t: number): Promise<void> {
  const deadline = Date.now() + 3000;
  while (Date.now() < deadline) {
    const text = fs.existsSync(probeOut) ? fs.readFileSync(probeOut, 'utf8').trim() : '';
    const last = text.length > 0 ? (JSON.parse(text.slice(text.lastIndexOf('\n') + 1)) as ProbeSample) : null;
    if (last && last.t > t) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

function loadAverage(): string {
  return os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

async function main(): Promise<void> {
  buildLoadTool();
  const restoreNice = priority ? setAutogroupNice(-10) : null;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'brook-bench-'));
  const probeOut = path.join(dataDir, 'probe.jsonl');
  const { child, port } = await startBrook(path.join(dataDir, 'data'), probeOut);
  const loadBefore = loadAverage();
  const bootstrap = `127.0.0.1:${port}`;
  const rows: Array<[string, string]> = [];
  try {
    const n100 = quick ? 300_000 : 3_000_000;
    const n1k = quick ? 100_000 : 1_000_000;
    const partitions = 3;
    await createTopic(bootstrap, 'bench-100', partitions);
    await createTopic(bootstrap, 'bench-1k', partitions);
    await createTopic(bootstrap, 'bench-latency', partitions);

    const p100 = perf(['produce', bootstrap, 'bench-100', String(n100), '100', '1', '0']);
    rows.push([
      `produce 100 B, acks=1, linger.ms=${p100.lingerMs}`,
      `${fmt(p100.msgsPerSec)} msgs/s, ${p100.mbPerSec} MB/s (${p100.messages} msgs)`,
    ]);
    // The broker's CPU during a consume run tells whether it or the client limits the rate.
    const consume = async (topic: string, n: number, label: string) => {
      const from = Date.now();
      const c = perf(['consume', bootstrap, topic, String(n), String(partitions)]);
      const to = Date.now();
      await probeSampleAfter(probeOut, to);
      rows.push([label, `${fmt(c.msgsPerSec)} msgs/s, ${c.mbPerSec} MB/s`]);
      rows.push(['  during that run', brokerDuring(probeOut, from, to)]);
    };
    await consume('bench-100', n100, 'consume 100 B');

    const p1k = perf(['produce', bootstrap, 'bench-1k', String(n1k), '1024', '1', '0']);
    rows.push([`produce 1 KiB, acks=1, linger.ms=${p1k.lingerMs}`, `${fmt(p1k.msgsPerSec)} msgs/s, ${p1k.mbPerSec} MB/s (${p1k.messages} msgs)`]);
    await consume('bench-1k', n1k, 'consume 1 KiB');

    const seconds = quick ? 3 : 10;
    for (const linger of ['0', '1']) {
      const from = Date.now();
      const lat = perf(['produce', bootstrap, 'bench-latency', String(50_000 * seconds), '100', '1', '50000', linger]);
      const to = Date.now();
      await probeSampleAfter(probeOut, to);
      rows.push([
        `produce latency at 50k msgs/s (100 B, acks=1, linger.ms=${lat.lingerMs})`,
        `p50 ${lat.p50Ms} ms, p99 ${lat.p99Ms} ms, p99.9 ${lat.p999Ms} ms, max ${lat.maxMs} ms (${fmt(lat.msgsPerSec)} msgs/s reached)`,
      ]);
      rows.push(['  during that run', brokerDuring(probeOut, from, to)]);
    }
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    fs.rmSync(dataDir, { recursive: true, force: true });
    if (restoreNice !== null) setAutogroupNice(restoreNice);
  }
  const mode = priority ? ', broker and client in an autogroup at nice -10' : '';
  console.log(`\nBrook produce/consume bench (${os.cpus().length} cores, librdkafka ${libVersion()}${mode}):`);
  console.log(`  load average before ${loadBefore}, after ${loadAverage()}`);
  for (const [k, v] of rows) console.log(`  ${k.padEnd(48)} ${v}`);
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function libVersion(): string {
  try {
    return execFileSync('kcat', ['-V'], { encoding: 'utf8' }).match(/librdkafka ([\d.]+)/)?.[1] ?? '?';
  } catch {
    return '?';
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
