import { buildRecordBatch } from '../../protocol/records';
import type { LogManager, PartitionLog } from '../../storage';
import { replayKeyedLog } from '../internalTopics/replayKeyedLog';
import { CoordinatorWriteError } from '../internalTopics/writeErrors';
import type { PartitionWriter } from '../replication/partitionWriter';
import type { CreateTopicOptions, TopicInfo } from '../metadata/types';
import { ensureInternalTopic } from '../metadata/internalTopicReplicas';
import { SHARE_STATE_TOPIC, decodeShareRecord, encodeShareRecord, type ShareStateRecord } from './records';

export interface ShareStateLogDeps {
  metadata: {
    topic(name: string): TopicInfo | undefined;
    brokers(): readonly unknown[];
    ensureTopic(name: string, opts?: CreateTopicOptions): Promise<TopicInfo>;
  };
  logs: LogManager;
  /** The broker's write path (acks=all): refused off the leader, confirmed once the ISR has the write; a single broker passes at once. */
  writer: PartitionWriter;
  /** How long a write may wait for the ISR (request.timeout.ms). */
  writeTimeoutMs: number;
  /** Cluster mode: how the topic is created, and only a replica's own log (made by the replica manager) is used. */
  clustered?: { topicOptions(): CreateTopicOptions };
  /**
   * Cluster mode, on a data partition's leader: where a coalesced batch goes instead of this
   * broker's replica (the share coordinator, the group's `__consumer_offsets` partition).
   */
  sink?: (records: ShareStateRecord[]) => Promise<void>;
}

interface Pending extends AppendGuards {
  records: ShareStateRecord[];
  resolve: () => void;
  reject: (e: unknown) => void;
}

/**
 * For writes planned on top of earlier writes not yet durable (pipelining): `valid` is asked
 * right before the append and a write that no longer holds (an earlier one failed) is refused
 * unwritten; `failed` runs synchronously when the append fails, before any later write goes out.
 */
export interface AppendGuards {
  valid?: () => boolean;
  failed?: () => void;
}

/** A write refused because one it was planned on top of failed. */
export class SupersededWrite extends Error {}

/** One partition: a share-partition's writes are serialized by its owner, and all fit one small compacted log. */
const PARTITION = 0;

/**
 * The share coordinator's persistence: appends to `__brook_share_state` (created on first
 * write, compacted) and replays it at start. Writes arriving while one is in flight are
 * coalesced into the next batch, so many members' acknowledgements cost one append.
 */
export class ShareStateLog {
  private log: PartitionLog | null = null;
  private opening: Promise<PartitionLog> | null = null;
  private queue: Pending[] = [];
  private writing = false;

  constructor(private readonly deps: ShareStateLogDeps) {}

  private open(): Promise<PartitionLog> {
    if (this.log) return Promise.resolve(this.log);
    this.opening ??= (async () => {
      const clustered = this.deps.clustered;
      if (clustered) await ensureInternalTopic(this.deps.metadata, SHARE_STATE_TOPIC, clustered.topicOptions());
      else await this.deps.metadata.ensureTopic(SHARE_STATE_TOPIC, { partitions: 1, internal: true, configs: { 'cleanup.policy': 'compact' } });
      if (clustered) {
        const log = this.deps.logs.get(SHARE_STATE_TOPIC, PARTITION);
        if (!log) throw new Error(`no replica of ${SHARE_STATE_TOPIC}-${PARTITION} on this broker`);
        // a log found at start opens (after a crash: recovers) before its state is read
        await log.open();
        this.log = log;
        return log;
      }
      // create() also opens (and after a crash recovers) a log found at start before its state is read
      this.log = await this.deps.logs.create(SHARE_STATE_TOPIC, PARTITION, { cleanupPolicy: 'compact' });
      return this.log;
    })().catch((e) => {
      this.opening = null;
      throw e;
    });
    return this.opening;
  }

  /** Resolves once the records are durable (and, in cluster mode, replicated); rejects when they are not. */
  append(records: ShareStateRecord[], guards: AppendGuards = {}): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ records, resolve, reject, ...guards });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.queue.length > 0) {
        const q: Pending[] = [];
        for (const p of this.queue) {
          if (!p.valid || p.valid()) q.push(p);
          else p.reject(new SupersededWrite('an earlier share-state write it depended on failed'));
        }
        this.queue = [];
        if (q.length === 0) continue;
        try {
          if (this.deps.sink) {
            await this.deps.sink(q.flatMap((p) => p.records));
            for (const p of q) p.resolve();
            continue;
          }
          const log = await this.open();
          const out = await this.deps.writer.write(SHARE_STATE_TOPIC, PARTITION, this.deps.writeTimeoutMs, () =>
            log.append(buildRecordBatch({ records: q.flatMap((p) => p.records.map(encodeShareRecord)) })),
          );
          if (out.errorCode !== 0) throw new CoordinatorWriteError(out.errorCode, `${SHARE_STATE_TOPIC} write failed with error ${out.errorCode}`);
          for (const p of q) p.resolve();
        } catch (err) {
          for (const p of q) p.failed?.();
          for (const p of q) p.reject(err);
        }
      }
    } finally {
      this.writing = false;
    }
  }

  /** Every record persisted so far, in log order; nothing when the topic does not exist yet. */
  async *load(): AsyncIterable<ShareStateRecord> {
    if (!this.deps.metadata.topic(SHARE_STATE_TOPIC)) return;
    const log = await this.open();
    for await (const r of replayKeyedLog(log)) {
      const rec = decodeShareRecord(r.key, r.value);
      if (rec) yield rec;
    }
  }
}
