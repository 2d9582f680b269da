/**
 * AddOffsetsToTxn: v0-4
 *
 * Behavior:
 * - An empty group id: INVALID_GROUP_ID. Needs WRITE on the transactional id (TRANSACTIONAL_ID_AUTHORIZATION_FAILED)
 *   and READ on the group (GROUP_AUTHORIZATION_FAILED).
 * - Cluster mode: the group's __consumer_offsets partition joins the transaction, so its leader hears the outcome
 *   (COORDINATOR_NOT_AVAILABLE when it cannot be found).
 * - Fencing and state errors come from the transaction coordinator.
 *
 * Version notes:
 * - v0-1: the same; a fenced producer gets INVALID_PRODUCER_EPOCH. v2+: PRODUCER_FENCED. v3+: flexible.
 * - v4: as v3; Brook never answers TRANSACTION_ABORTABLE (KIP-890).
 */
import { ErrorCode } from '../../protocol/errors';
import type { AddOffsetsToTxnRequest } from '../../protocol/generated/messages/AddOffsetsToTxnRequest';
import type { AddOffsetsToTxnResponseInput } from '../../protocol/generated/messages/AddOffsetsToTxnResponse';
import { clusterCoordinator } from '../metadata/coordinatorPlacement';
import { offsetsPartitionOf } from '../txn/clusterOffsets';
import { txnServices } from '../txn/services';
import type { Handler } from './types';
import { authorizedGroup, authorizedTransactionalId } from '../security/acl/check';
import { AclOperation } from '../security/acl/model';

export const handleAddOffsetsToTxn: Handler<AddOffsetsToTxnRequest, AddOffsetsToTxnResponseInput> = async (ctx, req) => {
  const { coordinator } = await txnServices(ctx);
  const fenced = ctx.apiVersion >= 2 ? ErrorCode.PRODUCER_FENCED : ErrorCode.INVALID_PRODUCER_EPOCH;
  if (!req.groupId) return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_GROUP_ID };
  if (!authorizedTransactionalId(ctx, AclOperation.WRITE, req.transactionalId)) return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED };
  if (!authorizedGroup(ctx, AclOperation.READ, req.groupId)) return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
  // Cluster mode: the group's __consumer_offsets partition joins the transaction, so its leader hears the outcome.
  let offsetsPartition: { topic: string; partition: number } | null = null;
  if (ctx.broker.clustered) {
    const found = await clusterCoordinator(ctx.broker, 0, req.groupId);
    offsetsPartition = offsetsPartitionOf(ctx.broker, req.groupId);
    if (found.errorCode !== ErrorCode.NONE || !offsetsPartition) return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
  }
  return { throttleTimeMs: 0, errorCode: await coordinator.addOffsets(req.transactionalId, req.producerId, req.producerEpoch, fenced, ctx.now, offsetsPartition) };
};
