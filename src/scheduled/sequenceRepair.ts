import { ErrorCode } from '../../protocol/errors';
import type { RecordInput } from '../../protocol/records';
import type { Logger } from '../log';
import type { TopicInfo } from '../metadata/types';
import { encodeSequenced, Kind, type ScheduledLogRecord } from './records';
import type { SequenceLedger } from './sequenceLedger';
import { sequenceBatch } from './sequencedIntake';
import type { Targets } from './targets';

/** What the repair needs of the scheduler. */
export interface RepairHost {
  readonly sequences: SequenceLedger;
  readonly targets: Targets;
  journal(records: RecordInput[]): Promise<number>;
  apply(offset: number, r: ScheduledLogRecord): void;
  topic(name: string): TopicInfo | undefined;
  readonly logger: Logger;
  now(): number;
  active(): boolean;
}

/** A produce normally appends the sequences within its own request: only entries older than this are repaired. */
export const REPAIR_AFTER_MS = 2000;
/** A gap that does not close in this long: the producer gave up on the batches before (delivery.timeout.ms is 2 min). */
const GIVE_UP_AFTER_MS = 5 * 60_000;
/** The partition has moved past these sequences, or the producer's epoch is gone: no retry of them can come. */
const SETTLED_BY = new Set<number>([ErrorCode.INVALID_PRODUCER_EPOCH, ErrorCode.PRODUCER_FENCED, ErrorCode.UNKNOWN_PRODUCER_ID, ErrorCode.INVALID_PRODUCER_ID_MAPPING, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);

const running = new WeakSet<RepairHost>();
/** Entries whose repair failed once already: one log line per entry, not one a second. */
const warned = new WeakSet<object>();

/**
 * Writes the sequences of scheduled batches that their produce did not get into their partition (the broker
 * died or the append failed between the two writes), through that partition's producer state: appended, or
 * a duplicate when the produce (or a retry) got there first; either way SEQUENCED goes to the journal and
 * the ledger forgets the entry. Safe at any time, even racing the produce: the producer state orders both.
 */
export async function repairSequences(host: RepairHost, ageMs = REPAIR_AFTER_MS): Promise<void> {
  if (running.has(host) || host.sequences.size === 0) return;
  running.add(host);
  try {
    const now = host.now();
    for (const e of host.sequences.stale(now, ageMs)) {
      if (!host.active()) return;
      const info = host.topic(e.tag.topic);
      const code = !info || e.tag.partition >= info.partitions ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : await host.targets.appendSequence(info, e.tag.partition, sequenceBatch(e.tag, now), now);
      const giveUp = code !== 0 && (SETTLED_BY.has(code) || (code === ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER && now - e.since > GIVE_UP_AFTER_MS));
      if (code !== 0 && !giveUp) {
        if (!warned.has(e)) host.logger.warn({ topic: e.tag.topic, partition: e.tag.partition, producerId: String(e.tag.producerId), firstSeq: e.tag.firstSeq, errorCode: code }, 'scheduled batch: recording its producer sequences in its partition failed; retrying');
        warned.add(e);
        continue;
      }
      if (giveUp) host.logger.warn({ topic: e.tag.topic, partition: e.tag.partition, producerId: String(e.tag.producerId), firstSeq: e.tag.firstSeq, errorCode: code }, 'scheduled batch: its sequences cannot be recorded in its partition any more; no retry of it can come');
      const at = await host.journal([encodeSequenced(e.producedOffset)]);
      host.apply(at, { kind: Kind.SEQUENCED, producedOffset: e.producedOffset });
    }
  } catch (err) {
    host.logger.warn({ err: (err as Error).message }, 'scheduled delivery: recording producer sequences failed; retrying');
  } finally {
    running.delete(host);
  }
}
