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

/**
 * Where an append's result goes instead of a promise (PartitionLog.appendTo): exactly one of the two is called,
 * `appended` never before appendTo returned, `failed` possibly at once (a closed or failed log, a malformed batch).
 * A produce touching thousands of partitions then pays no promise, executor and resolving functions per partition.
 * Neither may throw: they run inside the log's publishing of a write, among other appends' answers.
 */
export interface AppendSink {
  appended(result: AppendResult): void;
  failed(err: unknown): void;
}
