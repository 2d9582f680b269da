import { ErrorCode } from '../../protocol/errors';
import { OFFSETS_TOPIC, offsetsPartitionFor } from '../groups/offsetsTopicRecords';
import type { TxnBroker } from './txnBroker';
import type { StagedOffset } from './txnLogRecords';
import { decodeOffsetCommitValue, decodeOffsetsTopicKey } from '../groups/offsetsTopicRecords';
import type { PendingTxnRecords } from '../groups/replayOffsetsLog';

/**
 * Cluster mode transactional offset commits, Kafka's way: TxnOffsetCommit
 * reaches the group's coordinator, which holds the offsets per producer until
 * the transaction's marker lands on the group's `__consumer_offsets` partition
 * (which AddOffsetsToTxn put in the transaction); a commit marker makes them
 * the group's committed offsets, an abort marker drops them. (On a single
 * broker the transaction coordinator stages them itself.) The offsets are
 * written to that partition at once as the producer's transactional batch and
 * replicated before TxnOffsetCommit is answered; the map below is the group
 * coordinator's view of them, rebuilt by a new leader from its log replay
 * (replacePendingOffsets), and a marker found in the log at replay applies
 * them there.
 */
const pendingByBroker = new WeakMap<TxnBroker, Map<bigint, StagedOffset[]>>();

function pendingOf(services: TxnBroker): Map<bigint, StagedOffset[]> {
  let m = pendingByBroker.get(services);
  if (!m) pendingByBroker.set(services, (m = new Map()));
  return m;
}

export function stagePendingOffsets(services: TxnBroker, producerId: bigint, offsets: readonly StagedOffset[]): void {
  const pending = pendingOf(services);
  const keyOf = (o: StagedOffset) => `${o.groupId}\0${o.topic}\0${o.partition}`;
  const merged = new Map((pending.get(producerId) ?? []).map((o) => [keyOf(o), o]));
  for (const o of offsets) merged.set(keyOf(o), o);
  pending.set(producerId, [...merged.values()]);
}

/** Every offset a producer staged here whose transaction has no marker yet (OffsetFetch require_stable). */
export function forEachPendingOffset(services: TxnBroker, fn: (o: StagedOffset) => void): void {
  for (const staged of pendingByBroker.get(services)?.values() ?? []) for (const o of staged) fn(o);
}

/**
 * After a replay of `__consumer_offsets`-`partition`: its transactional offsets
 * still waiting for a marker replace what was known of that partition.
 */
export function replacePendingOffsets(services: TxnBroker, partition: number, records: PendingTxnRecords): void {
  const pending = pendingOf(services);
  const count = services.metadata.topic(OFFSETS_TOPIC)?.partitions ?? 0;
  for (const [producerId, staged] of [...pending]) {
    const rest = staged.filter((o) => offsetsPartitionFor(o.groupId, count) !== partition);
    if (rest.length > 0) pending.set(producerId, rest);
    else pending.delete(producerId);
  }
  for (const [producerId, recs] of records) {
    const offsets: StagedOffset[] = [];
    for (const r of recs) {
      const key = decodeOffsetsTopicKey(r.key);
      if (key?.kind !== 'offset' || r.value === null) continue;
      const v = decodeOffsetCommitValue(r.value);
      offsets.push({ groupId: key.group, topic: key.topic, partition: key.partition, offset: v.offset, leaderEpoch: v.leaderEpoch, metadata: v.metadata });
    }
    stagePendingOffsets(services, producerId, offsets);
  }
}

/** The `__consumer_offsets` partition holding `groupId`, for AddOffsetsToTxn. */
export function offsetsPartitionOf(services: TxnBroker, groupId: string): { topic: string; partition: number } | null {
  const topic = services.metadata.topic(OFFSETS_TOPIC);
  return topic ? { topic: OFFSETS_TOPIC, partition: offsetsPartitionFor(groupId, topic.partitions) } : null;
}

/**
 * Before a marker is appended to a `__consumer_offsets` partition here: its
 * group coordinator must have replayed the partition, or a marker landing
 * during that replay would miss the pending offsets the replay is collecting.
 * NONE, or COORDINATOR_LOAD_IN_PROGRESS (the transaction coordinator retries).
 */
export function markerReadyCode(services: TxnBroker, topic: string, partition: number): number {
  if (!services.clustered || topic !== OFFSETS_TOPIC) return ErrorCode.NONE;
  const groups = services.groups;
  return groups?.servesPartition(partition) ? ErrorCode.NONE : ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
}

/** Called after a marker was appended here as the partition's leader. */
export async function afterMarker(services: TxnBroker, topic: string, partition: number, producerId: bigint, commit: boolean): Promise<void> {
  if (!services.clustered || topic !== OFFSETS_TOPIC) return;
  const pending = pendingOf(services);
  const staged = pending.get(producerId);
  if (!staged) return;
  const count = services.metadata.topic(OFFSETS_TOPIC)?.partitions ?? 0;
  const here = staged.filter((o) => offsetsPartitionFor(o.groupId, count) === partition);
  const rest = staged.filter((o) => offsetsPartitionFor(o.groupId, count) !== partition);
  if (rest.length > 0) pending.set(producerId, rest);
  else pending.delete(producerId);
  if (here.length === 0) return;
  const groups = services.groups;
  if (!groups) throw new Error('group coordinator not running');
  const byGroup = new Map<string, StagedOffset[]>();
  for (const o of here) {
    const list = byGroup.get(o.groupId) ?? [];
    list.push(o);
    byGroup.set(o.groupId, list);
  }
  for (const [groupId, offsets] of byGroup) {
    if (!commit) {
      await groups.txnOffsets.rewriteCommittedOffsets(groupId, offsets.map((o) => ({ topic: o.topic, partition: o.partition })), producerId);
      continue;
    }
    const res = await groups.txnOffsets.commitTransactionalOffsets(
      groupId,
      offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset, leaderEpoch: o.leaderEpoch, metadata: o.metadata })),
      producerId,
    );
    const bad = res.find((r) => r.errorCode !== ErrorCode.NONE);
    if (bad) throw new Error(`committing offsets of group ${groupId} failed with error ${bad.errorCode}`);
  }
}
