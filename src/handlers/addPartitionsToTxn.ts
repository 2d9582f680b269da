/**
 * AddPartitionsToTxn: v0-5
 *
 * Behavior:
 * - Producers (v0-3) need WRITE on the transactional id (TRANSACTIONAL_ID_AUTHORIZATION_FAILED) and on each topic; a
 *   refused topic fails its partitions with TOPIC_AUTHORIZATION_FAILED and the others with OPERATION_NOT_ATTEMPTED.
 * - Brokers (v4+) need CLUSTER_ACTION (top-level CLUSTER_AUTHORIZATION_FAILED).
 * - Fencing and state errors (INVALID_PRODUCER_ID_MAPPING, CONCURRENT_TRANSACTIONS, INVALID_TXN_STATE…) come from
 *   the transaction coordinator.
 *
 * Version notes:
 * - v0-1: the same; a fenced producer gets INVALID_PRODUCER_EPOCH. v2+: PRODUCER_FENCED. v3: flexible.
 * - v4+ (KIP-890): the brokers' form, a batch of transactions each added to or, with verify_only, only checked;
 *   top-level error_code.
 * - v5: as v4; Brook never answers TRANSACTION_ABORTABLE.
 */
import { ErrorCode } from '../../protocol/errors';
import type { AddPartitionsToTxnRequest } from '../../protocol/generated/messages/AddPartitionsToTxnRequest';
import type { AddPartitionsToTxnResponseInput } from '../../protocol/generated/messages/AddPartitionsToTxnResponse';
import type { TransactionCoordinator } from '../txn/coordinator';
import { txnServices } from '../txn/services';
import type { Handler } from './types';
import { authorizedCluster } from '../security/acl/check';
import { AclOperation } from '../security/acl/model';
import { addPartitionsDenied } from '../security/acl/txnChecks';

type TopicResults = Array<{ name: string; resultsByPartition: Array<{ partitionIndex: number; partitionErrorCode: number }> }>;

function toWire(results: Array<{ name: string; results: Array<{ partition: number; errorCode: number }> }>): TopicResults {
  return results.map((t) => ({ name: t.name, resultsByPartition: t.results.map((r) => ({ partitionIndex: r.partition, partitionErrorCode: r.errorCode })) }));
}

export const handleAddPartitionsToTxn: Handler<AddPartitionsToTxnRequest, AddPartitionsToTxnResponseInput> = async (ctx, req) => {
  const { coordinator } = await txnServices(ctx);
  const fenced = ctx.apiVersion >= 2 ? ErrorCode.PRODUCER_FENCED : ErrorCode.INVALID_PRODUCER_EPOCH;
  if (ctx.apiVersion < 4) {
    const topics = req.v3AndBelowTopics.map((t) => ({ name: t.name, partitions: t.partitions }));
    const results = addPartitionsDenied(ctx, req.v3AndBelowTransactionalId, topics) ?? await coordinator.addPartitions(req.v3AndBelowTransactionalId, req.v3AndBelowProducerId, req.v3AndBelowProducerEpoch, topics, fenced, ctx.now);
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, resultsByTransaction: [], resultsByTopicV3AndBelow: toWire(results) };
  }
  // v4+ is the brokers' form (KIP-890): it needs CLUSTER_ACTION, as in Kafka.
  if (!authorizedCluster(ctx, AclOperation.CLUSTER_ACTION)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, resultsByTransaction: [], resultsByTopicV3AndBelow: [] };
  const resultsByTransaction = await Promise.all(
    req.transactions.map(async (t) => ({ transactionalId: t.transactionalId, topicResults: toWire(await oneTransaction(coordinator, t, fenced, ctx.now)) })),
  );
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, resultsByTransaction, resultsByTopicV3AndBelow: [] };
};

function oneTransaction(coordinator: TransactionCoordinator, t: AddPartitionsToTxnRequest['transactions'][number], fenced: number, now: number) {
  const topics = t.topics.map((x) => ({ name: x.name, partitions: x.partitions }));
  if (t.verifyOnly) return coordinator.verifyPartitions(t.transactionalId, t.producerId, t.producerEpoch, topics, fenced);
  return coordinator.addPartitions(t.transactionalId, t.producerId, t.producerEpoch, topics, fenced, now);
}
