import { ErrorCode } from '../../protocol/errors';
import type { InitProducerIdRequest } from '../../protocol/generated/messages/InitProducerIdRequest';
import type { InitProducerIdResponseInput } from '../../protocol/generated/messages/InitProducerIdResponse';
import { txnServices } from '../txn/services';
import type { Handler } from './types';
import { initProducerIdDenied } from '../security/acl/txnChecks';

function failed(errorCode: number): InitProducerIdResponseInput {
  return { throttleTimeMs: 0, errorCode, producerId: -1n, producerEpoch: -1 };
}

/** Idempotent producers get a fresh id at epoch 0; transactional ids go through the transaction coordinator. */
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
