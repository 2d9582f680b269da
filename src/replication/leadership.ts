import { ErrorCode } from '../../protocol/errors';
import type { LeaderView } from './replicatedBroker';
import type { PartitionReplica } from './partitionReplica';

const NO_EPOCH = -1;
/** Without replication every partition is led here at epoch 0: one answer shared by every check. */
const LED_HERE: LeaderCheck = Object.freeze({ errorCode: 0, leaderEpoch: 0, replica: null });
const NO_OPTS: { replicaFetch?: boolean } = Object.freeze({});

export type LeaderCheck =
  | { errorCode: 0; leaderEpoch: number; replica: PartitionReplica | null }
  | { errorCode: number; leaderEpoch: number; replica: null };

/**
 * Whether this broker may serve a leader-only request (produce, consumer fetch,
 * list offsets, offset for leader epoch, delete records) for a partition, and
 * at which leader epoch. Without replication (single broker) every partition is
 * led here at epoch 0, as before. The client's current_leader_epoch fences it
 * as Kafka does: older is FENCED_LEADER_EPOCH, newer is UNKNOWN_LEADER_EPOCH
 * (this broker has not heard of that election yet).
 */
export function checkLeader(services: LeaderView, topic: string, partition: number, currentLeaderEpoch = NO_EPOCH, opts: { replicaFetch?: boolean } = NO_OPTS): LeaderCheck {
  const replication = services.replication;
  if (!replication) {
    if (currentLeaderEpoch > 0) return { errorCode: ErrorCode.UNKNOWN_LEADER_EPOCH, leaderEpoch: 0, replica: null };
    return LED_HERE;
  }
  const state = services.metadata.partitionState(topic, partition);
  if (!state) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, leaderEpoch: NO_EPOCH, replica: null };
  if (currentLeaderEpoch !== NO_EPOCH) {
    if (currentLeaderEpoch < state.leaderEpoch) return { errorCode: ErrorCode.FENCED_LEADER_EPOCH, leaderEpoch: state.leaderEpoch, replica: null };
    if (currentLeaderEpoch > state.leaderEpoch) return { errorCode: ErrorCode.UNKNOWN_LEADER_EPOCH, leaderEpoch: state.leaderEpoch, replica: null };
  }
  if (state.leader !== services.metadata.self().nodeId) return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, leaderEpoch: state.leaderEpoch, replica: null };
  const replica = replication.replica(topic, partition);
  // the metadata names us already but the role change is still being applied
  if (!replica || replica.role !== 'leader' || replica.state.leaderEpoch !== state.leaderEpoch) {
    // a restarted broker or a new topic: its role waits in a batch of thousands; this one is wanted now
    replication.hurry(topic, partition);
    return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, leaderEpoch: state.leaderEpoch, replica: null };
  }
  // a fenced leader (lost metadata session) serves only its followers
  if (replica.fenced && !opts.replicaFetch) return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, leaderEpoch: state.leaderEpoch, replica: null };
  return { errorCode: 0, leaderEpoch: state.leaderEpoch, replica };
}
