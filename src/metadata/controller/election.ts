import { NO_LEADER, type PartitionState } from '../types';

export interface ElectionPolicy {
  /** Elect a replica outside the ISR when no ISR member is alive (may lose acknowledged data). */
  uncleanLeaderElection: boolean;
  /** Move leadership back to the preferred (first) replica once it is alive and in the ISR. */
  preferredLeaderElection: boolean;
}

/** The first replica, in assignment order, that is alive and in the ISR. */
function cleanCandidate(s: PartitionState, live: ReadonlySet<number>): number {
  return s.replicas.find((r) => live.has(r) && s.isr.includes(r)) ?? NO_LEADER;
}

function sameMembers(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * What the controller makes of a partition given the live brokers: dead
 * brokers leave the ISR, a dead or missing leader is replaced by the first
 * live ISR member (or, if allowed, any live replica), optionally the preferred
 * replica takes leadership back. When no ISR member is alive the partition goes
 * offline and keeps its last ISR, so that the first of those brokers to come
 * back is elected cleanly. Returns the new state, or null when nothing changes.
 */
export function reconcilePartition(s: PartitionState, live: ReadonlySet<number>, policy: ElectionPolicy): PartitionState | null {
  let leader = s.leader;
  let isr = s.isr;
  if (leader !== NO_LEADER && live.has(leader)) {
    isr = s.isr.filter((r) => live.has(r));
    if (!isr.includes(leader)) isr = [leader, ...isr];
    const preferred = s.replicas[0];
    if (policy.preferredLeaderElection && preferred !== leader && live.has(preferred) && isr.includes(preferred)) leader = preferred;
  } else {
    leader = cleanCandidate(s, live);
    if (leader !== NO_LEADER) {
      isr = s.isr.filter((r) => live.has(r));
    } else if (policy.uncleanLeaderElection) {
      leader = s.replicas.find((r) => live.has(r)) ?? NO_LEADER;
      if (leader !== NO_LEADER) isr = [leader];
    }
    // Offline with no candidate: the ISR stays as it was, naming who may lead cleanly.
  }
  const leaderChanged = leader !== s.leader;
  if (!leaderChanged && sameMembers(isr, s.isr)) return null;
  return {
    ...s,
    leader,
    isr: [...isr],
    leaderEpoch: leaderChanged ? s.leaderEpoch + 1 : s.leaderEpoch,
    partitionEpoch: s.partitionEpoch + 1,
  };
}

/**
 * A replica that lost its copy (its broker came back with a wiped data dir, or without this partition's log)
 * leaves the ISR before it registers: ISR membership says "has every committed record", which it no longer
 * does, and the controller would elect it from that, losing acknowledged writes. Should it still be named the
 * leader, leadership is dropped too. Leaving an empty ISR keeps the partition offline until an unclean election
 * is asked for (or configured): no replica is known to hold every committed record. Null when not in the ISR.
 */
export function withoutLostReplica(s: PartitionState, nodeId: number): PartitionState | null {
  if (!s.isr.includes(nodeId)) return null;
  const leaderLost = s.leader === nodeId;
  return {
    ...s,
    leader: leaderLost ? NO_LEADER : s.leader,
    leaderEpoch: leaderLost ? s.leaderEpoch + 1 : s.leaderEpoch,
    isr: s.isr.filter((r) => r !== nodeId),
    partitionEpoch: s.partitionEpoch + 1,
  };
}

/** The state a new partition starts with: every replica in sync, the first live one leading. */
export function initialPartitionState(topic: string, partition: number, replicas: number[], live: ReadonlySet<number>): PartitionState {
  const leader = replicas.find((r) => live.has(r)) ?? NO_LEADER;
  return { topic, partition, replicas: [...replicas], leader, leaderEpoch: 0, isr: [...replicas], partitionEpoch: 0 };
}

/**
 * Checks a leader's ISR change against the current state (Kafka's
 * AlterPartition validation). Returns an error description tag or null.
 */
export function isrChangeProblem(
  current: PartitionState,
  expect: { leaderEpoch: number; partitionEpoch: number },
  isr: readonly number[],
  live: ReadonlySet<number>,
): 'fenced' | 'version' | 'ineligible' | 'invalid' | null {
  if (expect.leaderEpoch < current.leaderEpoch) return 'fenced';
  if (expect.leaderEpoch > current.leaderEpoch || expect.partitionEpoch !== current.partitionEpoch) return 'version';
  if (isr.length === 0 || !isr.includes(current.leader) || new Set(isr).size !== isr.length) return 'invalid';
  if (isr.some((r) => !current.replicas.includes(r) || (!live.has(r) && !current.isr.includes(r)))) return 'ineligible';
  return null;
}

export type ElectionType = 'preferred' | 'unclean';

/**
 * ElectLeaders on request (Kafka's kafka-leader-election): preferred moves
 * leadership to the first replica if it is alive and in the ISR; unclean
 * elects any live replica for a partition without a leader. Returns the new
 * state, or why not as a tag.
 */
export function electOnRequest(
  s: PartitionState,
  live: ReadonlySet<number>,
  type: ElectionType,
): { state: PartitionState } | { refused: 'not-needed' | 'preferred-unavailable' | 'no-eligible-leader' } {
  if (type === 'preferred') {
    const preferred = s.replicas[0];
    if (s.leader === preferred) return { refused: 'not-needed' };
    if (!live.has(preferred) || !s.isr.includes(preferred)) return { refused: 'preferred-unavailable' };
    return { state: { ...s, leader: preferred, leaderEpoch: s.leaderEpoch + 1, partitionEpoch: s.partitionEpoch + 1 } };
  }
  if (s.leader !== NO_LEADER && live.has(s.leader)) return { refused: 'not-needed' };
  const inSync = s.replicas.find((r) => live.has(r) && s.isr.includes(r));
  const any = inSync ?? s.replicas.find((r) => live.has(r));
  if (any === undefined) return { refused: 'no-eligible-leader' };
  const isr = inSync !== undefined ? s.isr.filter((r) => live.has(r)) : [any];
  return { state: { ...s, leader: any, isr, leaderEpoch: s.leaderEpoch + 1, partitionEpoch: s.partitionEpoch + 1 } };
}
