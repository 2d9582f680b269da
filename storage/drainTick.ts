import { SETTLED } from './settled';

/** What the tick drains: a partition's append pipeline (./appendPipeline.ts). */
export interface TickDrained {
  drainQueued(): void;
}

/**
 * Pipelines with appends queued this tick, drained by one shared microtask. A produce touching thousands of
 * partitions then costs one microtask, not a promise and a closure per partition (bench/README.md).
 */
let queue: TickDrained[] = [];
let tick: Promise<void> | null = null;

/** Drains `p` in this tick's microtask, after the appends made before it; resolves once that microtask ran. */
export function queueDrain(p: TickDrained): Promise<void> {
  queue.push(p);
  return (tick ??= SETTLED.then(drainAll));
}

function drainAll(): void {
  // a drain may queue appends again (a published write's caller appending): those wait for the next tick
  const queued = queue;
  queue = [];
  tick = null;
  for (let i = 0; i < queued.length; i++) {
    try {
      queued[i]!.drainQueued();
    } catch (err) {
      // a bug: an unhandled rejection as before this queue was shared, and the other pipelines still drain
      void Promise.reject(err);
    }
  }
}
