import type { PartitionLog } from '../../storage';
import type { AbortedTxn } from '../../storage/txnIndex';
import type { TopicInfo } from '../metadata/types';

/** One partition a fetch will answer for. */
export interface FetchTarget {
  topicName: string;
  topicId: Buffer;
  partition: number;
  /** Null when the topic could not be resolved; errorCode says why. */
  topic: TopicInfo | null;
  errorCode: number;
  fetchOffset: number;
  maxBytes: number;
  currentLeaderEpoch: number;
  /**
   * Fetch v18+ from a follower (KIP-1166): the high watermark it knows; undefined when not sent
   * (older versions, or Kafka's "not supported" value). -1 means the follower does not know it.
   */
  replicaHighWatermark?: number;
}

export interface PartitionRead {
  target: FetchTarget;
  errorCode: number;
  log: PartitionLog | null;
  highWatermark: number;
  logStartOffset: number;
  chunks: Buffer[];
  bytes: number;
  /** Follower fetches only: the leader's log end when read, so a parked replica fetch wakes on appends. */
  logEndOffset?: number;
  /** The partition's last stable offset (reported under either isolation level); absent on errors. */
  lastStableOffset?: number;
  /** read_committed only: the aborted transactions the read overlaps. */
  abortedTransactions?: AbortedTxn[];
  /** A filtered view read that stopped at its scan budget with nothing to send yet: read again rather than wait. */
  scanAgain?: boolean;
}

export function errorRead(target: FetchTarget, errorCode: number, log: PartitionLog | null): PartitionRead {
  return {
    target,
    errorCode,
    log,
    highWatermark: log ? log.highWatermark : -1,
    logStartOffset: log ? log.logStartOffset : -1,
    chunks: [],
    bytes: 0,
  };
}
