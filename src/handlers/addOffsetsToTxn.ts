import { ErrorCode } from '../../protocol/errors';
import type { AddOffsetsToTxnRequest } from '../../protocol/generated/messages/AddOffsetsToTxnRequest';
import type { AddOffsetsToTxnResponseInput } from '../../protocol/generated/messages/AddOffsetsToTxnResponse';
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
  return { throttleTimeMs: 0, errorCode: await coordinator.addOffsets(req.transactionalId, req.producerId, req.producerEpoch, fenced, ctx.now) };
};
