import { ErrorCode } from '../../protocol/errors';
import type { Clock } from './clock';
import type { GroupConfig } from './config';
import type { TopicPartitionKey, OffsetStore } from './offsetStore';
import { decodeOffsetsTopicKey } from './offsetsTopicRecords';
import type { GroupStateLog } from './stateLog';
import { encodeGroupRecord, offsetRecord, type GroupRecord, type TopicIds } from './groupRecords';
import { groupWriteError } from './writeErrors';
import type { TxnOffsetOrder } from './txnOffsetOrder';
import type { PendingTxnRecords } from './replayOffsetsLog';
import type { CommitParams, OffsetToCommit, PartitionResult } from './coordinatorTypes';

/** What the transactional offsets need from the group coordinator that owns them. */
export interface TxnOffsetsHost {
  readonly clock: Clock;
  readonly config: GroupConfig;
  readonly offsets: OffsetStore;
  readonly topicIds: TopicIds;
  readonly stateLog: GroupStateLog | null;
  readonly order: TxnOffsetOrder;
  /** The group exists (an offsets-only classic group is created if none does). */
  ensureGroup(groupId: string): void;
  /** Writes offset records and replays them once acknowledged; `plain` false for a transaction's offsets. */
  writeOffsets(p: CommitParams, plain: boolean): Promise<PartitionResult[]>;
  writeFailed(groupId: string, operation: string, err: unknown): void;
  writeLogged(groupId: string, operation: string, records: readonly GroupRecord[]): Promise<void>;
}

/**
 * Offsets committed inside transactions (TxnOffsetCommit, KIP-447): staged until
 * the transaction's marker, then written or forgotten, with Kafka's rule that a
 * plain commit made after the staging wins over the staged offset.
 */
export class TransactionalOffsets {
  constructor(private readonly host: TxnOffsetsHost) {}

  /**
   * Offsets of a committed transaction (TxnOffsetCommit): checked when they
   * were staged, written now as they are, except those a plain commit made
   * after the staging replaced (Kafka's ordering rule; needs `producerId`).
   */
  async commitTransactionalOffsets(groupId: string, offsets: readonly OffsetToCommit[], producerId?: bigint): Promise<PartitionResult[]> {
    let apply = offsets;
    if (producerId !== undefined) {
      const fresh = this.host.order.resolve(groupId, producerId, offsets);
      apply = offsets.filter((_o, i) => fresh[i]);
    }
    this.host.ensureGroup(groupId);
    const results = await this.host.writeOffsets({ groupId, generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, offsets: apply }, false);
    const skipped = offsets.filter((o) => !apply.includes(o)).map((o) => ({ topic: o.topic, partition: o.partition, errorCode: ErrorCode.NONE }));
    return [...results, ...skipped];
  }

  /** TxnOffsetCommit staged these offsets of `producerId` (single broker: in the transaction coordinator). */
  noteStagedOffsets(groupId: string, producerId: bigint, keys: readonly TopicPartitionKey[]): void {
    this.host.order.noteStaged(groupId, producerId, keys);
  }

  /** Transactional offset records a replay found with no marker yet, per producer. */
  notePendingRecords(pending: PendingTxnRecords): void {
    for (const [producerId, records] of pending) {
      for (const r of records) {
        const key = decodeOffsetsTopicKey(r.key);
        if (key?.kind === 'offset') this.host.order.noteStaged(key.group, producerId, [key]);
      }
    }
  }

  /** The transaction of `producerId` aborted: its staged offsets of `groupId` are forgotten. */
  forgetStagedOffsets(groupId: string, producerId: bigint, keys: readonly TopicPartitionKey[]): void {
    this.host.order.resolve(groupId, producerId, keys);
  }

  /**
   * Cluster mode TxnOffsetCommit: writes the offsets to the group's partition
   * as the producer's transactional batch (replicated before this resolves);
   * the group sees them only once the transaction's commit marker lands.
   * NONE, OFFSET_METADATA_TOO_LARGE, `fencedCode` for an older producer epoch
   * than the partition has seen, or the write's error code.
   */
  async stageTransactionalOffsets(groupId: string, producerId: bigint, producerEpoch: number, offsets: readonly OffsetToCommit[], fencedCode: number): Promise<number> {
    const { clock, config, stateLog, topicIds } = this.host;
    const now = clock.now();
    if (!stateLog?.appendTransactional) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (offsets.some((o) => Buffer.byteLength(o.metadata ?? '') > config.offsetMetadataMaxBytes)) return ErrorCode.OFFSET_METADATA_TOO_LARGE;
    // Replayed at the transaction's COMMIT marker (replayOffsetsLog), not now.
    const records = offsets.map((o) => encodeGroupRecord(offsetRecord(groupId, o.topic, o.partition, { offset: o.offset, leaderEpoch: o.leaderEpoch, metadata: o.metadata ?? '', commitTimestamp: now, expireTimestamp: -1 }), topicIds));
    if (records.length === 0) return ErrorCode.NONE;
    try {
      if (!(await stateLog.appendTransactional(groupId, producerId, producerEpoch, records, now))) return fencedCode;
      this.host.order.noteStaged(groupId, producerId, offsets);
      return ErrorCode.NONE;
    } catch (err) {
      this.host.writeFailed(groupId, 'txn-offset-stage', err);
      return groupWriteError(err);
    }
  }

  /**
   * After an abort marker: writes the group's committed offsets of these
   * partitions again (a tombstone where there is none), so the newest record
   * of each key in the compacted topic is a committed one and compaction never
   * keeps only the aborted transactional record.
   */
  async rewriteCommittedOffsets(groupId: string, keys: readonly TopicPartitionKey[], producerId?: bigint): Promise<void> {
    if (producerId !== undefined) this.host.order.resolve(groupId, producerId, keys);
    const records = keys.map(({ topic, partition }) => offsetRecord(groupId, topic, partition, this.host.offsets.get(groupId, topic, partition) ?? null));
    // The abort itself is durable in the marker already: a failed rewrite costs only this compaction guard.
    await this.host.writeLogged(groupId, 'rewrite-after-abort', records);
  }
}
