import { ErrorCode } from '../../protocol/errors';
import type { BrokerServices } from '../handlers/types';
import { awaitReplicated } from '../replication/leadership';

/** A coordinator's write to its internal topic failed with this Kafka error code (before or after the local append). */
export class CoordinatorWriteError extends Error {
  constructor(
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'CoordinatorWriteError';
  }
}

/** The Kafka error code of a failed coordinator write; other failures (storage) count as COORDINATOR_NOT_AVAILABLE. */
export function writeErrorCode(err: unknown): number {
  return err instanceof CoordinatorWriteError ? err.errorCode : ErrorCode.COORDINATOR_NOT_AVAILABLE;
}

export interface ReplicatedWritesOptions {
  /** How long a write may wait for the ISR (offsets.commit.timeout.ms, request.timeout.ms). */
  timeoutMs: number;
  /** min.insync.replicas of a partition of the topic, given its replica count. */
  minInsync: (replicas: number) => number;
}

/**
 * The coordinators' writes to `__consumer_offsets` / `__transaction_state`
 * with Kafka's acks=all: refused before the append when this broker does not
 * lead the partition or its ISR is below min.insync.replicas, and confirmed
 * only once the high watermark passed the write. Without replication (single
 * broker) both checks pass at once and nothing waits.
 */
export class ReplicatedWrites {
  constructor(
    private readonly services: Pick<BrokerServices, 'replication' | 'metadata'>,
    private readonly topic: string,
    private readonly opts: ReplicatedWritesOptions,
  ) {}

  get replicated(): boolean {
    return this.services.replication !== undefined;
  }

  private minInsync(partition: number): number {
    const replicas = this.services.metadata.partitionState(this.topic, partition)?.replicas.length ?? 1;
    return Math.max(1, this.opts.minInsync(replicas));
  }

  /** Before appending: 0, NOT_LEADER_OR_FOLLOWER or NOT_ENOUGH_REPLICAS. */
  check(partition: number): number {
    const replication = this.services.replication;
    if (!replication) return ErrorCode.NONE;
    const replica = replication.replica(this.topic, partition);
    if (!replica || replica.role !== 'leader') return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    if (replica.state.isr.length < this.minInsync(partition)) return ErrorCode.NOT_ENOUGH_REPLICAS;
    return ErrorCode.NONE;
  }

  /** After appending up to `lastOffset`: 0 once the ISR has it, else the replication error code. */
  awaitIsr(partition: number, lastOffset: number): Promise<number> {
    if (!this.services.replication) return Promise.resolve(ErrorCode.NONE);
    return awaitReplicated(this.services as BrokerServices, this.topic, partition, lastOffset, this.opts.timeoutMs, this.minInsync(partition));
  }

  /** Throws CoordinatorWriteError for a non-zero code. */
  static ok(code: number, what: string): void {
    if (code !== ErrorCode.NONE) throw new CoordinatorWriteError(code, `${what} failed with error ${code}`);
  }
}
