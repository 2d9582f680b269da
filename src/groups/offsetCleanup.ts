import type { ClassicGroup } from './classicGroup';
import type { Clock } from './clock';
import type { GroupConfig } from './config';
import type { GroupLogger } from './coordinatorTypes';
import { offsetRecord, type GroupRecord } from './groupRecords';
import type { OffsetStore } from './offsetStore';

/** What the cleanup needs of the coordinator: its state, and its one write path. */
export interface OffsetCleanupHost {
  readonly offsets: OffsetStore;
  readonly clock: Clock;
  readonly config: GroupConfig;
  readonly logger: GroupLogger | null;
  classicGroup(groupId: string): ClassicGroup | undefined;
  consumerMemberCount(groupId: string): number;
  /** Classic groups in state Empty and consumer groups without members. */
  emptyGroupIds(): readonly string[];
  ownsGroup(groupId: string): boolean;
  topicExists(topic: string): boolean;
  write(groupId: string, records: readonly GroupRecord[]): Promise<void>;
  writeFailed(groupId: string, operation: string, err: unknown): void;
  /** Removes the group if it is still empty and without offsets when its turn comes; true when removed. */
  removeIfEmpty(groupId: string): Promise<boolean>;
}

/**
 * Committed offsets that must go without anyone asking: those of deleted topics, and those past
 * offsets.retention.minutes. Each removal is a tombstone through the coordinator's write path.
 */
export class OffsetCleanup {
  constructor(private readonly host: OffsetCleanupHost) {}

  /** A deleted topic's committed offsets go with it (Kafka's onPartitionsDeleted): a topic re-created under its name starts at auto.offset.reset. */
  async forgetTopic(topic: string): Promise<number> {
    return this.tombstone((groupId, t) => t === topic && this.host.ownsGroup(groupId), 'deleted-topic-offsets');
  }

  /**
   * Offsets just loaded for topics that no longer exist. A deletion is only seen by the coordinator serving the
   * group at that moment, so offsets outlive their topic when it came while their partition was loading, led by
   * no one, or when the broker died between the topic's deletion and the tombstones. Commits to topics that do not
   * exist are refused, so such offsets can only be left over from a deletion.
   */
  async forgetVanishedTopics(loaded: (groupId: string) => boolean): Promise<number> {
    const removed = await this.tombstone((groupId, t) => loaded(groupId) && !this.host.topicExists(t), 'vanished-topic-offsets');
    if (removed > 0) this.host.logger?.info({ partitions: removed }, 'removed committed offsets of topics deleted while their groups were not loaded');
    return removed;
  }

  private async tombstone(which: (groupId: string, topic: string) => boolean, operation: string): Promise<number> {
    const { offsets } = this.host;
    let removed = 0;
    const writes: Array<Promise<unknown>> = [];
    for (const groupId of [...offsets.groupIds()]) {
      const records: GroupRecord[] = [];
      for (const [topic, parts] of offsets.topicsOf(groupId)) {
        if (!which(groupId, topic)) continue;
        for (const p of parts.keys()) records.push(offsetRecord(groupId, topic, p, null));
      }
      if (records.length === 0) continue;
      // concurrent: the offsets log coalesces the groups of one partition into one batch
      writes.push(this.host.write(groupId, records).then(() => (removed += records.length), (err: unknown) => this.host.writeFailed(groupId, operation, err)));
    }
    await Promise.all(writes);
    return removed;
  }

  /**
   * offsets.retention.minutes: offsets of a group that has been empty for the
   * retention period are removed (tombstoned). Then, as in Kafka's cleanup, every
   * empty group (classic or consumer protocol) left without offsets goes.
   * Offsets of groups that never used membership age from their commit time.
   */
  async expire(): Promise<number> {
    const { offsets, clock, config, logger } = this.host;
    const now = clock.now();
    let removed = 0;
    for (const groupId of [...offsets.groupIds()]) {
      const g = this.host.classicGroup(groupId);
      if (g && !g.is('Empty')) continue;
      if (this.host.consumerMemberCount(groupId) > 0) continue;
      const emptySince = g && g.protocolType !== null ? g.stateTimestamp : 0;
      const expired = offsets.expired(groupId, now, config.offsetsRetentionMs, emptySince);
      if (expired.length === 0) continue;
      const records = expired.map((k) => offsetRecord(groupId, k.topic, k.partition, null));
      try {
        await this.host.write(groupId, records);
      } catch (err) {
        // not applied; the next check tries again
        this.host.writeFailed(groupId, 'offset-expiry', err);
        continue;
      }
      removed += expired.length;
      logger?.info({ group: groupId, partitions: expired.length }, 'expired committed offsets');
    }
    for (const groupId of this.host.emptyGroupIds()) {
      if (offsets.hasOffsets(groupId)) continue;
      try {
        if (await this.host.removeIfEmpty(groupId)) logger?.info({ group: groupId }, 'removed an empty group without offsets');
      } catch (err) {
        this.host.writeFailed(groupId, 'group-expiry', err);
      }
    }
    return removed;
  }
}
