import { ErrorCode } from '../../protocol/errors';
import type { AddPartitionsToTxnRequest } from '../../protocol/generated/messages/AddPartitionsToTxnRequest';
import type { AddPartitionsToTxnResponseInput } from '../../protocol/generated/messages/AddPartitionsToTxnResponse';
import { txnServices } from '../txn/services';
import type { Handler } from './types';

/** v0-3: one transaction from its producer (v4+ is the broker-to-broker verification form, not served). */
export const handleAddPartitionsToTxn: Handler<AddPartitionsToTxnRequest, AddPartitionsToTxnResponseInput> = async (ctx, req) => {
  const { coordinator } = await txnServices(ctx);
  const fenced = ctx.apiVersion >= 2 ? ErrorCode.PRODUCER_FENCED : ErrorCode.INVALID_PRODUCER_EPOCH;
  const topics = req.v3AndBelowTopics.map((t) => ({ name: t.name, partitions: t.partitions }));
  const results = await coordinator.addPartitions(req.v3AndBelowTransactionalId, req.v3AndBelowProducerId, req.v3AndBelowProducerEpoch, topics, fenced, ctx.now);
  return {
    throttleTimeMs: 0,
    errorCode: ErrorCode.NONE,
    resultsByTransaction: [],
    resultsByTopicV3AndBelow: results.map((t) => ({ name: t.name, resultsByPartition: t.results.map((r) => ({ partitionIndex: r.partition, partitionErrorCode: r.errorCode })) })),
  };
};
