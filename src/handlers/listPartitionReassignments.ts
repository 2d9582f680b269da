/**
 * ListPartitionReassignments: v0
 *
 * Behavior:
 * - The reassignments in progress (all, or among the named partitions), with the full replica set and the adding and
 *   removing replicas.
 * - Partitions without one, or unknown, are left out, as in Kafka. Needs DESCRIBE on the cluster
 *   (CLUSTER_AUTHORIZATION_FAILED).
 *
 * Version notes:
 * - v0: the only version (KIP-455).
 */
import { ErrorCode } from '../../protocol/errors';
import type { ListPartitionReassignmentsRequest } from '../../protocol/generated/messages/ListPartitionReassignmentsRequest';
import type { ListPartitionReassignmentsResponseInput } from '../../protocol/generated/messages/ListPartitionReassignmentsResponse';
import { reassigning } from '../metadata/controller/reassignment';
import type { PartitionState } from '../metadata/types';
import { authorizedCluster } from '../security/acl/check';
import { AclOperation } from '../security/acl/model';
import type { Handler } from './types';

export const handleListPartitionReassignments: Handler<ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponseInput> = (ctx, req) => {
  const { metadata } = ctx.broker;
  if (!authorizedCluster(ctx, AclOperation.DESCRIBE)) {
    return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'listing reassignments needs DESCRIBE on the cluster', topics: [] };
  }
  const wanted: Array<{ topic: string; partitions: number[] }> =
    req.topics === null
      ? metadata.topics().map((t) => ({ topic: t.name, partitions: Array.from({ length: t.partitions }, (_, p) => p) }))
      : req.topics.map((t) => ({ topic: t.name, partitions: t.partitionIndexes }));
  const topics: NonNullable<ListPartitionReassignmentsResponseInput['topics']> = [];
  for (const w of wanted) {
    const ongoing = w.partitions.map((p) => metadata.partitionState(w.topic, p)).filter((s): s is PartitionState => s !== undefined && reassigning(s));
    if (ongoing.length === 0) continue;
    topics.push({
      name: w.topic,
      partitions: ongoing.map((s) => ({ partitionIndex: s.partition, replicas: s.replicas, addingReplicas: s.addingReplicas ?? [], removingReplicas: s.removingReplicas ?? [] })),
    });
  }
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, topics };
};
