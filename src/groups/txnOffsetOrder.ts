import type { TopicPartitionKey } from './offsetStore';

/**
 * Kafka's rule for a plain OffsetCommit that lands between a transaction's
 * TxnOffsetCommit and its marker: the later write wins, so at the commit
 * marker the transactional offset of a partition is applied only if no plain
 * commit of that partition came after it was staged. Kafka compares the log
 * offsets of the two records; here the order is that of completed writes on
 * this coordinator (a replayed `__consumer_offsets` partition already dropped
 * the transactional records a later plain record superseded, replayOffsetsLog).
 */
export class TxnOffsetOrder {
  /** group\0topic\0partition -> producers with an offset staged there and not superseded. */
  private readonly staged = new Map<string, Set<bigint>>();
  /** producer\0group\0topic\0partition of staged offsets a later plain commit replaced. */
  private readonly superseded = new Set<string>();

  private static key(groupId: string, topic: string, partition: number): string {
    return `${groupId}\0${topic}\0${partition}`;
  }

  /** TxnOffsetCommit (or a replayed one) of `producerId` staged these partitions. */
  noteStaged(groupId: string, producerId: bigint, keys: readonly TopicPartitionKey[]): void {
    for (const { topic, partition } of keys) {
      const k = TxnOffsetOrder.key(groupId, topic, partition);
      let producers = this.staged.get(k);
      if (!producers) this.staged.set(k, (producers = new Set()));
      producers.add(producerId);
      this.superseded.delete(`${producerId}\0${k}`);
    }
  }

  /** A plain commit of these partitions completed: offsets staged before it lose at their commit marker. */
  notePlainCommit(groupId: string, keys: Iterable<TopicPartitionKey>): void {
    if (this.staged.size === 0) return;
    for (const { topic, partition } of keys) {
      const k = TxnOffsetOrder.key(groupId, topic, partition);
      const producers = this.staged.get(k);
      if (!producers) continue;
      for (const p of producers) this.superseded.add(`${p}\0${k}`);
      this.staged.delete(k);
    }
  }

  /**
   * The transaction of `producerId` ended (`commit` or abort) for these
   * partitions: forgets them and, for a commit, answers whether each may
   * still be applied (false: a later plain commit replaced it).
   */
  resolve(groupId: string, producerId: bigint, keys: readonly TopicPartitionKey[]): boolean[] {
    return keys.map(({ topic, partition }) => {
      const k = TxnOffsetOrder.key(groupId, topic, partition);
      const producers = this.staged.get(k);
      if (producers?.delete(producerId) && producers.size === 0) this.staged.delete(k);
      return !this.superseded.delete(`${producerId}\0${k}`);
    });
  }
}
