import { buildRecordBatch, type RecordInput } from '../../protocol/records';
import type { PartitionLog } from '../../storage';
import { scanJournal, type JournalRecord } from './replayScan';
import type { BrokerServices } from '../handlers/types';
import { SCHEDULED_TOPIC } from '../internalTopics/names';
import { partitionWriter, type Acks, type WriteOutcome } from '../replication/partitionWriter';
import { CoordinatorWriteError } from '../internalTopics/writeErrors';
import { ensureInternalTopic, internalMinInsync, internalReplicationFactor } from '../metadata/internalTopicReplicas';
import type { TopicInfo } from '../metadata/types';
import { decodeScheduledRecord, Kind, type ScheduledLogRecord } from './records';

/** One partition: one scheduler per cluster, on its leader (see docs/ARCHITECTURE.md, "Scheduled delivery"). */
export const SCHEDULED_PARTITION = 0;

/**
 * Replicated like __consumer_offsets in a cluster (offsets.topic.replication.factor replicas; acks=all needs 2 of 3,
 * one less than the replicas when fewer).
 */
export function scheduledTopicOptions(services: BrokerServices) {
  const rf = internalReplicationFactor(services);
  return {
    partitions: 1,
    internal: true as const,
    ...(services.clustered ? { replicationFactor: rf } : {}),
    configs: {
      'cleanup.policy': 'delete',
      'retention.ms': '-1',
      'retention.bytes': '-1',
      'max.message.bytes': '67108864',
      ...(services.clustered ? { 'min.insync.replicas': String(internalMinInsync(rf)) } : {}),
    },
  };
}

/**
 * Creates `__brook_scheduled` if needed; in a cluster only once as many brokers are alive as its replication
 * factor (a MetadataError until then, which produce answers with the retriable NOT_ENOUGH_REPLICAS).
 */
export async function ensureScheduledTopic(services: BrokerServices): Promise<TopicInfo> {
  const existing = services.metadata.topic(SCHEDULED_TOPIC);
  if (existing) return existing;
  if (services.clustered) return ensureInternalTopic(services.metadata, SCHEDULED_TOPIC, scheduledTopicOptions(services));
  return services.metadata.ensureTopic(SCHEDULED_TOPIC, scheduledTopicOptions(services));
}


/**
 * The scheduler's storage: `__brook_scheduled`, a plain append log (not compacted, not aged out: the
 * scheduler moves its start past what is resolved). Every write goes through the broker's PartitionWriter.
 */
export class ScheduleLog {
  private log: PartitionLog | null = null;

  constructor(private readonly services: BrokerServices, private readonly writeTimeoutMs: number) {}

  async open(): Promise<PartitionLog> {
    if (this.log) return this.log;
    await ensureScheduledTopic(this.services);
    // create() also opens (and after a crash recovers) a log found at start, so its offsets are known before replay
    this.log = await this.services.logs.create(SCHEDULED_TOPIC, SCHEDULED_PARTITION, { cleanupPolicy: 'delete', retentionMs: -1, retentionBytes: -1 });
    return this.log;
  }

  get opened(): PartitionLog | null {
    return this.log;
  }

  /** A produce's schedules, under the producer's acks (a client write: same rules as any produce). */
  async appendForProducer(records: RecordInput[], acks: Acks, timeoutMs: number, now: number): Promise<WriteOutcome> {
    const writer = partitionWriter(this.services);
    const begun = writer.begin(SCHEDULED_TOPIC, SCHEDULED_PARTITION, acks, timeoutMs);
    if (!('slot' in begun)) return { errorCode: begun.errorCode, message: begun.message };
    const log = await this.open();
    return writer.appendRecords(begun.slot, log, buildRecordBatch({ records, baseTimestamp: BigInt(now) }), now);
  }

  /** The scheduler's own journal writes (acks=all); throws CoordinatorWriteError when not durable. */
  async appendJournal(records: RecordInput[]): Promise<number> {
    const log = await this.open();
    const writer = partitionWriter(this.services);
    const out = await writer.write(SCHEDULED_TOPIC, SCHEDULED_PARTITION, this.writeTimeoutMs, () => log.append(buildRecordBatch({ records })));
    if (out.errorCode !== 0 || !('baseOffset' in out)) throw new CoordinatorWriteError(out.errorCode, `${SCHEDULED_TOPIC} write failed with error ${out.errorCode}`);
    return out.baseOffset;
  }

  /**
   * Every record from the log start; SCHEDULE records yield only what the index needs, read in place, so a
   * replay of a million pending schedules costs no object per record.
   */
  async replay(
    onSchedule: (offset: number, due: number, keyHash: number, topic: string) => void,
    onOther: (offset: number, r: ScheduledLogRecord) => void,
    onMarker: (offset: number, producerId: bigint, epoch: number, commit: boolean) => void = () => undefined,
  ): Promise<void> {
    const log = await this.open();
    await scanJournal(log, (offset, { key, value }) => {
      if (!key || key.length === 0) return;
      if (key[0] === Kind.SCHEDULE) {
        const n = key.readUInt16BE(25);
        onSchedule(offset, key.readDoubleBE(1), key.readInt32BE(21), key.toString('utf8', 27, 27 + n));
        return;
      }
      const rec = decodeScheduledRecord(key, value);
      if (rec) onOther(offset, rec);
    }, { onControl: onMarker });
  }

  /**
   * The records at `offsets` (sorted ascending), headers included, read in as few sequential reads as they
   * allow: after each read the walk jumps to the next wanted offset. The buffers are views of the read.
   */
  async readAt(offsets: number[]): Promise<Map<number, JournalRecord>> {
    const out = new Map<number, JournalRecord>();
    if (offsets.length === 0) return out;
    const log = await this.open();
    const wanted = new Set(offsets);
    let i = 0;
    await scanJournal(
      log,
      (offset, r) => {
        if (wanted.has(offset)) out.set(offset, r);
      },
      {
        from: offsets[0],
        readBytes: 'round',
        withHeaders: (offset) => wanted.has(offset),
        stop: (next) => {
          while (i < offsets.length && offsets[i]! < next) i++;
          return i < offsets.length ? Math.max(next, offsets[i]!) : null;
        },
      },
    );
    return out;
  }
}
