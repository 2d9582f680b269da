import { ErrorCode } from '../../protocol/errors';
import type { TxnOffsetCommitRequest } from '../../protocol/generated/messages/TxnOffsetCommitRequest';
import type { TxnOffsetCommitResponseInput } from '../../protocol/generated/messages/TxnOffsetCommitResponse';
import { groupCoordinator, groupCoordinatorError } from '../groups/services';
import { stagePendingOffsets } from '../txn/clusterOffsets';
import { txnServices } from '../txn/services';
import type { StagedOffset } from '../txn/txnLogRecords';
import type { Handler } from './types';
import { txnOffsetCommitAcl } from '../security/acl/txnChecks';

/** Stages the offsets in the transaction; the group sees them only when it commits. */
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
    if (errorCode === ErrorCode.NONE && ctx.broker.clustered) {
      // durable and replicated in __consumer_offsets before the answer: a coordinator failover keeps them
      errorCode = await groups!.stageTransactionalOffsets(req.groupId, req.producerId, req.producerEpoch, offsets, fenced);
      if (errorCode === ErrorCode.NONE) stagePendingOffsets(ctx.broker, req.producerId, offsets);
    }
    else if (errorCode === ErrorCode.NONE) {
      errorCode = await coordinator.stageOffsets(req.transactionalId, req.producerId, req.producerEpoch, offsets, fenced);
      // for the ordering rule: a plain commit after this one wins at the commit
      if (errorCode === ErrorCode.NONE) groups!.noteStagedOffsets(req.groupId, req.producerId, offsets);
    }
  }
  return {
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: acl.all || acl.topic(t.name) || errorCode })) })),
  };
};
