/**
 * TxnOffsetCommit: v0-5
 *
 * Behavior:
 * - Stages the offsets in the transaction; the group sees them only when it commits (cluster mode: written to
 *   __consumer_offsets before the answer, so a coordinator failover keeps them).
 * - Needs WRITE on the transactional id, READ on the group and READ on each topic (TRANSACTIONAL_ID_ / GROUP_ /
 *   TOPIC_AUTHORIZATION_FAILED); an empty group id is INVALID_GROUP_ID.
 * - Member and generation checks are the group coordinator's; fencing is the transaction coordinator's. A group id a
 *   share group holds is GROUP_ID_NOT_FOUND.
 *
 * Version notes:
 * - v0-1: the same. v2+: committed_leader_epoch.
 * - v3+: member_id, group_instance_id and generation_id (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID);
 *   flexible; a fenced producer gets PRODUCER_FENCED (INVALID_PRODUCER_EPOCH before).
 * - v4-5: as v3; Brook never answers TRANSACTION_ABORTABLE (KIP-890).
 */
import { ErrorCode } from '../../protocol/errors';
import type { TxnOffsetCommitRequest } from '../../protocol/generated/messages/TxnOffsetCommitRequest';
import type { TxnOffsetCommitResponseInput } from '../../protocol/generated/messages/TxnOffsetCommitResponse';
import { groupCoordinator, groupCoordinatorError } from '../groups/services';
import { stagePendingOffsets } from '../txn/clusterOffsets';
import { txnServices } from '../txn/services';
import type { StagedOffset } from '../txn/txnLogRecords';
import { heldByShareGroup } from './shareMember';
import type { Handler } from './types';
import { txnOffsetCommitAcl } from '../security/acl/txnChecks';

export const handleTxnOffsetCommit: Handler<TxnOffsetCommitRequest, TxnOffsetCommitResponseInput> = async (ctx, req) => {
  const { coordinator } = await txnServices(ctx);
  const fenced = ctx.apiVersion >= 3 ? ErrorCode.PRODUCER_FENCED : ErrorCode.INVALID_PRODUCER_EPOCH;
  const acl = txnOffsetCommitAcl(ctx, req.transactionalId, req.groupId);
  const offsets: StagedOffset[] = req.topics.filter((t) => acl.all === 0 && acl.topic(t.name) === 0).flatMap((t) =>
    t.partitions.map((p) => ({ groupId: req.groupId, topic: t.name, partition: p.partitionIndex, offset: Number(p.committedOffset), leaderEpoch: p.committedLeaderEpoch, metadata: p.committedMetadata ?? '' })),
  );
  let errorCode: number = ErrorCode.INVALID_GROUP_ID;
  if (req.groupId && acl.all === 0) {
    const groups = groupCoordinator(ctx, req.groupId);
    errorCode = groups ? groups.validateTransactionalCommit(req.groupId, req.memberId, req.groupInstanceId, req.generationId) : groupCoordinatorError(ctx, req.groupId);
    if (errorCode === ErrorCode.NONE && (await heldByShareGroup(ctx, req.groupId, groups!))) errorCode = ErrorCode.GROUP_ID_NOT_FOUND;
    if (errorCode === ErrorCode.NONE && ctx.broker.clustered) {
      // durable and replicated in __consumer_offsets before the answer: a coordinator failover keeps them
      errorCode = await groups!.txnOffsets.stageTransactionalOffsets(req.groupId, req.producerId, req.producerEpoch, offsets, fenced);
      if (errorCode === ErrorCode.NONE) stagePendingOffsets(ctx.broker, req.producerId, offsets);
    }
    else if (errorCode === ErrorCode.NONE) {
      errorCode = await coordinator.stageOffsets(req.transactionalId, req.producerId, req.producerEpoch, offsets, fenced);
      // for the ordering rule: a plain commit after this one wins at the commit
      if (errorCode === ErrorCode.NONE) groups!.txnOffsets.noteStagedOffsets(req.groupId, req.producerId, offsets);
    }
  }
  return {
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: acl.all || acl.topic(t.name) || errorCode })) })),
  };
};
