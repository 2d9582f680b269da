/** A committed offset as the coordinator keeps it in memory. */
export interface CommittedOffset {
  offset: number;
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: number;
  /** Explicit expiry from OffsetCommit v2..v4 retention_time_ms; -1 means group-based retention. */
  expireTimestamp: number;
}

export interface TopicPartitionKey {
  topic: string;
  partition: number;
}

/** Committed offsets of every group: group -> topic -> partition -> offset. */
export class OffsetStore {
  private readonly groups = new Map<string, Map<string, Map<number, CommittedOffset>>>();

  get(group: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.groups.get(group)?.get(topic)?.get(partition);
  }

  put(group: string, topic: string, partition: number, value: CommittedOffset): void {
    let topics = this.groups.get(group);
    if (!topics) this.groups.set(group, (topics = new Map()));
    let parts = topics.get(topic);
    if (!parts) topics.set(topic, (parts = new Map()));
    parts.set(partition, value);
  }

  delete(group: string, topic: string, partition: number): boolean {
    const topics = this.groups.get(group);
    const parts = topics?.get(topic);
    if (!topics || !parts || !parts.delete(partition)) return false;
    if (parts.size === 0) topics.delete(topic);
    if (topics.size === 0) this.groups.delete(group);
    return true;
  }

  hasOffsets(group: string): boolean {
    return this.groups.has(group);
  }

  groupIds(): IterableIterator<string> {
    return this.groups.keys();
  }

  /** All committed offsets of a group, topic by topic. */
  topicsOf(group: string): ReadonlyMap<string, ReadonlyMap<number, CommittedOffset>> {
    return this.groups.get(group) ?? new Map();
  }

  deleteGroup(group: string): TopicPartitionKey[] {
    const removed: TopicPartitionKey[] = [];
    for (const [topic, parts] of this.topicsOf(group)) for (const partition of parts.keys()) removed.push({ topic, partition });
    this.groups.delete(group);
    return removed;
  }

  /**
   * Offsets of `group` due for removal at `now`: explicit expiry passed, or
   * (group empty since `emptySince`) older than the retention period. Kafka's
   * rule: for an empty group the clock starts when it became empty.
   */
  expired(group: string, now: number, retentionMs: number, emptySince: number | null): TopicPartitionKey[] {
    const out: TopicPartitionKey[] = [];
    for (const [topic, parts] of this.topicsOf(group)) {
      for (const [partition, o] of parts) {
        const explicit = o.expireTimestamp >= 0 && now >= o.expireTimestamp;
        const base = emptySince === null ? null : Math.max(emptySince, o.commitTimestamp);
        const byRetention = o.expireTimestamp < 0 && base !== null && now - base >= retentionMs;
        if (explicit || byRetention) out.push({ topic, partition });
      }
    }
    return out;
  }
}
