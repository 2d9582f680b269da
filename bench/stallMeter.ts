/**
 * A separate, nearly idle process (bench/native/stallmeter.c, built into bench/out with gcc) that wakes every 2 ms
 * and notes when a wake-up comes late, so a benchmark round's worst latencies can be read against what the machine
 * itself did meanwhile. For each late wake-up it also notes how much of the delay its thread spent runnable but
 * waiting for a CPU (Linux schedstat): a delay that is mostly such waiting is other work on the machine's cores; one
 * with little of it is the process not being run at all although it was ready, which no process inside the machine
 * causes (a virtual machine's CPU not being scheduled by its host, a kernel stall).
 */
import { execFileSync, spawn, type ChildProcess } from 'child_process';
import * as os from 'os';
import * as path from 'path';
import { createInterface } from 'readline';
import { buildC } from './nativeBuild';

/** A wake-up this much later than due is reported (bench/native/stallmeter.c sleeps 2 ms at a time). */
const LATE_MS = 5;
const SOURCE = path.join(__dirname, 'native', 'stallmeter.c');
const METER = path.join(__dirname, 'out', 'stallmeter');

interface LateWake {
  /** Wall clock (ms) when the late wake-up ran. */
  t: number;
  lateMs: number;
  /** Of the delay, time spent runnable waiting for a CPU (-1: unknown). */
  runQueueMs: number;
}

export interface StallSummary {
  /** Late wake-ups (over 5 ms) in the window. */
  count: number;
  worstMs: number;
  /** Of the worst one, the time spent waiting for a CPU. */
  worstRunQueueMs: number;
}

/**
 * One meter process per CPU, each pinned to its CPU with `taskset` (util-linux) where it exists: a virtual CPU that
 * its host does not run stalls only the processes on it, which a meter on the other CPU would not see.
 */
export class StallMeter {
  private readonly children: ChildProcess[] = [];
  private readonly late: LateWake[] = [];

  private constructor(cpus: number) {
    const pin = cpus > 1 && hasTaskset();
    for (let cpu = 0; cpu < (pin ? cpus : 1); cpu++) {
      const child = pin
        ? spawn('taskset', ['-c', String(cpu), METER], { stdio: ['ignore', 'pipe', 'ignore'] })
        : spawn(METER, [], { stdio: ['ignore', 'pipe', 'ignore'] });
      this.children.push(child);
      createInterface({ input: child.stdout! }).on('line', (l) => {
        try {
          this.late.push(JSON.parse(l) as LateWake);
        } catch {
          // not a report line
        }
      });
    }
  }

  static start(): StallMeter {
    buildC(SOURCE, METER);
    return new StallMeter(os.cpus().length);
  }

  /** Late wake-ups between `from` and `to` (wall clock ms). Lines may arrive a moment late: call after a short wait. */
  between(from: number, to: number): StallSummary {
    let worst: LateWake | null = null;
    let count = 0;
    for (const w of this.late) {
      if (w.t < from || w.t > to) continue;
      count++;
      if (!worst || w.lateMs > worst.lateMs) worst = w;
    }
    return { count, worstMs: worst?.lateMs ?? 0, worstRunQueueMs: worst?.runQueueMs ?? 0 };
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.children.map((child) => {
        if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
        const gone = new Promise<void>((r) => child.once('exit', () => r()));
        child.kill('SIGTERM');
        return gone;
      }),
    );
  }
}

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** One line for a round: what a separate process on the same machine saw meanwhile. */
export function describeStalls(s: StallSummary): string {
  if (s.count === 0) return `machine: no wake-up of an idle process (one per CPU) over ${LATE_MS} ms late`;
  const rq = s.worstRunQueueMs >= 0 ? `, ${s.worstRunQueueMs.toFixed(1)} ms of it waiting for a CPU` : '';
  return `machine: ${s.count} wake-up(s) of an idle process (one per CPU) over ${LATE_MS} ms late, worst ${s.worstMs.toFixed(1)} ms${rq}`;
}
