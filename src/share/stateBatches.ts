import type { TaggedField } from '../../protocol/codec/tagged';
import { RecordState, normalize, type PartitionSnapshot, type RecordStateValue } from './partitionState';

/** One StateBatch of Read/WriteShareGroupState (KIP-932): a run of offsets with one delivery state. */
export interface WireStateBatch {
  firstOffset: bigint;
  lastOffset: bigint;
  deliveryState: number;
  deliveryCount: number;
  _unknownTaggedFields?: TaggedField[];
}

/**
 * Brook's tagged field on a StateBatch: the wall-clock time (int64 ms) before which an AVAILABLE
 * run must not be acquired (brook.share.redelivery.backoff). Kafka has no redelivery back-off, so
 * its StateBatch has no such field; a tag far above Kafka's own keeps clear of future ones, and a
 * Kafka peer skips it as an unknown tag.
 */
export const BROOK_AVAILABLE_AT_TAG = 10_000;

function availableAtTag(availableAt: number): TaggedField[] | undefined {
  if (availableAt <= 0) return undefined;
  const data = Buffer.alloc(8);
  data.writeBigInt64BE(BigInt(Math.floor(availableAt)));
  return [{ tag: BROOK_AVAILABLE_AT_TAG, data }];
}

function availableAtOf(fields: readonly TaggedField[] | undefined): number {
  const f = fields?.find((x) => x.tag === BROOK_AVAILABLE_AT_TAG);
  return f && f.data.length === 8 ? Math.max(0, Number(f.data.readBigInt64BE(0))) : 0;
}

/**
 * A share-partition snapshot as the share coordinator keeps it (Kafka's persisted form): acquired
 * records are written AVAILABLE with their delivery count, since a lock does not outlive the
 * partition leader that granted it; members and lock deadlines stay with the leader. A released
 * record's back-off end travels in Brook's tagged field so a new leader honours it.
 */
export function toStateBatches(s: PartitionSnapshot): WireStateBatch[] {
  return s.runs.map((r) => {
    const b: WireStateBatch = {
      firstOffset: BigInt(r.first),
      lastOffset: BigInt(r.last),
      deliveryState: r.state === RecordState.ACQUIRED ? RecordState.AVAILABLE : r.state,
      deliveryCount: r.deliveryCount,
    };
    const tag = r.state === RecordState.AVAILABLE ? availableAtTag(r.availableAt) : undefined;
    if (tag) b._unknownTaggedFields = tag;
    return b;
  });
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
    const availableAt = b.deliveryState === RecordState.AVAILABLE ? availableAtOf(b._unknownTaggedFields) : 0;
    runs.push({ first, last, state: b.deliveryState as RecordStateValue, deliveryCount: b.deliveryCount, availableAt, member: null, lockUntil: 0 });
    next = last + 1;
  }
  return normalize(startOffset, runs);
}

/** The persisted form of a snapshot (what a failover leader will load). */
export function persistedForm(s: PartitionSnapshot): PartitionSnapshot {
  return fromStateBatches(s.startOffset, toStateBatches(s))!;
}
