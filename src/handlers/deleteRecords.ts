/**
 * DeleteRecords: v0-2
 *
 * Behavior:
 * - Moves each partition's log start offset forward and answers the new low watermark; -1 means up to the high
 *   watermark.
 * - Needs DELETE on the topic (TOPIC_AUTHORIZATION_FAILED); unknown topic: UNKNOWN_TOPIC_OR_PARTITION; only the
 *   leader deletes (followers adopt the new start from fetches).
 * - A compact-only topic: POLICY_VIOLATION; an offset below -1 or past what Brook can address: OFFSET_OUT_OF_RANGE.
 * - A filtered view (brook.view.of) is read-only, as for Produce: INVALID_TOPIC_EXCEPTION with a log line naming
 *   its source (deleting there removes the records from the source and all its views).
 *
 * Version notes:
 * - v0-1: the same. v2: flexible.
 */
import { ErrorCode } from '../../protocol/errors';
import type { DeleteRecordsPartition, DeleteRecordsRequest } from '../../protocol/generated/messages/DeleteRecordsRequest';
import type { DeleteRecordsResponseInput } from '../../protocol/generated/messages/DeleteRecordsResponse';
import { StorageError } from '../../storage/errors';
import { partitionLog } from '../metadata/partitionLogs';
import type { TopicInfo } from '../metadata/types';
import type { Handler, RequestContext } from './types';
import { checkLeader } from '../replication/leadership';
import { authorizedTopic } from '../security/acl/check';
import { AclOperation } from '../security/acl/model';
import { isView, VIEW_OF } from '../views/viewTopics';

type PartitionResult = NonNullable<NonNullable<DeleteRecordsResponseInput['topics']>[number]['partitions']>[number];

/** Kafka's "delete up to the high watermark". */
const TO_HIGH_WATERMARK = -1n;

const failed = (partitionIndex: number, errorCode: number): PartitionResult => ({ partitionIndex, lowWatermark: -1n, errorCode });

async function deletePartition(ctx: RequestContext, topic: TopicInfo, p: DeleteRecordsPartition): Promise<PartitionResult> {
  // the leader moves the log start; followers adopt it from their fetch answers
  const leader = checkLeader(ctx.broker, topic.name, p.partitionIndex);
  if (leader.errorCode !== 0) return failed(p.partitionIndex, leader.errorCode);
  const found = await partitionLog(ctx.broker, topic, p.partitionIndex);
  if (!found.log) return failed(p.partitionIndex, found.errorCode);
  const log = found.log;
  // A compact-only log keeps the newest value per key forever; cutting its head would break that promise.
  if (log.currentConfig().cleanupPolicy === 'compact') return failed(p.partitionIndex, ErrorCode.POLICY_VIOLATION);
  if (p.offset < TO_HIGH_WATERMARK || p.offset > BigInt(Number.MAX_SAFE_INTEGER)) return failed(p.partitionIndex, ErrorCode.OFFSET_OUT_OF_RANGE);
  const target = p.offset === TO_HIGH_WATERMARK ? log.highWatermark : Number(p.offset);
  try {
    const lowWatermark = await log.deleteRecordsBefore(target);
    return { partitionIndex: p.partitionIndex, lowWatermark: BigInt(lowWatermark), errorCode: 0 };
  } catch (err) {
    if (err instanceof StorageError) return failed(p.partitionIndex, err.code);
    throw err;
  }
}

export const handleDeleteRecords: Handler<DeleteRecordsRequest, DeleteRecordsResponseInput> = async (ctx, req) => {
  const topics = await Promise.all(
    req.topics.map(async (t) => {
      if (!authorizedTopic(ctx, AclOperation.DELETE, t.name)) return { name: t.name, partitions: t.partitions.map((p) => failed(p.partitionIndex, ErrorCode.TOPIC_AUTHORIZATION_FAILED)) };
      const topic = ctx.broker.metadata.topic(t.name);
      if (topic && isView(topic)) {
        ctx.broker.logger.info({ api: 'DeleteRecords', topic: t.name, source: topic.configs[VIEW_OF], client: ctx.clientId }, `topic ${t.name} is a filtered view of ${topic.configs[VIEW_OF]}: delete records from the source topic instead`);
        return { name: t.name, partitions: t.partitions.map((p) => failed(p.partitionIndex, ErrorCode.INVALID_TOPIC_EXCEPTION)) };
      }
      const partitions = topic
        ? await Promise.all(t.partitions.map((p) => deletePartition(ctx, topic, p)))
        : t.partitions.map((p) => failed(p.partitionIndex, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
      return { name: t.name, partitions };
    }),
  );
  return { throttleTimeMs: 0, topics };
};
