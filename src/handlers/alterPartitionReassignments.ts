/**
 * AlterPartitionReassignments: v0-1
 *
 * Behavior:
 * - KIP-455 (kafka-reassign-partitions.sh --execute): target replicas per partition, or null to cancel. Needs ALTER
 *   on the cluster (CLUSTER_AUTHORIZATION_FAILED).
 * - Answered once each partition's record carries the reassignment; the controller completes it when the new
 *   replicas are in sync (ListPartitionReassignments shows progress).
 * - Unknown partitions: UNKNOWN_TOPIC_OR_PARTITION; bad targets: INVALID_REPLICA_ASSIGNMENT; cancelling none:
 *   NO_REASSIGNMENT_IN_PROGRESS. A single broker only accepts itself as the target.
 *
 * Version notes:
 * - v0: as above.
 * - v1: allow_replication_factor_change (KIP-860), handed to the cluster backend, which then refuses a change of the
 *   replica count.
 */
import { ErrorCode } from '../../protocol/errors';
import type { AlterPartitionReassignmentsRequest } from '../../protocol/generated/messages/AlterPartitionReassignmentsRequest';
import type { AlterPartitionReassignmentsResponseInput } from '../../protocol/generated/messages/AlterPartitionReassignmentsResponse';
import { targetProblem } from '../metadata/controller/reassignment';
import type { MetadataService, ReassignmentRequest, ReassignmentResult } from '../metadata/types';
import { authorizedCluster } from '../security/acl/check';
import { AclOperation } from '../security/acl/model';
import type { Handler } from './types';

function grouped(results: readonly ReassignmentResult[]): AlterPartitionReassignmentsResponseInput['responses'] {
  const byTopic = new Map<string, ReassignmentResult[]>();
  for (const r of results) byTopic.set(r.topic, [...(byTopic.get(r.topic) ?? []), r]);
  return [...byTopic].map(([name, rs]) => ({ name, partitions: rs.map((r) => ({ partitionIndex: r.partition, errorCode: r.errorCode, errorMessage: r.message })) }));
}

/** A single broker has nothing to move: its only replica is the one assignment possible. */
function singleBroker(metadata: MetadataService, r: ReassignmentRequest): ReassignmentResult {
  const answer = (errorCode: number, message: string | null = null): ReassignmentResult => ({ topic: r.topic, partition: r.partition, errorCode, message });
  if (r.replicas === null) return answer(ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, `no reassignment of ${r.topic}-${r.partition} is in progress`);
  const problem = targetProblem(r.replicas, new Set([metadata.self().nodeId]));
  return problem ? answer(ErrorCode.INVALID_REPLICA_ASSIGNMENT, problem) : answer(ErrorCode.NONE);
}

export const handleAlterPartitionReassignments: Handler<AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponseInput> = async (ctx, req) => {
  const { metadata, logger } = ctx.broker;
  const wanted: ReassignmentRequest[] = req.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, replicas: p.replicas })));
  // v1 (KIP-860): the request may forbid changing the replication factor
  const allowReplicationFactorChange = (req as { allowReplicationFactorChange?: boolean }).allowReplicationFactorChange ?? true;
  const response = (errorCode: number, errorMessage: string | null, results: ReassignmentResult[]): AlterPartitionReassignmentsResponseInput =>
    Object.assign({ throttleTimeMs: 0, errorCode, errorMessage, responses: grouped(results) }, { allowReplicationFactorChange });
  if (!authorizedCluster(ctx, AclOperation.ALTER)) {
    const refused = wanted.map((w) => ({ topic: w.topic, partition: w.partition, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, message: null }));
    return response(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'reassigning partitions needs ALTER on the cluster', refused);
  }
  // a cluster backend checks partitions itself, including ones created through another broker its watch has not delivered yet
  const decided: ReassignmentResult[] = metadata.alterPartitionReassignments
    ? await metadata.alterPartitionReassignments(wanted, { allowReplicationFactorChange })
    : wanted.map((w) =>
        metadata.partitionState(w.topic, w.partition) === undefined
          ? { topic: w.topic, partition: w.partition, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: `unknown partition ${w.topic}-${w.partition}` }
          : singleBroker(metadata, w),
      );
  for (const r of decided) {
    const w = wanted.find((k) => k.topic === r.topic && k.partition === r.partition);
    if (r.errorCode === 0) logger.info({ topic: r.topic, partition: r.partition, target: w?.replicas ?? 'cancel' }, w?.replicas ? 'partition reassignment started' : 'partition reassignment cancelled');
    else logger.info({ topic: r.topic, partition: r.partition, errorCode: r.errorCode, err: r.message }, 'partition reassignment refused');
  }
  return response(ErrorCode.NONE, null, decided);
};
