/** What an append answers and takes (./appendPipeline.ts). */
export interface AppendResult {
  baseOffset: number;
  lastOffset: number;
  /** -1 unless the log uses LogAppendTime. */
  logAppendTime: number;
  logStartOffset: number;
}

export interface AppendOptions {
  now?: number;
  /** Stamped into partitionLeaderEpoch of every batch when given. */
  leaderEpoch?: number;
  /**
   * Replication: the batches carry the leader's offsets and epochs and are
   * written as they are; the first must start at the log end.
   */
  keepOffsets?: boolean;
}
