import type { PartitionState } from '../metadata/types';

/** A replicated partition's key in this module's maps (topic names cannot hold NUL). */
export const replicaKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/** `a` is an older announcement of the partition than `b` (events and ISR answers can cross): leader epoch first, then partition epoch. */
export function isOlderState(a: PartitionState, b: PartitionState): boolean {
  return a.leaderEpoch !== b.leaderEpoch ? a.leaderEpoch < b.leaderEpoch : a.partitionEpoch < b.partitionEpoch;
}
