/**
 * The idle part of bench:scale (SCALE_PARTS=loop): one broker from dist/ with the event-loop probe preloaded
 * (bench/eventLoopProbe.ts) creates a topic of N partitions (the largest of SCALE_PARTITIONS), writes three keyed
 * records per partition (pre-encoded requests, bench/rawKeyedProduce.ts), then does nothing more: first while its
 * log checkpoints save the written partitions (until one leaves nothing dirty), then SCALE_IDLE_SECONDS (default
 * 30) with everything saved, when only its timers run (maintenance every second, idle unloading every 10 s).
 * Printed for both stretches: the worst event-loop delay of each second (median, max, how many over 5 ms, the
 * acks=1 p99.9 target, and over 20 ms), next to the broker's CPU and the time it waited for a CPU (on a busy
 * 2-core machine a few ms of delay come from the machine).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { Kafka, logLevel } from 'kafkajs';
import { brokerNodeFlags } from './brokerNodeFlags';
import type { ProbeSample } from './eventLoopProbe';
import { startBrookDist } from './perfProduce';
import { rawKeyedProduce } from './rawKeyedProduce';

const STALL_MS = 5;

export async function idleLoopRows(partitions: number, idleSeconds = Number(process.env.SCALE_IDLE_SECONDS ?? 30)): Promise<string[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'brook-bench-idle-loop-'));
  const probeOut = `${dir}.probe.jsonl`;
  const probe = path.join(__dirname, '..', 'dist', 'bench', 'eventLoopProbe.js');
  const saved = { flags: process.env.BENCH_BROKER_NODE_FLAGS, out: process.env.BROOK_PROBE_OUT };
  process.env.BENCH_BROKER_NODE_FLAGS = [...brokerNodeFlags(), '--require', probe].join(' ');
  process.env.BROOK_PROBE_OUT = probeOut;
  const { child, port } = await startBrookDist(dir, ['--set', 'brook.max.partitions.per.topic=200000']);
  restore('BENCH_BROKER_NODE_FLAGS', saved.flags);
  restore('BROOK_PROBE_OUT', saved.out);
  const checkpoints: Array<{ saved: number; stillDirty: number; ms: number; at: number }> = [];
  createInterface({ input: child.stdout! }).on('line', (l) => {
    if (!l.includes('log checkpoint written')) return;
    const m = JSON.parse(l) as { saved: number; stillDirty: number; ms: number };
    checkpoints.push({ saved: m.saved, stillDirty: m.stillDirty, ms: m.ms, at: Date.now() });
  });
  try {
    const admin = new Kafka({ brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING, requestTimeout: 600_000 }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'idle-loop', numPartitions: partitions }], timeout: 600_000 });
    await admin.disconnect();
    await rawKeyedProduce(port, 'idle-loop', partitions, partitions * 3);
    // the probe's sample that covers the end of the writes is not idle: start with the next one
    const written = Date.now() + 1000;
    // first the checkpoints that save the written logs (the scheduler's passes wait for them), then the idle state
    const deadline = Date.now() + 600_000;
    while (!checkpoints.some((c) => c.stillDirty === 0) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 500));
    const saved = Date.now() + 1000;
    await new Promise((resolve) => setTimeout(resolve, idleSeconds * 1000 + 1000));
    const samples = fs
      .readFileSync(probeOut, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as ProbeSample);
    const load = os.loadavg().map((l) => l.toFixed(1)).join(' ');
    return [
      `idle broker, ${partitions.toLocaleString('en-US')} partitions written once, while checkpoints save them: ${describe(samples.filter((s) => s.t > written && s.t <= saved))}`,
      `  checkpoints: ${checkpoints.map((c) => `${c.saved.toLocaleString('en-US')} logs saved in ${(c.ms / 1000).toFixed(1)} s`).join('; ') || 'none'}`,
      `idle broker, ${partitions.toLocaleString('en-US')} partitions, everything saved: ${describe(samples.filter((s) => s.t > saved))} (load ${load})`,
    ];
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(probeOut, { force: true });
  }
}

function restore(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

/** Per-second worst event-loop delays of a stretch, with the broker's CPU and its wait for a CPU meanwhile. */
function describe(samples: ProbeSample[]): string {
  if (samples.length < 2) return 'too short to tell';
  const first = samples[0]!;
  const last = samples[samples.length - 1]!;
  const maxima = samples.map((s) => s.maxMs).sort((a, b) => a - b);
  const seconds = (last.t - first.t) / 1000;
  return (
    `${samples.length} s, event-loop delay (worst of each second) median ${maxima[Math.floor(maxima.length / 2)]!.toFixed(1)} ms, max ${maxima[maxima.length - 1]!.toFixed(1)} ms, ` +
    `${maxima.filter((m) => m > STALL_MS).length} s over ${STALL_MS} ms, ${maxima.filter((m) => m > 20).length} over 20 ms; broker CPU ${((last.cpuUs - first.cpuUs) / 1e4 / seconds).toFixed(0)}% of a core, ` +
    `${(last.runQueueWaitMs - first.runQueueWaitMs).toFixed(0)} ms waiting for a CPU`
  );
}
