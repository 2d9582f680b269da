import { ErrorCode } from '../../protocol/errors';
import type { GroupCoordinator } from '../groups/coordinator';
import { OFFSETS_TOPIC, offsetsPartitionFor } from '../groups/offsetsTopicRecords';
import type { BrokerServices } from '../handlers/types';
import type { StagedOffset } from './txnLogRecords';

/**
 * Cluster mode transactional offset commits, Kafka's way: TxnOffsetCommit
 * reaches the group's coordinator, which holds the offsets per producer until
 * the transaction's marker lands on the group's `__consumer_offsets` partition
 * (which AddOffsetsToTxn put in the transaction); a commit marker makes them
 * the group's committed offsets, an abort marker drops them. (On a single
 * broker the transaction coordinator stages them itself.) Pending offsets are
 * kept in memory: a group coordinator that fails over before the marker loses
 * them, and the transaction commits without them.
 */
const pendingByBroker = new WeakMap<BrokerServices, Map<bigint, StagedOffset[]>>();

function pendingOf(services: BrokerServices): Map<bigint, StagedOffset[]> {
  let m = pendingByBroker.get(services);
  if (!m) pendingByBroker.set(services, (m = new Map()));
  return m;
}

export function stagePendingOffsets(services: BrokerServices, producerId: bigint, offsets: readonly StagedOffset[]): void {
  const pending = pendingOf(services);
  const keyOf = (o: StagedOffset) => `${o.groupId}\0${o.topic}\0${o.partition}`;
  const merged = new Map((pending.get(producerId) ?? []).map((o) => [keyOf(o), o]));
  for (const o of offsets) merged.set(keyOf(o), o);
  pending.set(producerId, [...merged.values()]);
}

/** The `__consumer_offsets` partition holding `groupId`, for AddOffsetsToTxn. */
export function offsetsPartitionOf(services: BrokerServices, groupId: string): { topic: string; partition: number } | null {
  const topic = services.metadata.topic(OFFSETS_TOPIC);
  return topic ? { topic: OFFSETS_TOPIC, partition: offsetsPartitionFor(groupId, topic.partitions) } : null;
}

/** Called after a marker was appended here as the partition's leader. */
export async function afterMarker(services: BrokerServices, topic: string, partition: number, producerId: bigint, commit: boolean): Promise<void> {
  if (!services.clustered || topic !== OFFSETS_TOPIC) return;
  const pending = pendingOf(services);
  const staged = pending.get(producerId);
  if (!staged) return;
  const count = services.metadata.topic(OFFSETS_TOPIC)?.partitions ?? 0;
  const here = staged.filter((o) => offsetsPartitionFor(o.groupId, count) === partition);
  const rest = staged.filter((o) => offsetsPartitionFor(o.groupId, count) !== partition);
  if (rest.length > 0) pending.set(producerId, rest);
  else pending.delete(producerId);
  if (!commit || here.length === 0) return;
  const groups = services.groups as GroupCoordinator | undefined;
  if (!groups) throw new Error('group coordinator not running');
  const byGroup = new Map<string, StagedOffset[]>();
  for (const o of here) {
    const list = byGroup.get(o.groupId) ?? [];
    list.push(o);
    byGroup.set(o.groupId, list);
  }
  for (const [groupId, offsets] of byGroup) {
    const res = await groups.commitTransactionalOffsets(
      groupId,
      offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset, leaderEpoch: o.leaderEpoch, metadata: o.metadata })),
    );
    const bad = res.find((r) => r.errorCode !== ErrorCode.NONE);
    if (bad) throw new Error(`committing offsets of group ${groupId} failed with error ${bad.errorCode}`);
  }
}
