/**
 * Where the coordinator persists its state: records keyed like Kafka's
 * `__consumer_offsets` (see offsetsTopicRecords.ts). A null value is a
 * tombstone. The coordinator only answers a commit after `append` resolves.
 */
export interface GroupLogRecord {
  key: Buffer;
  value: Buffer | null;
}

export interface GroupStateLog {
  append(groupId: string, records: readonly GroupLogRecord[]): Promise<void>;
  /** Every record persisted so far, in log order (replayed at startup); only those partitions' when given (cluster mode). */
  load(partitions?: ReadonlySet<number>): AsyncIterable<GroupLogRecord>;
  /** Cluster mode: offsets of an open transaction, durable now, effective at the producer's commit marker; false when the producer epoch is fenced. */
  appendTransactional?(groupId: string, producerId: bigint, producerEpoch: number, records: readonly GroupLogRecord[], now: number): Promise<boolean>;
}

/** In-memory log: keeps everything appended, so tests can "restart" a coordinator from it. */
export class MemoryGroupStateLog implements GroupStateLog {
  readonly records: GroupLogRecord[] = [];
  failNext: Error | null = null;

  async append(_groupId: string, records: readonly GroupLogRecord[]): Promise<void> {
    if (this.failNext) {
      const e = this.failNext;
      this.failNext = null;
      throw e;
    }
    this.records.push(...records);
  }

  async *load(): AsyncIterable<GroupLogRecord> {
    yield* this.records;
  }
}
