import type { BrokerServices } from '../handlers/types';
import { forEachPendingOffset } from '../txn/clusterOffsets';

/** Key of a partition in the set below. */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}\0${partition}`;
}

/**
 * Partitions of `groupId` with a transactional offset staged by
 * TxnOffsetCommit whose transaction has no marker yet (KIP-447): OffsetFetch
 * with require_stable answers them UNSTABLE_OFFSET_COMMIT, so a consumer taking
 * over a partition does not start from an offset the open transaction is about
 * to replace. A single broker stages them in its transaction coordinator, a
 * cluster's group coordinator holds them per producer until the marker.
 * OffsetFetch is not a hot path; both sets are small (open transactions only).
 */
export function unstablePartitions(services: BrokerServices, groupId: string): Set<string> {
  const out = new Set<string>();
  const txn = services.txn;
  if (txn) {
    for (const meta of txn.coordinator.all()) {
      for (const o of meta.staged) if (o.groupId === groupId) out.add(partitionKey(o.topic, o.partition));
    }
  }
  forEachPendingOffset(services, (o) => {
    if (o.groupId === groupId) out.add(partitionKey(o.topic, o.partition));
  });
  return out;
}
