/**
 * acks=1 produce latency of one broker at 50k msgs/s (issue 17's target: p99 <= 1 ms, p99.9 <= 5 ms), on a fresh
 * broker and again after it stored and served a load, with nothing else in the broker's process (no event-loop
 * probe: bench:produce-consume's probe costs about 0.2 ms of p99 by itself).
 *
 *   npm run build && npm run bench:latency [-- --rounds N]
 *
 * The broker is `bin/brook.js start` with its own Node flags (bench/brokerNodeFlags.ts; BENCH_BROKER_NODE_FLAGS=''
 * for Node's defaults), the load tool librdkafka's (bench/out/perf, built on first use: gcc, librdkafka-dev). Each round: 500,000 x 100 B, linger.ms=0, paced at 50,000 msgs/s after the tool's untimed
 * warm-up. The load between the two sets of rounds: 3,000,000 x 100 B and 1,000,000 x 1 KiB produced at full speed
 * and read back by a consumer (about 1.3 GB through the page cache). Under each round: the late wake-ups of a separate
 * idle process meanwhile (bench/stallMeter.ts), which tell the machine's own stalls from the broker's.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Kafka, logLevel } from 'kafkajs';
import { brokerNodeFlags } from './brokerNodeFlags';
import { buildPerf, processCpuMs, runPerf, startBrookDist, type PerfResult } from './perfProduce';
import { describeStalls, StallMeter } from './stallMeter';

const roundsArg = process.argv.indexOf('--rounds');
const ROUNDS = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : 2;
const RATE = 50_000;
const COUNT = 500_000;
const TARGET = { p99Ms: 1, p999Ms: 5 };

function verdict(r: PerfResult): string {
  const met = (r.p99Ms ?? Infinity) <= TARGET.p99Ms && (r.p999Ms ?? Infinity) <= TARGET.p999Ms;
  return met ? 'met' : 'not met';
}

async function main(): Promise<void> {
  buildPerf();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'brook-bench-latency-'));
  const { child, port } = await startBrookDist(path.join(dir, 'data'));
  const bootstrap = `127.0.0.1:${port}`;
  const rows: string[] = [];
  const loadBefore = os.loadavg()[0]!.toFixed(2);
  const meter = StallMeter.start();
  try {
    const admin = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ topics: ['latency', 'load-100', 'load-1k'].map((topic) => ({ topic, numPartitions: 3 })) });
    await admin.disconnect();
    const round = async (label: string) => {
      const cpu0 = processCpuMs(child.pid!);
      const from = Date.now();
      const r = runPerf(['produce', bootstrap, 'latency', String(COUNT), '100', '1', String(RATE), '0']);
      const to = Date.now();
      const cpuPct = ((processCpuMs(child.pid!) - cpu0) / (COUNT / RATE + 1) / 1000) * 100;
      // runPerf blocks this process: the meter's lines of the round are read once the loop runs again
      await new Promise((res) => setTimeout(res, 100));
      rows.push(
        `${label.padEnd(22)} p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, p99.9 ${r.p999Ms} ms, max ${r.maxMs} ms; ` +
          `${Math.round(r.msgsPerSec).toLocaleString('en-US')} msgs/s, ${r.failed ?? 0} failed; broker CPU ~${cpuPct.toFixed(0)}% ` +
          `[target p99 <= ${TARGET.p99Ms} ms, p99.9 <= ${TARGET.p999Ms} ms: ${verdict(r)}]\n${' '.repeat(25)}${describeStalls(meter.between(from, to))}`,
      );
    };
    for (let i = 1; i <= ROUNDS; i++) await round(`fresh broker, round ${i}`);
    const p100 = runPerf(['produce', bootstrap, 'load-100', '3000000', '100', '1', '0']);
    const p1k = runPerf(['produce', bootstrap, 'load-1k', '1000000', '1024', '1', '0']);
    runPerf(['consume', bootstrap, 'load-100', '3000000', '3']);
    runPerf(['consume', bootstrap, 'load-1k', '1000000', '3']);
    rows.push(`load between: ${Math.round(p100.msgsPerSec).toLocaleString('en-US')} msgs/s (100 B), ${Math.round(p1k.msgsPerSec).toLocaleString('en-US')} msgs/s (1 KiB), both read back`);
    for (let i = 1; i <= ROUNDS; i++) await round(`after the load, round ${i}`);
  } finally {
    await meter.stop();
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
