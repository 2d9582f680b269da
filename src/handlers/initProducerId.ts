/**
 * InitProducerId: v0-5
 *
 * Behavior:
 * - Idempotent producers (no transactional id) get a fresh producer id at epoch 0; they need IDEMPOTENT_WRITE on the
 *   cluster or WRITE on some topic (else CLUSTER_AUTHORIZATION_FAILED).
 * - Transactional ids need WRITE on the id (TRANSACTIONAL_ID_AUTHORIZATION_FAILED) and go through the transaction
 *   coordinator, which bumps the epoch (fencing the previous producer) and aborts its open transaction. A timeout
 *   out of range: INVALID_TRANSACTION_TIMEOUT; a transaction still completing: CONCURRENT_TRANSACTIONS; a stale
 *   producer id/epoch in a v3+ bump: PRODUCER_FENCED.
 *
 * Version notes:
 * - v0-1: the same. v2+: flexible.
 * - v3+: producer_id and producer_epoch in the request, to resume after INVALID_PRODUCER_EPOCH.
 * - v4+: PRODUCER_FENCED; older versions get INVALID_PRODUCER_EPOCH for it.
 * - v5: as v4; Brook never answers TRANSACTION_ABORTABLE (KIP-890).
 */
import { ErrorCode } from '../../protocol/errors';
import type { InitProducerIdRequest } from '../../protocol/generated/messages/InitProducerIdRequest';
import type { InitProducerIdResponseInput } from '../../protocol/generated/messages/InitProducerIdResponse';
import { txnServices } from '../txn/services';
import type { Handler } from './types';
import { initProducerIdDenied } from '../security/acl/txnChecks';

function failed(errorCode: number): InitProducerIdResponseInput {
  return { throttleTimeMs: 0, errorCode, producerId: -1n, producerEpoch: -1 };
}

export const handleInitProducerId: Handler<InitProducerIdRequest, InitProducerIdResponseInput> = async (ctx, req) => {
  const denied = initProducerIdDenied(ctx, req.transactionalId);
  if (denied !== 0) return failed(denied);
  const txn = await txnServices(ctx);
  if (req.transactionalId !== null) {
    const res = await txn.coordinator.initProducerId(req, ctx.now);
    // PRODUCER_FENCED is new in v4; older clients know the same condition as INVALID_PRODUCER_EPOCH
    if (res.errorCode === ErrorCode.PRODUCER_FENCED && ctx.apiVersion < 4) return failed(ErrorCode.INVALID_PRODUCER_EPOCH);
    return res;
  }
  const producerId = await txn.producerIds.allocate();
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId, producerEpoch: 0 };
};
