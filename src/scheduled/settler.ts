import type { RecordInput } from '../../protocol/records';
import type { Logger } from '../log';
import type { TopicInfo } from '../metadata/types';
import { Header } from './policy';
import { encodeDelivered, Kind, type ScheduledLogRecord } from './records';
import { SCHEDULED_PARTITION } from './scheduleLog';
import type { Targets } from './targets';

/** A delivery round written to the journal and not yet confirmed by a DELIVERED record. */
export interface Intent {
  topic: string;
  partition: number;
  targetLogEnd: number;
  offsets: Float64Array;
}

/** What the settler needs of its scheduler: the open intents, the journal, and the one place state changes. */
export interface SettleHost {
  intent(offset: number): Intent | undefined;
  journal(records: RecordInput[]): Promise<number>;
  apply(offset: number, r: ScheduledLogRecord): void;
  topic(name: string): TopicInfo | undefined;
  active(): boolean;
  /** The background work list ran empty (or the host stopped): the host re-arms its timer. */
  idle(): void;
}

const RETRY_MS = 1000;

/**
 * Settles INTENTs that have no DELIVERED: reads the target partition from the intent's recorded log end to
 * its committed log end (Targets.readHeaders) and writes DELIVERED for exactly the schedules whose
 * `brook-scheduled-offset` is there. At load for what a crash left open; at run time, in the background,
 * for a round whose append failed or timed out or whose DELIVERED was not written, retried every second
 * until the target can tell (a new leader elected, its high watermark up to its log end), while other
 * targets keep being delivered.
 */
export class Settler {
  private readonly unsettled = new Set<number>();
  private running = false;

  constructor(
    private readonly host: SettleHost,
    private readonly targets: Targets,
    private readonly logger: Logger,
  ) {}

  /** Settles one intent now; throws when its target cannot be read yet. */
  async settle(intentOffset: number, intent: Intent): Promise<void> {
    const found = await this.findDelivered(intent);
    const at = await this.host.journal([encodeDelivered(intentOffset, found)]);
    this.host.apply(at, { kind: Kind.DELIVERED, intentOffset, offsets: Float64Array.from(found) });
    if (found.length > 0 || intent.offsets.length > 0) this.logger.info({ topic: intent.topic, partition: intent.partition, intended: intent.offsets.length, found: found.length }, 'settled an interrupted scheduled delivery');
  }

  /** Hands an intent to the background settle (its round is over without a DELIVERED). */
  later(intentOffset: number): void {
    this.unsettled.add(intentOffset);
    if (this.running) return;
    this.running = true;
    void this.run();
  }

  /** A DELIVERED for the intent was applied (by its round or a settle). */
  done(intentOffset: number): void {
    this.unsettled.delete(intentOffset);
  }

  private async run(): Promise<void> {
    while (this.host.active() && this.unsettled.size > 0) {
      let failed = false;
      for (const o of [...this.unsettled]) {
        const intent = this.host.intent(o);
        if (!intent) {
          this.unsettled.delete(o);
          continue;
        }
        try {
          await this.settle(o, intent);
        } catch (err) {
          failed = true;
          this.logger.warn({ topic: intent.topic, partition: intent.partition, err: (err as Error).message }, 'scheduled delivery: cannot settle an unconfirmed round yet; retrying');
        }
        if (!this.host.active()) break;
      }
      if (failed && this.host.active()) await new Promise((r) => setTimeout(r, RETRY_MS));
    }
    this.running = false;
    this.host.idle();
  }

  /** Which of the intent's schedules are in the target partition past the intent's recorded log end. */
  private async findDelivered(intent: Intent): Promise<number[]> {
    const topic = this.host.topic(intent.topic);
    if (!topic) return [];
    const want = new Set(intent.offsets);
    const prefix = `${SCHEDULED_PARTITION}:`;
    const out = new Set<number>();
    await this.targets.readHeaders(topic, intent.partition, intent.targetLogEnd, (headers) => {
      for (const h of headers) {
        if (h.key !== Header.SCHEDULED_OFFSET) continue;
        const v = h.value ? h.value.toString('utf8') : '';
        if (!v.startsWith(prefix)) continue;
        const o = Number(v.slice(prefix.length));
        if (want.has(o)) out.add(o);
      }
    });
    return [...out];
  }
}
