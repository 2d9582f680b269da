import { decodeRecordBatches, type RecordHeader } from '../../protocol/records';
import type { PartitionLog } from '../../storage';
import type { BrokerServices } from '../handlers/types';
import type { Logger } from '../log';
import { partitionLog } from '../metadata/partitionLogs';
import type { TopicInfo } from '../metadata/types';
import { ACKS_ALL, partitionWriter } from '../replication/partitionWriter';
import { RemoteWriteError, type ClusterLink } from './clusterLink';
import { ErrorCode } from '../../protocol/errors';
import { StorageError } from '../../storage/errors';

const READ_BYTES = 1 << 20;
/** How long a settle waits for the target's high watermark to cover its log end before giving up (retried later). */
const COMMIT_WAIT_MS = 15_000;
const COMMIT_POLL_MS = 50;

/**
 * A delivery target partition as the scheduler reaches it: through the local PartitionWriter when this
 * broker leads it (always in single-broker mode), else over the inter-broker link to its leader.
 */
export interface Target {
  topic: string;
  partition: number;
  info: TopicInfo;
  /** Set when this broker leads the partition (or runs alone). */
  log: PartitionLog | null;
  leader: number;
  /** The leader epoch this broker's metadata had when the target was opened (-1 when alone). */
  leaderEpoch: number;
}

export class Targets {
  constructor(private readonly services: BrokerServices, private readonly link: ClusterLink | null, private readonly logger: Logger) {}

  /** The target, or throws when it cannot be reached now (the round is retried). */
  async open(info: TopicInfo, partition: number): Promise<Target> {
    if (this.link) {
      const leader = this.link.leaderOf(info.name, partition);
      const leaderEpoch = this.link.leaderEpochOf(info.name, partition);
      if (leader !== this.link.selfId) return { topic: info.name, partition, info, log: null, leader, leaderEpoch };
    }
    const found = await partitionLog(this.services, info, partition, { waitForRecovery: true });
    if (!found.log) throw new Error(`target ${info.name}-${partition} unavailable (error ${found.errorCode})`);
    return { topic: info.name, partition, info, log: found.log, leader: this.link?.selfId ?? -1, leaderEpoch: this.link?.leaderEpochOf(info.name, partition) ?? -1 };
  }

  /**
   * An offset at or below which nothing appended after this call can land: the log end when local, the
   * leader's high watermark when remote (lower is safe: the settle read just starts earlier).
   */
  async end(t: Target): Promise<number> {
    if (t.log) return t.log.logEndOffset;
    return this.link!.highWatermark(t.leader, t.topic, t.partition);
  }

  /** Appends with acks=all; false when it failed or its outcome is unknown (the caller reads back). */
  async append(t: Target, batch: Buffer, now: number): Promise<boolean> {
    try {
      if (!t.log) {
        await this.link!.produce(t.leader, t.topic, t.partition, batch, -1, 30_000);
        return true;
      }
      const writer = partitionWriter(this.services);
      const begun = writer.begin(t.topic, t.partition, ACKS_ALL, 30_000, t.info.configs);
      if (!('slot' in begun)) return false;
      const out = await writer.appendRecords(begun.slot, t.log, batch, now);
      return out.errorCode === 0;
    } catch (err) {
      this.logger.warn({ topic: t.topic, partition: t.partition, err: (err as Error).message }, 'scheduled delivery append failed');
      return false;
    }
  }

  /**
   * An idempotent producer's sequences written to the partition it produced to, through that partition's
   * producer state (a duplicate if they are there already); the Kafka error code, 0 when they are there.
   */
  async appendSequence(info: TopicInfo, partition: number, batch: Buffer, now: number): Promise<number> {
    try {
      const t = await this.open(info, partition);
      if (!t.log) {
        await this.link!.produce(t.leader, t.topic, t.partition, batch, -1, 30_000);
        return 0;
      }
      const writer = partitionWriter(this.services);
      const begun = writer.begin(t.topic, t.partition, ACKS_ALL, 30_000, t.info.configs);
      if (!('slot' in begun)) return begun.errorCode;
      return (await writer.appendRecords(begun.slot, t.log, batch, now)).errorCode;
    } catch (err) {
      return err instanceof RemoteWriteError || err instanceof StorageError ? (err instanceof StorageError ? err.code : err.errorCode) : ErrorCode.UNKNOWN_SERVER_ERROR;
    }
  }

  /**
   * The leader's log end as it is now, once its high watermark covers it. Everything a failed append may
   * have left in the partition lies below that end (a new leader holds at most what it was elected with,
   * and only this settle's own later rounds append for those schedules), and once committed it stays in
   * every future leader's log. Reading only to the high watermark would miss a copy that a leader elected
   * a moment ago holds but has not yet seen its followers confirm, and deliver that schedule again.
   */
  private async committedEnd(t: Target): Promise<number> {
    const deadline = Date.now() + COMMIT_WAIT_MS;
    const end = t.log ? t.log.logEndOffset : await this.link!.logEnd(t.leader, t.topic, t.partition, t.leaderEpoch);
    for (let waited = false; ; waited = true) {
      if (t.log && this.link && this.link.leaderOf(t.topic, t.partition) !== this.link.selfId) throw new Error(`${t.topic}-${t.partition}: leadership moved while settling`);
      const hw = t.log ? t.log.highWatermark : await this.link!.highWatermark(t.leader, t.topic, t.partition, t.leaderEpoch);
      if (hw >= end) return end;
      if (!waited) this.logger.info({ topic: t.topic, partition: t.partition, highWatermark: hw, logEnd: end }, 'scheduled delivery: settle waits for the target high watermark to reach its log end');
      if (Date.now() > deadline) throw new Error(`${t.topic}-${t.partition}: high watermark ${hw} did not reach the log end ${end} in ${COMMIT_WAIT_MS} ms`);
      await new Promise((r) => setTimeout(r, COMMIT_POLL_MS));
    }
  }

  /** Every record's headers of the target partition from `from` to its committed log end (see committedEnd). */
  async readHeaders(info: TopicInfo, partition: number, from: number, onRecord: (headers: RecordHeader[]) => void): Promise<void> {
    const t = await this.open(info, partition);
    const end = await this.committedEnd(t);
    let offset = from;
    while (offset < end) {
      let chunk: Buffer | null;
      if (t.log) {
        offset = Math.max(offset, t.log.logStartOffset);
        if (offset >= t.log.logEndOffset) return;
        const res = await t.log.read(offset, READ_BYTES, { minOneBatch: true });
        chunk = res.chunks.length === 0 ? null : res.chunks.length === 1 ? res.chunks[0]! : Buffer.concat(res.chunks);
      } else {
        const res = await this.link!.fetch(t.leader, t.topic, t.partition, offset, READ_BYTES, t.leaderEpoch);
        if (offset >= res.highWatermark) return;
        chunk = res.records;
      }
      if (!chunk || chunk.length === 0) return;
      let next = offset;
      for (const b of decodeRecordBatches(chunk)) {
        next = Number(b.baseOffset) + b.lastOffsetDelta + 1;
        if (b.isControl) continue;
        for (const r of b.records) if (Number(r.offset) >= from) onRecord(r.headers);
      }
      if (next <= offset) return;
      offset = next;
    }
  }
}
