/**
 * DescribeShareGroupOffsets: v0
 *
 * Behavior:
 * - Each share-partition's start offset (SPSO); -1 for a partition the group has no state for. Null topics means
 *   every topic the group has state on.
 * - Needs DESCRIBE on the group (GROUP_AUTHORIZATION_FAILED); no per-topic check. COORDINATOR_NOT_AVAILABLE /
 *   NOT_COORDINATOR when this broker cannot serve it; not a share group: GROUP_ID_NOT_FOUND; unknown topic:
 *   UNKNOWN_TOPIC_OR_PARTITION.
 * - leader_epoch is always 0.
 * - Cluster mode: start offsets are read from the share coordinator (what the partitions' leaders last persisted);
 *   null topics means every topic the group's members subscribe to, partitions with state only.
 *
 * Version notes:
 * - v0: the only version (KIP-932).
 */
import { ErrorCode } from '../../protocol/errors';
import type { DescribeShareGroupOffsetsRequest } from '../../protocol/generated/messages/DescribeShareGroupOffsetsRequest';
import type { DescribeShareGroupOffsetsResponseInput, DescribeShareGroupOffsetsResponseTopicInput } from '../../protocol/generated/messages/DescribeShareGroupOffsetsResponse';
import { groupCoordinatorError } from '../groups/services';
import { shareServicesOf, type ShareServices } from '../share/services';
import type { Handler, RequestContext } from './types';
import { authorizedGroup } from '../security/acl/check';
import { AclOperation } from '../security/acl/model';

export const handleDescribeShareGroupOffsets: Handler<DescribeShareGroupOffsetsRequest, DescribeShareGroupOffsetsResponseInput> = async (ctx, req) => {
  const share = shareServicesOf(ctx.broker);
  if (share?.cluster) return { groups: await Promise.all(req.groups.map((rg) => describeInCluster(ctx, share, rg))) };
  const groups = req.groups.map((rg) => {
    const fail = (errorCode: number, errorMessage: string | null = null) => ({ groupId: rg.groupId, topics: [], errorCode, errorMessage });
    if (!share) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    if (!authorizedGroup(ctx, AclOperation.DESCRIBE, rg.groupId)) return fail(ErrorCode.GROUP_AUTHORIZATION_FAILED);
    const placement = groupCoordinatorError(ctx, rg.groupId);
    if (placement !== ErrorCode.NONE) return fail(placement);
    const coordinator = share.coordinator;
    if (!coordinator.group(rg.groupId)) return fail(ErrorCode.GROUP_ID_NOT_FOUND, `share group ${rg.groupId} not found`);
    const wanted =
      rg.topics ??
      [...new Set([...coordinator.partitions.values()].filter((sp) => sp.group === rg.groupId).map((sp) => sp.topicName))].map((topicName) => ({
        topicName,
        partitions: [...coordinator.partitions.values()].filter((sp) => sp.group === rg.groupId && sp.topicName === topicName).map((sp) => sp.partition),
      }));
    const topics: DescribeShareGroupOffsetsResponseTopicInput[] = wanted.map((t) => {
      const topic = ctx.broker.metadata.topic(t.topicName);
      return {
        topicName: t.topicName,
        topicId: topic?.id,
        partitions: t.partitions.map((p) => {
          if (!topic) return { partitionIndex: p, startOffset: -1n, leaderEpoch: -1, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
          const sp = coordinator.sharePartition(rg.groupId, topic.id, p);
          return { partitionIndex: p, startOffset: BigInt(sp?.snapshot?.startOffset ?? -1), leaderEpoch: 0, errorCode: 0 };
        }),
      };
    });
    return { groupId: rg.groupId, topics, errorCode: 0 };
  });
  return { groups };
};

/** Cluster mode: the persisted start offsets, asked of the share coordinator. */
async function describeInCluster(ctx: RequestContext, share: ShareServices, rg: DescribeShareGroupOffsetsRequest['groups'][number]) {
  const fail = (errorCode: number, errorMessage: string | null = null) => ({ groupId: rg.groupId, topics: [], errorCode, errorMessage });
  if (!authorizedGroup(ctx, AclOperation.DESCRIBE, rg.groupId)) return fail(ErrorCode.GROUP_AUTHORIZATION_FAILED);
  const placement = groupCoordinatorError(ctx, rg.groupId);
  if (placement !== ErrorCode.NONE) return fail(placement);
  await share.coordinator.loadGroup(rg.groupId);
  const g = share.coordinator.group(rg.groupId);
  if (!g) return fail(ErrorCode.GROUP_ID_NOT_FOUND, `share group ${rg.groupId} not found`);
  const everything = rg.topics === null;
  const wanted =
    rg.topics ??
    [...new Set([...g.membership.members.values()].flatMap((m) => m.subscribedTopicNames))].map((topicName) => ({
      topicName,
      partitions: Array.from({ length: ctx.broker.metadata.topic(topicName)?.partitions ?? 0 }, (_, i) => i),
    }));
  const topics: DescribeShareGroupOffsetsResponseTopicInput[] = [];
  for (const t of wanted) {
    const topic = ctx.broker.metadata.topic(t.topicName);
    const partitions = [];
    for (const p of t.partitions) {
      if (!topic) {
        partitions.push({ partitionIndex: p, startOffset: -1n, leaderEpoch: -1, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
        continue;
      }
      const read = await share.cluster!.read(rg.groupId, topic.id.toString('hex'), p, -1);
      if (read.errorCode !== 0 || read.snapshot === undefined) partitions.push({ partitionIndex: p, startOffset: -1n, leaderEpoch: -1, errorCode: read.errorCode });
      else if (read.snapshot || !everything) partitions.push({ partitionIndex: p, startOffset: BigInt(read.snapshot?.startOffset ?? -1), leaderEpoch: 0, errorCode: 0 });
    }
    if (partitions.length > 0) topics.push({ topicName: t.topicName, topicId: topic?.id, partitions });
  }
  return { groupId: rg.groupId, topics, errorCode: 0 };
}
