import { ErrorCode } from '../../protocol/errors';
import type { AppendResult, AppendSink, PartitionLog } from '../../storage';
import { appendIdempotent, hasProducerId } from '../txn/idempotentAppend';
import { minInsyncFor } from './config';
import { checkLeader } from './leadership';
import type { PartitionReplica } from './partitionReplica';
import type { LeaderView } from './replicatedBroker';

/** Produce's acks: 0 (no answer), 1 (the leader's append) or -1 (all: the ISR has it). */
export type Acks = 0 | 1 | -1;
export const ACKS_ALL = -1;

export function isAcks(n: number): n is Acks {
  return n === 0 || n === 1 || n === ACKS_ALL;
}

/**
 * A partition this broker may append to right now, found by `PartitionWriter.begin`:
 * it leads it at `leaderEpoch` and, for acks=all, its ISR meets min.insync.replicas.
 */
export interface WriteSlot {
  readonly topic: string;
  readonly partition: number;
  readonly leaderEpoch: number;
  readonly acks: Acks;
  readonly timeoutMs: number;
  /** min.insync.replicas of the topic (1 without replication). */
  readonly minInsync: number;
  /** null without replication (single broker): every partition is led here and nothing waits. */
  readonly replica: PartitionReplica | null;
}

export type SlotResult = { errorCode: 0; slot: WriteSlot } | { errorCode: number; message: string | null };

/**
 * A finished write: where it landed (baseOffset -1 when the coordinator's append chose to write nothing;
 * `duplicate` for an idempotent retry answered with its first copy's offset), or the Kafka error code it gets.
 */
export type WriteOutcome =
  | { errorCode: 0; baseOffset: number; logAppendTime: number; logStartOffset: number; duplicate: boolean }
  | { errorCode: number; message: string | null };

/** Where appendRecordsTo answers: a plain append's result as the log gives it, or the outcome of any other write. */
export interface WriteSink extends AppendSink {
  written(out: WriteOutcome): void;
}

/**
 * The one write path of the broker, for client produces and the coordinators'
 * internal-topic writes alike, in Kafka's order (ReplicaManager.appendRecords
 * -> Partition.appendRecordsToLeader -> delayed produce): only the partition's
 * leader appends; an acks=all write is refused before the append when the ISR
 * is below min.insync.replicas (the topic's config, else the broker default);
 * batches of an idempotent producer pass the sequence checks; the answer waits
 * until the high watermark passes the write for acks=all. Without replication
 * (single broker) the broker leads everything at epoch 0 with itself as the
 * ISR, so the checks pass and nothing waits.
 */
function outcomeOf(res: AppendResult): WriteOutcome {
  return { errorCode: 0, baseOffset: res.baseOffset, logAppendTime: res.logAppendTime, logStartOffset: res.logStartOffset, duplicate: false };
}

export class PartitionWriter {
  constructor(private readonly broker: LeaderView) {}

  /** Kafka's rule: the topic's min.insync.replicas, else the broker's; 1 without replication. */
  minInsync(topic: string, topicConfigs?: Record<string, string>): number {
    const replication = this.broker.replication;
    if (!replication) return 1;
    return minInsyncFor(topicConfigs ?? this.broker.metadata.topic(topic)?.configs ?? {}, replication.config.minInsyncReplicas);
  }

  /**
   * Before anything is read or appended: whether this broker may take the
   * write now. NOT_LEADER_OR_FOLLOWER (and the other leader-check codes) or
   * NOT_ENOUGH_REPLICAS otherwise.
   */
  begin(topic: string, partition: number, acks: Acks, timeoutMs: number, topicConfigs?: Record<string, string>): SlotResult {
    const leader = checkLeader(this.broker, topic, partition);
    if (leader.errorCode !== 0) return { errorCode: leader.errorCode, message: null };
    const replica = leader.replica;
    const minInsync = replica ? this.minInsync(topic, topicConfigs) : 1;
    if (replica && acks === ACKS_ALL && replica.state.isr.length < minInsync) {
      return { errorCode: ErrorCode.NOT_ENOUGH_REPLICAS, message: `${replica.state.isr.length} in-sync replica(s), min.insync.replicas is ${minInsync}` };
    }
    return { errorCode: 0, slot: { topic, partition, leaderEpoch: leader.leaderEpoch, acks, timeoutMs, minInsync, replica } };
  }

  /** False when awaitAcks would answer at once (acks 0/1, or no replication). */
  waitsForAcks(slot: WriteSlot): boolean {
    return slot.replica !== null && slot.acks === ACKS_ALL;
  }

  /**
   * After appending up to `lastOffset`: 0 at once for acks 0/1 or without
   * replication; for acks=all 0 once the ISR has it, else NOT_LEADER_OR_FOLLOWER,
   * NOT_ENOUGH_REPLICAS_AFTER_APPEND or REQUEST_TIMED_OUT.
   */
  awaitAcks(slot: WriteSlot, lastOffset: number): Promise<number> {
    const replica = slot.replica;
    if (!replica || slot.acks !== ACKS_ALL) return Promise.resolve(ErrorCode.NONE);
    // a leader fenced meanwhile (lost metadata session) moves no high watermark: it is not the leader to ask
    if (replica.fenced) return Promise.resolve(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    return replica.waitForReplication(lastOffset, slot.minInsync, slot.timeoutMs);
  }

  /**
   * Produce's append: the batch of an idempotent producer passes the sequence
   * checks (a retry of a recent batch gets its first answer, not a second
   * copy), others are appended as they are; then the acks wait. A
   * StorageError from the log is thrown for the caller to answer.
   */
  appendRecords(
    slot: WriteSlot,
    log: PartitionLog,
    records: Buffer,
    now: number,
    checkTransaction?: (producerId: bigint, epoch: number) => number,
  ): Promise<WriteOutcome> {
    const opts = { now, leaderEpoch: slot.leaderEpoch };
    if (hasProducerId(records)) return this.appendSequenced(slot, log, records, opts, checkTransaction);
    // a plain batch: one promise, the append's own, when nothing waits for replicas
    const appended = log.append(records, opts);
    if (!this.waitsForAcks(slot)) return appended.then(outcomeOf);
    return appended.then(async (res) => {
      const code = await this.awaitAcks(slot, res.lastOffset);
      return code !== 0 ? { errorCode: code, message: null } : outcomeOf(res);
    });
  }

  /**
   * appendRecords answering through `sink`: a plain batch that waits for no
   * replica goes to the log's appendTo (`appended`, no promise per write);
   * others take appendRecords' way and end in `written`. `failed` gets what
   * appendRecords would reject with.
   */
  appendRecordsTo(
    slot: WriteSlot,
    log: PartitionLog,
    records: Buffer,
    now: number,
    checkTransaction: ((producerId: bigint, epoch: number) => number) | undefined,
    sink: WriteSink,
  ): void {
    if (!hasProducerId(records) && !this.waitsForAcks(slot)) return log.appendTo(records, { now, leaderEpoch: slot.leaderEpoch }, sink);
    this.appendRecords(slot, log, records, now, checkTransaction).then(
      (out) => sink.written(out),
      (err: unknown) => sink.failed(err),
    );
  }

  private async appendSequenced(
    slot: WriteSlot,
    log: PartitionLog,
    records: Buffer,
    opts: { now: number; leaderEpoch: number },
    checkTransaction?: (producerId: bigint, epoch: number) => number,
  ): Promise<WriteOutcome> {
    const out = await appendIdempotent(log, records, opts, checkTransaction);
    if (out.kind === 'rejected') return { errorCode: out.errorCode, message: out.message };
    if (out.kind === 'duplicate') {
      const code = await this.awaitAcks(slot, out.baseOffset);
      if (code !== 0) return { errorCode: code, message: null };
      return { errorCode: 0, baseOffset: out.baseOffset, logAppendTime: -1, logStartOffset: log.logStartOffset, duplicate: true };
    }
    const res = out.result;
    if (!this.waitsForAcks(slot)) return outcomeOf(res);
    const code = await this.awaitAcks(slot, res.lastOffset);
    return code !== 0 ? { errorCode: code, message: null } : outcomeOf(res);
  }

  /**
   * A coordinator's write (internal topics, transaction markers) with acks=all:
   * `append` runs only when this broker may write, and the result comes once the
   * ISR has it. `append` returns null when it decided to write nothing.
   */
  async write(topic: string, partition: number, timeoutMs: number, append: (slot: WriteSlot) => Promise<AppendResult | null>): Promise<WriteOutcome> {
    const begun = this.begin(topic, partition, ACKS_ALL, timeoutMs);
    if (!('slot' in begun)) return { errorCode: begun.errorCode, message: begun.message };
    const res = await append(begun.slot);
    // nothing written, nothing to wait for
    if (!res) return { errorCode: 0, baseOffset: -1, logAppendTime: -1, logStartOffset: -1, duplicate: false };
    const code = await this.awaitAcks(begun.slot, res.lastOffset);
    if (code !== 0) return { errorCode: code, message: null };
    return { errorCode: 0, baseOffset: res.baseOffset, logAppendTime: res.logAppendTime, logStartOffset: res.logStartOffset, duplicate: false };
  }
}

const writers = new WeakMap<LeaderView, PartitionWriter>();

/** The broker's writer (stateless beyond the broker it writes for, so one per broker object). */
export function partitionWriter(broker: LeaderView): PartitionWriter {
  let w = writers.get(broker);
  if (!w) writers.set(broker, (w = new PartitionWriter(broker)));
  return w;
}
