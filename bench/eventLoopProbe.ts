/**
 * Preloaded into the broker by bench/produce-consume.ts (node --require): once a
 * second it appends the event loop's delay percentiles and the process's CPU
 * time to the file named by BROOK_PROBE_OUT, so a latency figure can be read
 * next to what the broker's event loop went through at the same moment.
 */
import { appendFileSync, readFileSync } from 'fs';
import { constants, monitorEventLoopDelay, PerformanceObserver, type PerformanceEntry } from 'perf_hooks';

export interface ProbeSample {
  /** Wall clock (ms since the epoch) at the end of the sample. */
  t: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** User + system CPU time in microseconds since the process started. */
  cpuUs: number;
  /**
   * Time the main thread spent runnable but waiting for a CPU, in ms since it
   * started (Linux schedstat; -1 elsewhere): tells a stall caused by other
   * processes on a shared machine from one caused by the broker itself.
   */
  runQueueWaitMs: number;
  /** Mark-compact (major) collections since the probe started, and their total pause in ms. */
  majorGcs?: number;
  majorGcMs?: number;
}

function runQueueWaitMs(): number {
  try {
    // fields: time on CPU, time waiting on a run queue (both ns), time slices
    const fields = readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ');
    return Number(fields[1]) / 1e6;
  } catch {
    return -1;
  }
}

/** Sampling interval; the histogram's values include it, so it is subtracted to leave the excess delay. */
const RESOLUTION_MS = 1;
const excess = (ns: number): number => Math.max(0, ns / 1e6 - RESOLUTION_MS);

const out = process.env.BROOK_PROBE_OUT;
if (out) {
  const delay = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  delay.enable();
  let majorGcs = 0;
  let majorGcMs = 0;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if ((e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind !== constants.NODE_PERFORMANCE_GC_MAJOR) continue;
      majorGcs++;
      majorGcMs += e.duration;
    }
  }).observe({ entryTypes: ['gc'] });
  setInterval(() => {
    const cpu = process.cpuUsage();
    const sample: ProbeSample = {
      t: Date.now(),
      p50Ms: delay.count > 0 ? excess(delay.percentile(50)) : 0,
      p99Ms: delay.count > 0 ? excess(delay.percentile(99)) : 0,
      maxMs: delay.count > 0 ? excess(delay.max) : 0,
      cpuUs: cpu.user + cpu.system,
      runQueueWaitMs: runQueueWaitMs(),
      majorGcs,
      majorGcMs,
    };
    delay.reset();
    appendFileSync(out, JSON.stringify(sample) + '\n');
  }, 1000).unref();
}
