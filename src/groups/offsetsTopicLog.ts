import { buildRecordBatch } from '../../protocol/records';
import type { LogManager, PartitionLog } from '../../storage';
import type { CreateTopicOptions, TopicInfo } from '../metadata/types';
import { OFFSETS_TOPIC, offsetsPartitionFor } from './offsetsTopicRecords';
import type { GroupLogRecord, GroupStateLog } from './stateLog';
import { CoordinatorWriteError } from '../internalTopics/writeErrors';
import type { PartitionWriter, WriteSlot } from '../replication/partitionWriter';
import { replayOffsetsLog, type PendingTxnRecords } from './replayOffsetsLog';

export interface OffsetsTopicDeps {
  metadata: {
    topic(name: string): TopicInfo | undefined;
    ensureTopic(name: string, opts?: CreateTopicOptions): Promise<TopicInfo>;
  };
  logs: LogManager;
  /** offsets.topic.num.partitions, used when the topic does not exist yet. */
  partitions: number;
  /** Cluster mode: whether this broker keeps a replica of the partition (only those have logs here). */
  hosts?: (partition: number) => boolean;
  /**
   * The broker's write path: appends are refused off the leader or below min.insync.replicas and confirmed only
   * once the ISR has them (acks=all, Kafka's offsets.commit.required.acks); a single broker passes at once.
   */
  writer: PartitionWriter;
  /** How long a write may wait for the ISR (offsets.commit.timeout.ms). */
  writeTimeoutMs: number;
  /** After a partition's replay: the transactional offsets it holds whose marker has not come yet. */
  onPendingTxnOffsets?: (partition: number, pending: PendingTxnRecords) => void;
}

interface PendingAppend {
  records: GroupLogRecord[];
  resolve: () => void;
  reject: (e: unknown) => void;
}


/**
 * The coordinator's state in the compacted internal topic `__consumer_offsets`,
 * one partition per group hash like Kafka. Appends to a partition that arrive
 * while a write is in flight are coalesced into the next single batch, so many
 * pipelined commits cost one storage append.
 */
export class OffsetsTopicLog implements GroupStateLog {
  private partitionLogs: Array<PartitionLog | undefined> = [];
  private count = 0;
  private opening: Promise<void> | null = null;
  private readonly queues = new Map<number, PendingAppend[]>();
  private readonly writing = new Set<number>();

  constructor(private readonly deps: OffsetsTopicDeps) {}

  /**
   * Opens the topic if it exists. Like Kafka, the topic itself is only created
   * when the first group state is written, so a broker nobody uses as a group
   * coordinator carries no 50 idle partitions.
   */
  async open(): Promise<void> {
    if (this.deps.metadata.topic(OFFSETS_TOPIC)) await this.ensureOpen();
  }

  private ensureOpen(): Promise<void> {
    this.opening ??= this.openTopic().catch((err) => {
      this.opening = null;
      throw err;
    });
    return this.opening;
  }

  private async openTopic(): Promise<void> {
    const topic = await this.deps.metadata.ensureTopic(OFFSETS_TOPIC, {
      partitions: this.deps.partitions,
      internal: true,
      configs: { 'cleanup.policy': 'compact' },
    });
    const logs: Array<PartitionLog | undefined> = [];
    for (let p = 0; p < topic.partitions; p++) {
      logs.push(this.deps.hosts && !this.deps.hosts(p) ? undefined : await this.deps.logs.create(OFFSETS_TOPIC, p, { cleanupPolicy: 'compact' }));
    }
    this.partitionLogs = logs;
    this.count = topic.partitions;
  }

  get partitionCount(): number {
    return this.count;
  }

  /** A replica assigned here after the topic was opened gets its log from the metadata follower. */
  private logFor(partition: number): PartitionLog | undefined {
    return (this.partitionLogs[partition] ??= this.deps.logs.get(OFFSETS_TOPIC, partition));
  }

  async append(groupId: string, records: readonly GroupLogRecord[]): Promise<void> {
    if (this.count === 0) await this.ensureOpen();
    const partition = offsetsPartitionFor(groupId, this.count);
    return new Promise((resolve, reject) => {
      let q = this.queues.get(partition);
      if (!q) this.queues.set(partition, (q = []));
      q.push({ records: [...records], resolve, reject });
      if (!this.writing.has(partition)) void this.drain(partition);
    });
  }

  private async drain(partition: number): Promise<void> {
    this.writing.add(partition);
    try {
      for (;;) {
        const q = this.queues.get(partition);
        if (!q || q.length === 0) return;
        this.queues.delete(partition);
        const batch = buildRecordBatch({
          records: q.flatMap((a) => a.records.map((r) => ({ key: r.key, value: r.value }))),
        });
        try {
          const log = this.logFor(partition);
          if (!log) throw new Error(`no replica of ${OFFSETS_TOPIC}-${partition} on this broker`);
          const slot = this.begin(partition);
          const res = await log.append(batch);
          // The ISR wait does not hold up the next batch: the high watermark only moves forward.
          if (this.deps.writer.waitsForAcks(slot)) void this.settle(slot, res.lastOffset, q);
          else for (const a of q) a.resolve();
        } catch (err) {
          for (const a of q) a.reject(err);
        }
      }
    } finally {
      this.writing.delete(partition);
    }
  }

  /** Before appending to `partition`: throws CoordinatorWriteError when this broker may not write it now. */
  private begin(partition: number): WriteSlot {
    const begun = this.deps.writer.begin(OFFSETS_TOPIC, partition, -1, this.deps.writeTimeoutMs);
    if (!('slot' in begun)) throw new CoordinatorWriteError(begun.errorCode, `${OFFSETS_TOPIC}-${partition} write failed with error ${begun.errorCode}`);
    return begun.slot;
  }

  /** After appending up to `lastOffset`: throws CoordinatorWriteError unless the ISR has it. */
  private async acked(slot: WriteSlot, lastOffset: number): Promise<void> {
    const code = await this.deps.writer.awaitAcks(slot, lastOffset);
    if (code !== 0) throw new CoordinatorWriteError(code, `${OFFSETS_TOPIC}-${slot.partition} replication failed with error ${code}`);
  }

  private async settle(slot: WriteSlot, lastOffset: number, q: PendingAppend[]): Promise<void> {
    try {
      await this.acked(slot, lastOffset);
      for (const a of q) a.resolve();
    } catch (err) {
      for (const a of q) a.reject(err);
    }
  }

  /**
   * TxnOffsetCommit in cluster mode, as Kafka writes it: the offsets go to the
   * group's partition at once as a transactional batch of the producer
   * (acks=all), so they outlive this coordinator; the transaction's marker on
   * the partition later commits or discards them (see replayOffsetsLog).
   * Written apart from the coalesced plain appends: a batch has one producer.
   * False, writing nothing, when the partition has seen a newer epoch of the
   * producer (a zombie of a fenced producer).
   */
  async appendTransactional(groupId: string, producerId: bigint, producerEpoch: number, records: readonly GroupLogRecord[], now: number): Promise<boolean> {
    if (this.count === 0) await this.ensureOpen();
    const partition = offsetsPartitionFor(groupId, this.count);
    const log = this.logFor(partition);
    if (!log) throw new Error(`no replica of ${OFFSETS_TOPIC}-${partition} on this broker`);
    const slot = this.begin(partition);
    const table = await log.producerState.table();
    if ((table.get(producerId)?.epoch ?? -1) > producerEpoch) return false;
    const batch = buildRecordBatch({
      records: records.map((r) => ({ key: r.key, value: r.value })),
      producerId,
      producerEpoch,
      transactional: true,
    });
    const res = await log.append(batch, { now });
    // The open transaction holds the partition's LSO until its marker, as for any transactional batch.
    const entry = table.bumpEpoch(producerId, producerEpoch, now);
    if (entry.txnFirstOffset < 0) entry.txnFirstOffset = res.baseOffset;
    await this.acked(slot, res.lastOffset);
    return true;
  }

  async *load(partitions?: ReadonlySet<number>): AsyncIterable<GroupLogRecord> {
    for (let p = 0; p < this.count; p++) {
      if (partitions && !partitions.has(p)) continue;
      const log = this.logFor(p);
      if (!log) continue;
      const pending: PendingTxnRecords = new Map();
      yield* replayOffsetsLog(log, pending);
      this.deps.onPendingTxnOffsets?.(p, pending);
    }
  }

}
