import { RecordState, normalize, type PartitionSnapshot, type RecordStateValue } from './partitionState';

/** One StateBatch of Read/WriteShareGroupState (KIP-932): a run of offsets with one delivery state. */
export interface WireStateBatch {
  firstOffset: bigint;
  lastOffset: bigint;
  deliveryState: number;
  deliveryCount: number;
}

/**
 * A share-partition snapshot as the share coordinator keeps it (Kafka's persisted form): acquired
 * records are written AVAILABLE with their delivery count, since a lock does not outlive the
 * partition leader that granted it; members, lock deadlines and back-off ends stay with the leader.
 */
export function toStateBatches(s: PartitionSnapshot): WireStateBatch[] {
  return s.runs.map((r) => ({
    firstOffset: BigInt(r.first),
    lastOffset: BigInt(r.last),
    deliveryState: r.state === RecordState.ACQUIRED ? RecordState.AVAILABLE : r.state,
    deliveryCount: r.deliveryCount,
  }));
}

const KNOWN_STATES = new Set<number>([RecordState.AVAILABLE, RecordState.ACKNOWLEDGED, RecordState.ARCHIVED]);

/** Null when the batches are not a valid snapshot (unknown state, unsorted or overlapping, gaps, below the start offset). */
export function fromStateBatches(startOffset: number, batches: ReadonlyArray<WireStateBatch>): PartitionSnapshot | null {
  let next = startOffset;
  const runs = [];
  for (const b of batches) {
    const first = Number(b.firstOffset);
    const last = Number(b.lastOffset);
    if (first !== next || last < first || !KNOWN_STATES.has(b.deliveryState) || b.deliveryCount < 0) return null;
    runs.push({ first, last, state: b.deliveryState as RecordStateValue, deliveryCount: b.deliveryCount, availableAt: 0, member: null, lockUntil: 0 });
    next = last + 1;
  }
  return normalize(startOffset, runs);
}

/** The persisted form of a snapshot (what a failover leader will load). */
export function persistedForm(s: PartitionSnapshot): PartitionSnapshot {
  return fromStateBatches(s.startOffset, toStateBatches(s))!;
}
