import { ErrorCode } from '../../protocol/errors';
import type { EndTxnRequest } from '../../protocol/generated/messages/EndTxnRequest';
import type { EndTxnResponseInput } from '../../protocol/generated/messages/EndTxnResponse';
import { txnServices } from '../txn/services';
import type { Handler } from './types';
import { authorizedTransactionalId } from '../security/acl/check';
import { AclOperation } from '../security/acl/model';

/** Answers once the markers are written and staged offsets committed. */
export const handleEndTxn: Handler<EndTxnRequest, EndTxnResponseInput> = async (ctx, req) => {
  const { coordinator } = await txnServices(ctx);
  const fenced = ctx.apiVersion >= 2 ? ErrorCode.PRODUCER_FENCED : ErrorCode.INVALID_PRODUCER_EPOCH;
  if (!authorizedTransactionalId(ctx, AclOperation.WRITE, req.transactionalId)) return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, producerId: -1n, producerEpoch: -1 };
  const errorCode = await coordinator.endTxn(req.transactionalId, req.producerId, req.producerEpoch, req.committed, fenced, ctx.now);
  return { throttleTimeMs: 0, errorCode, producerId: -1n, producerEpoch: -1 };
};
