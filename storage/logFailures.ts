import type { StorageLogger } from './logger';

/** Failures one pass logs line by line; the rest are counted into one closing line. */
const LOGGED_PER_PASS = 10;

/**
 * The per-log failures of one pass over many logs (close at shutdown, a checkpoint, idle unloading). When the
 * cause is shared, a full disk or a data dir that vanished, every log fails the same way: 100,000 partitions
 * wrote 21,696 identical error lines at one shutdown. The first few are logged with their log, the others only
 * counted, and `done()` says how many there were in all.
 */
export class LogFailures {
  private count = 0;

  constructor(
    private readonly logger: StorageLogger,
    private readonly level: 'warn' | 'error',
    /** The message of each line, e.g. 'closing log failed'. */
    private readonly msg: string,
  ) {}

  add(log: { topic: string; partition: number }, err: unknown): void {
    if (++this.count <= LOGGED_PER_PASS) this.logger[this.level]({ topic: log.topic, partition: log.partition, err: String(err) }, this.msg);
  }

  /** At the end of the pass: one line for the failures not logged on their own. */
  done(): void {
    if (this.count > LOGGED_PER_PASS) this.logger[this.level]({ failed: this.count, notLogged: this.count - LOGGED_PER_PASS }, `${this.msg}: ${this.count} logs in this pass, only the first ${LOGGED_PER_PASS} logged one by one`);
  }
}
