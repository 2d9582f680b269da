import { ApiKey } from '../../protocol/generated/apis';
import type { FindCoordinatorResponse } from '../../protocol/generated/messages/FindCoordinatorResponse';
import type { OffsetCommitResponse } from '../../protocol/generated/messages/OffsetCommitResponse';
import type { OffsetFetchResponse } from '../../protocol/generated/messages/OffsetFetchResponse';
import { RawClient } from './rawClient';

/** FindCoordinator's key type: 0 = consumer group, 1 = transactional id, 2 = share-partition ("group:topicId:partition", v6+). */
export type CoordinatorKeyType = 0 | 1 | 2;

/** A connection to a broker: an open client, or a port to open one on for this call only. */
export type Via = RawClient | number;

/** Runs `fn` on a new connection to `port` and closes it after. */
export async function withClient<T>(port: number, fn: (client: RawClient) => Promise<T>): Promise<T> {
  const client = await RawClient.connect(port);
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}

function onVia<T>(via: Via, fn: (client: RawClient) => Promise<T>): Promise<T> {
  return typeof via === 'number' ? withClient(via, fn) : fn(via);
}

/**
 * The node id of the coordinator of `key`, as the broker on `port` answers FindCoordinator (v1; v6 for share keys,
 * which only the batched form carries); throws on an error answer.
 */
export async function coordinatorOf(port: number, key: string, keyType: CoordinatorKeyType = 0): Promise<number> {
  if (keyType === 2) {
    const res = await withClient(port, (c) => c.request<FindCoordinatorResponse>(ApiKey.FindCoordinator, 6, { keyType, coordinatorKeys: [key] }));
    const found = res.coordinators[0];
    if (!found || found.errorCode !== 0) throw new Error(`FindCoordinator(${key}, ${keyType}): error ${found?.errorCode}`);
    return found.nodeId;
  }
  const res = await withClient(port, (c) => c.request<FindCoordinatorResponse>(ApiKey.FindCoordinator, 1, { key, keyType }));
  if (res.errorCode !== 0) throw new Error(`FindCoordinator(${key}, ${keyType}): error ${res.errorCode}`);
  return res.nodeId;
}

/** A plain OffsetCommit v8 of `offset` for partition 0 of `topic`, outside any generation; the partition's error code. */
export async function commitOffset(via: Via, group: string, topic: string, offset: number): Promise<number> {
  const res = await onVia(via, (c) => c.request<OffsetCommitResponse>(ApiKey.OffsetCommit, 8, {
    groupId: group, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null,
    topics: [{ name: topic, partitions: [{ partitionIndex: 0, committedOffset: BigInt(offset), committedLeaderEpoch: -1, committedMetadata: null }] }],
  }));
  return res.topics[0]!.partitions[0]!.errorCode;
}

/** OffsetFetch v7 of partition 0 of `topic`: the group-level error code, else the partition's, and the committed offset. */
export async function fetchCommitted(via: Via, group: string, topic: string, requireStable = false): Promise<{ errorCode: number; offset: number }> {
  const res = await onVia(via, (c) => c.request<OffsetFetchResponse>(ApiKey.OffsetFetch, 7, { groupId: group, topics: [{ name: topic, partitionIndexes: [0] }], requireStable }));
  const p = res.topics[0]!.partitions[0]!;
  return { errorCode: res.errorCode || p.errorCode, offset: Number(p.committedOffset) };
}
