/**
 * DescribeProducers: v0
 *
 * Behavior:
 * - Producers with state on each partition: epoch, last sequence, last timestamp, open transaction start offset;
 *   coordinator_epoch is always 0.
 * - Needs READ on the topic (TOPIC_AUTHORIZATION_FAILED); unknown topic: UNKNOWN_TOPIC_OR_PARTITION. Any replica
 *   with the log answers (no leader check).
 *
 * Version notes:
 * - v0: the only version (KIP-664).
 */
import { ErrorCode } from '../../protocol/errors';
import type { DescribeProducersRequest } from '../../protocol/generated/messages/DescribeProducersRequest';
import type { DescribeProducersResponseInput } from '../../protocol/generated/messages/DescribeProducersResponse';
import { partitionLog } from '../metadata/partitionLogs';
import type { Handler } from './types';
import { authorizedTopic } from '../security/acl/check';
import { AclOperation } from '../security/acl/model';

export const handleDescribeProducers: Handler<DescribeProducersRequest, DescribeProducersResponseInput> = async (ctx, req) => ({
  throttleTimeMs: 0,
  topics: await Promise.all(
    req.topics.map(async (t) => {
      const info = ctx.broker.metadata.topic(t.name);
      return {
        name: t.name,
        partitions: await Promise.all(
          t.partitionIndexes.map(async (p) => {
            const none = { partitionIndex: p, errorMessage: null, activeProducers: [] };
            if (!authorizedTopic(ctx, AclOperation.READ, t.name)) return { ...none, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED };
            if (!info) return { ...none, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
            const found = await partitionLog(ctx.broker, info, p);
            if (!found.log) return { ...none, errorCode: found.errorCode };
            const table = await found.log.producerState.table();
            return {
              ...none,
              errorCode: ErrorCode.NONE,
              activeProducers: [...table.entries()].map((e) => ({
                producerId: e.producerId,
                producerEpoch: e.epoch,
                lastSequence: e.batches.length > 0 ? e.batches[e.batches.length - 1]!.lastSeq : -1,
                lastTimestamp: BigInt(e.lastTimestamp),
                coordinatorEpoch: 0,
                currentTxnStartOffset: BigInt(e.txnFirstOffset),
              })),
            };
          }),
        ),
      };
    }),
  ),
});
