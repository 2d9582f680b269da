/**
 * DescribeTransactions: v0
 *
 * Behavior:
 * - Needs DESCRIBE on each transactional id (TRANSACTIONAL_ID_AUTHORIZATION_FAILED); unknown ids:
 *   TRANSACTIONAL_ID_NOT_FOUND.
 * - State, timeout, start time, producer id/epoch and the partitions in the transaction, leaving out topics the
 *   caller may not DESCRIBE (as Kafka does).
 *
 * Version notes:
 * - v0: the only version (KIP-664).
 */
import { ErrorCode } from '../../protocol/errors';
import type { DescribeTransactionsRequest } from '../../protocol/generated/messages/DescribeTransactionsRequest';
import type { DescribeTransactionsResponseInput } from '../../protocol/generated/messages/DescribeTransactionsResponse';
import { txnServices } from '../txn/services';
import { TXN_STATUS_NAMES } from '../txn/txnLogRecords';
import type { Handler } from './types';
import { authorizedTopic, authorizedTransactionalId } from '../security/acl/check';
import { AclOperation } from '../security/acl/model';

export const handleDescribeTransactions: Handler<DescribeTransactionsRequest, DescribeTransactionsResponseInput> = async (ctx, req) => {
  const { coordinator } = await txnServices(ctx);
  return {
    throttleTimeMs: 0,
    transactionStates: req.transactionalIds.map((id) => {
      if (!authorizedTransactionalId(ctx, AclOperation.DESCRIBE, id)) {
        return { errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, transactionalId: id, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1n, producerId: -1n, producerEpoch: -1, topics: [] };
      }
      const m = coordinator.get(id);
      if (!m) {
        return { errorCode: ErrorCode.TRANSACTIONAL_ID_NOT_FOUND, transactionalId: id, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1n, producerId: -1n, producerEpoch: -1, topics: [] };
      }
      return {
        errorCode: ErrorCode.NONE,
        transactionalId: id,
        transactionState: TXN_STATUS_NAMES[m.status]!,
        transactionTimeoutMs: m.timeoutMs,
        transactionStartTimeMs: BigInt(m.startMs),
        producerId: m.producerId,
        producerEpoch: m.epoch,
        // Kafka leaves out the partitions of topics the caller may not DESCRIBE.
        topics: [...m.partitions].filter(([topic]) => authorizedTopic(ctx, AclOperation.DESCRIBE, topic)).map(([topic, ps]) => ({ topic, partitions: [...ps].sort((a, b) => a - b) })),
      };
    }),
  };
};
