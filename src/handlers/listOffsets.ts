/**
 * ListOffsets: v0-11
 *
 * Behavior:
 * - Each topic needs DESCRIBE (TOPIC_AUTHORIZATION_FAILED); unknown topics: UNKNOWN_TOPIC_OR_PARTITION; only the
 *   leader answers, with leader-epoch fencing.
 * - A filtered view (brook.view.of) answers with its source partition's offsets.
 * - Latest is the high watermark, or the last stable offset for read_committed; earliest is the log start offset.
 * - Nothing is ever tiered: earliest-local is the log start, latest-tiered and earliest-pending-upload find no
 *   offset (-1).
 *
 * Version notes:
 * - v0: answers a list of old-style offsets (empty for none).
 * - v1+: one offset and its timestamp. v2: isolation_level, throttle_time_ms. v4: current_leader_epoch in,
 *   leader_epoch out. v6+: flexible.
 * - v7: max timestamp (-3, KIP-734). v8: earliest local (-4). v9: latest tiered (-5).
 * - v10: timeout_ms (not used: nothing remote to wait for). v11: earliest pending upload (-6).
 */
import { ErrorCode } from '../../protocol/errors';
import type { ListOffsetsRequest, ListOffsetsPartition } from '../../protocol/generated/messages/ListOffsetsRequest';
import type { ListOffsetsResponseInput } from '../../protocol/generated/messages/ListOffsetsResponse';
import type { PartitionLog } from '../../storage';
import { StorageError } from '../../storage/errors';
import { partitionLog } from '../metadata/partitionLogs';
import type { Handler, RequestContext } from './types';
import { checkLeader } from '../replication/leadership';
import { authorizedTopic } from '../security/acl/check';
import { AclOperation } from '../security/acl/model';
import { viewSourceOrSelf } from '../views/viewTopics';

/** Special timestamps of ListOffsets (KIP-734 max timestamp, KIP-405 tiered storage variants). */
const LATEST = -1n;
const EARLIEST = -2n;
const MAX_TIMESTAMP = -3n;
const EARLIEST_LOCAL = -4n;
const LATEST_TIERED = -5n;
const EARLIEST_PENDING_UPLOAD = -6n;

type PartitionResponse = NonNullable<NonNullable<ListOffsetsResponseInput['topics']>[number]['partitions']>[number];

/** Fields outside the version's layout must stay at their defaults (the encoder refuses anything else). */
function answer(index: number, errorCode: number, version: number, offset = -1, timestamp = -1, leaderEpoch = 0): PartitionResponse {
  if (version === 0) {
    // v0 answers a list; an empty one means "no offset".
    return { partitionIndex: index, errorCode, oldStyleOffsets: offset >= 0 ? [BigInt(offset)] : [] };
  }
  return {
    partitionIndex: index,
    errorCode,
    timestamp: BigInt(timestamp),
    offset: BigInt(offset),
    leaderEpoch: version >= 4 && offset >= 0 ? leaderEpoch : -1,
  };
}

async function lookup(log: PartitionLog, ts: bigint): Promise<{ offset: number; timestamp: number }> {
  switch (ts) {
    case LATEST:
      // Single replica, no transactions: log end, high watermark and last stable offset coincide.
      return { offset: log.highWatermark, timestamp: -1 };
    case EARLIEST:
    case EARLIEST_LOCAL:
      return { offset: log.logStartOffset, timestamp: -1 };
    case MAX_TIMESTAMP:
      return (await log.maxTimestamp()) ?? { offset: -1, timestamp: -1 };
    case LATEST_TIERED:
    case EARLIEST_PENDING_UPLOAD:
      // Nothing is ever tiered.
      return { offset: -1, timestamp: -1 };
    default: {
      if (ts < 0n) return { offset: -1, timestamp: -1 };
      return (await log.offsetForTimestamp(Number(ts))) ?? { offset: -1, timestamp: -1 };
    }
  }
}

async function listPartition(ctx: RequestContext, topicName: string, p: ListOffsetsPartition, readCommitted = false): Promise<PartitionResponse> {
  const v = ctx.apiVersion;
  if (!authorizedTopic(ctx, AclOperation.DESCRIBE, topicName)) return answer(p.partitionIndex, ErrorCode.TOPIC_AUTHORIZATION_FAILED, v);
  // a filtered view answers with its source's offsets, which its records keep
  const topic = viewSourceOrSelf(ctx.broker.metadata, ctx.broker.metadata.topic(topicName));
  if (!topic) return answer(p.partitionIndex, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, v);
  // only the leader answers; without replication it is this broker at epoch 0
  const leader = checkLeader(ctx.broker, topic.name, p.partitionIndex, p.currentLeaderEpoch);
  if (leader.errorCode !== 0) return answer(p.partitionIndex, leader.errorCode, v);
  const found = await partitionLog(ctx.broker, topic, p.partitionIndex);
  if (!found.log) return answer(p.partitionIndex, found.errorCode, v);
  try {
    const log = found.log;
    // what a consumer may fetch: below the last stable offset (read_committed, below any open transaction) or the
    // high watermark. "latest" is that bound; a lookup by time or max timestamp that lands at or past it finds
    // nothing (Kafka's fetchOffsetForTimestamp), so it never points a reader into an open transaction.
    const fetchable = async () => (readCommitted ? (await log.producerState.table()).lastStableOffset(log.highWatermark) : log.highWatermark);
    let r = p.timestamp === LATEST && readCommitted ? { offset: await fetchable(), timestamp: -1 } : await lookup(log, p.timestamp);
    if (p.timestamp !== LATEST && p.timestamp !== EARLIEST && p.timestamp !== EARLIEST_LOCAL && r.offset >= 0 && r.offset >= (await fetchable())) r = { offset: -1, timestamp: -1 };
    return answer(p.partitionIndex, 0, v, r.offset, r.timestamp, leader.leaderEpoch);
  } catch (err) {
    if (err instanceof StorageError) return answer(p.partitionIndex, err.code, v);
    throw err;
  }
}

export const handleListOffsets: Handler<ListOffsetsRequest, ListOffsetsResponseInput> = async (ctx, req) => ({
  throttleTimeMs: 0,
  topics: await Promise.all(
    req.topics.map(async (t) => ({
      name: t.name,
      partitions: await Promise.all(t.partitions.map((p) => listPartition(ctx, t.name, p, req.isolationLevel === 1))),
    })),
  ),
});
