/**
 * OffsetForLeaderEpoch: v0-4
 *
 * Behavior:
 * - Consumers (KIP-320) need DESCRIBE on each topic, followers (replica id >= 0) CLUSTER_ACTION; denied partitions:
 *   TOPIC_AUTHORIZATION_FAILED. Unknown topic: UNKNOWN_TOPIC_OR_PARTITION.
 * - With replication the leader answers from its leader epoch cache (KIP-101) after leader and epoch checks.
 * - Single broker: epoch 0 always, ending at the log end; a current_leader_epoch below or above 0 is
 *   FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH; any other epoch gets -1 / -1 without an error.
 *
 * Version notes:
 * - v0: end offsets only. v1+: the leader epoch in the answer. v2+: current_leader_epoch fencing, throttle_time_ms.
 * - v3+: replica_id (followers vs consumers). v4: flexible.
 */
import { ErrorCode } from '../../protocol/errors';
import type { OffsetForLeaderEpochRequest, OffsetForLeaderPartition } from '../../protocol/generated/messages/OffsetForLeaderEpochRequest';
import type { OffsetForLeaderEpochResponseInput } from '../../protocol/generated/messages/OffsetForLeaderEpochResponse';
import { partitionLog } from '../metadata/partitionLogs';
import { viewSourceOrSelf } from '../views/viewTopics';
import type { TopicInfo } from '../metadata/types';
import type { Handler, RequestContext } from './types';
import { checkLeader } from '../replication/leadership';
import { authorizedCluster, authorizedTopic } from '../security/acl/check';
import { AclOperation } from '../security/acl/model';

type EpochEndOffset = NonNullable<NonNullable<OffsetForLeaderEpochResponseInput['topics']>[number]['partitions']>[number];

/** A single broker never changes leader, so every partition has been in epoch 0 since it was created. */
const LEADER_EPOCH = 0;
const UNDEFINED = -1;

const answer = (partition: number, errorCode: number, leaderEpoch = UNDEFINED, endOffset = -1n): EpochEndOffset => ({
  errorCode,
  partition,
  leaderEpoch,
  endOffset,
});

async function endOffsetFor(ctx: RequestContext, topic: TopicInfo, p: OffsetForLeaderPartition): Promise<EpochEndOffset> {
  if (ctx.broker.replication) return replicatedEndOffset(ctx, topic, p);
  const found = await partitionLog(ctx.broker, topic, p.partition);
  if (!found.log) return answer(p.partition, found.errorCode);
  // Fencing as Kafka does: the caller's view of the current epoch must match ours (-1 = not given).
  if (p.currentLeaderEpoch !== UNDEFINED) {
    if (p.currentLeaderEpoch < LEADER_EPOCH) return answer(p.partition, ErrorCode.FENCED_LEADER_EPOCH);
    if (p.currentLeaderEpoch > LEADER_EPOCH) return answer(p.partition, ErrorCode.UNKNOWN_LEADER_EPOCH);
  }
  // The only epoch ends at the log end; an epoch we never had has no end offset (Kafka's UNDEFINED answer, no error).
  if (p.leaderEpoch === LEADER_EPOCH) return answer(p.partition, 0, LEADER_EPOCH, BigInt(found.log.logEndOffset));
  return answer(p.partition, 0);
}

/**
 * With replication the leader answers from its leader epoch cache (KIP-101):
 * followers truncate to the answer when they start following, consumers check
 * their position after a leader change (KIP-320).
 */
function replicatedEndOffset(ctx: RequestContext, topic: TopicInfo, p: OffsetForLeaderPartition): EpochEndOffset {
  const leader = checkLeader(ctx.broker, topic.name, p.partition, p.currentLeaderEpoch);
  if (leader.errorCode !== 0 || !leader.replica) return answer(p.partition, leader.errorCode || ErrorCode.NOT_LEADER_OR_FOLLOWER);
  const log = leader.replica.log;
  const end = log.epochs.endOffsetFor(p.leaderEpoch, log.logEndOffset);
  return answer(p.partition, 0, end.epoch, BigInt(end.endOffset));
}

export const handleOffsetForLeaderEpoch: Handler<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponseInput> = async (ctx, req) => {
  // Followers (replica id >= 0) need CLUSTER_ACTION; consumers DESCRIBE on each topic.
  const follower = req.replicaId >= 0;
  const clusterOk = follower && authorizedCluster(ctx, AclOperation.CLUSTER_ACTION);
  const topics = await Promise.all(
    req.topics.map(async (t) => {
      if (!(follower ? clusterOk : authorizedTopic(ctx, AclOperation.DESCRIBE, t.topic))) {
        return { topic: t.topic, partitions: t.partitions.map((p) => answer(p.partition, ErrorCode.TOPIC_AUTHORIZATION_FAILED)) };
      }
      // consumers of a filtered view check their position against its source (views have no log of their own)
      const named = ctx.broker.metadata.topic(t.topic);
      const topic = follower ? named : viewSourceOrSelf(ctx.broker.metadata, named);
      const partitions = topic
        ? await Promise.all(t.partitions.map((p) => endOffsetFor(ctx, topic, p)))
        : t.partitions.map((p) => answer(p.partition, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
      return { topic: t.topic, partitions };
    }),
  );
  return { throttleTimeMs: 0, topics };
};
