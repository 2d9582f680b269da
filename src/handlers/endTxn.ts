/**
 * EndTxn: v0-5
 *
 * Behavior:
 * - Needs WRITE on the transactional id (TRANSACTIONAL_ID_AUTHORIZATION_FAILED).
 * - Commits or aborts: answers once the markers are written and staged offsets committed. Fencing and state errors
 *   (INVALID_TXN_STATE, CONCURRENT_TRANSACTIONS…) come from the transaction coordinator.
 *
 * Version notes:
 * - v0-1: the same; a fenced producer gets INVALID_PRODUCER_EPOCH. v2+: PRODUCER_FENCED. v3+: flexible.
 * - v4+: Brook never answers TRANSACTION_ABORTABLE (KIP-890).
 * - v5: producer_id / producer_epoch in the answer are always -1: Brook does not bump the epoch on every transaction
 *   (KIP-890 part 2).
 */
import { ErrorCode } from '../../protocol/errors';
import type { EndTxnRequest } from '../../protocol/generated/messages/EndTxnRequest';
import type { EndTxnResponseInput } from '../../protocol/generated/messages/EndTxnResponse';
import { txnServices } from '../txn/services';
import type { Handler } from './types';
import { authorizedTransactionalId } from '../security/acl/check';
import { AclOperation } from '../security/acl/model';

export const handleEndTxn: Handler<EndTxnRequest, EndTxnResponseInput> = async (ctx, req) => {
  const { coordinator } = await txnServices(ctx);
  const fenced = ctx.apiVersion >= 2 ? ErrorCode.PRODUCER_FENCED : ErrorCode.INVALID_PRODUCER_EPOCH;
  if (!authorizedTransactionalId(ctx, AclOperation.WRITE, req.transactionalId)) return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, producerId: -1n, producerEpoch: -1 };
  const errorCode = await coordinator.endTxn(req.transactionalId, req.producerId, req.producerEpoch, req.committed, fenced, ctx.now);
  return { throttleTimeMs: 0, errorCode, producerId: -1n, producerEpoch: -1 };
};
