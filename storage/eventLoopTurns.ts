/**
 * Passes over every log (idle unloading, the periodic cleaning check) give the event loop a turn after this many
 * logs, so a request arriving meanwhile waits for a slice, not for the whole pass: 100,000 logs in one go held
 * it ~23 ms (bench/README.md).
 */
const LOGS_PER_TURN = 1000;

/** Counts the logs a pass visited; every LOGS_PER_TURN-th call returns a promise to await (a setImmediate turn). */
export class EventLoopTurns {
  private visited = 0;

  constructor(private readonly every = LOGS_PER_TURN) {}

  next(): Promise<void> | null {
    if (++this.visited % this.every !== 0) return null;
    return new Promise<void>((resolve) => setImmediate(resolve));
  }
}
