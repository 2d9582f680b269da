import { ErrorCode } from '../../../protocol/errors';
import { NO_LEADER, type PartitionState } from '../types';

/**
 * Partition reassignment as pure decisions on a partition record (Kafka's
 * KIP-455 as KRaft runs it): a reassignment widens `replicas` to target plus
 * the replicas being removed and names the adding and removing ones; the
 * adding replicas fetch from the leader and join the ISR like any follower;
 * once every target replica is in the ISR the record becomes the target (the
 * leader moving to the new preferred replica if it is in sync), and removed
 * replicas see they are no longer assigned and delete their copy.
 */

export type Refusal = { errorCode: number; message: string };

const without = (list: readonly number[], gone: readonly number[]) => list.filter((r) => !gone.includes(r));
const sameList = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((x, i) => x === b[i]);

export function reassigning(s: PartitionState): boolean {
  return (s.addingReplicas?.length ?? 0) > 0 || (s.removingReplicas?.length ?? 0) > 0;
}

/** The replicas before the reassignment in progress (or the replicas, when none is). */
export function originalReplicas(s: PartitionState): number[] {
  return without(s.replicas, s.addingReplicas ?? []);
}

/** The replicas the reassignment in progress moves to (or the replicas, when none is). */
export function targetReplicas(s: PartitionState): number[] {
  return without(s.replicas, s.removingReplicas ?? []);
}

/** Why `target` cannot be a partition's replica list, or null (Kafka's checks, same error code). */
export function targetProblem(target: readonly number[], registered: ReadonlySet<number>): string | null {
  if (target.length === 0) return 'the replica list is empty';
  if (target.some((r) => !Number.isInteger(r) || r < 0)) return `invalid broker id in ${target.join(',')}`;
  if (new Set(target).size !== target.length) return `duplicate broker ids in ${target.join(',')}`;
  const unknown = target.filter((r) => !registered.has(r));
  if (unknown.length > 0) return `broker(s) ${unknown.join(',')} are not registered`;
  return null;
}

/**
 * The leader after the replica set or ISR changed: the preferred (first)
 * replica when it is alive and in sync, else the current leader if it stays,
 * else the first live in-sync replica; NO_LEADER when none is left.
 */
function leaderFor(replicas: readonly number[], isr: readonly number[], currentLeader: number, live: ReadonlySet<number>): number {
  const eligible = (r: number) => replicas.includes(r) && isr.includes(r) && live.has(r);
  if (eligible(replicas[0])) return replicas[0];
  if (currentLeader !== NO_LEADER && eligible(currentLeader)) return currentLeader;
  return replicas.find(eligible) ?? NO_LEADER;
}

function withMembers(s: PartitionState, replicas: number[], isr: number[], leader: number, adding: number[], removing: number[]): PartitionState {
  const next: PartitionState = {
    ...s,
    replicas,
    isr,
    leader,
    leaderEpoch: leader !== s.leader ? s.leaderEpoch + 1 : s.leaderEpoch,
    partitionEpoch: s.partitionEpoch + 1,
  };
  delete next.addingReplicas;
  delete next.removingReplicas;
  if (adding.length > 0) next.addingReplicas = adding;
  if (removing.length > 0) next.removingReplicas = removing;
  return next;
}

/**
 * Starts a reassignment to `target` (replacing one in progress: the new one
 * starts from the original replicas). Null when the partition already has
 * exactly that assignment and nothing is in progress.
 */
export function startReassignment(
  s: PartitionState,
  target: readonly number[],
  registered: ReadonlySet<number>,
  live: ReadonlySet<number>,
  allowReplicationFactorChange = true,
): { state: PartitionState | null } | Refusal {
  const problem = targetProblem(target, registered);
  if (problem) return { errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, message: problem };
  const original = originalReplicas(s);
  if (!allowReplicationFactorChange && target.length !== original.length) {
    return { errorCode: ErrorCode.INVALID_REPLICATION_FACTOR, message: `the replication factor would change from ${original.length} to ${target.length}, which the request does not allow` };
  }
  if (!reassigning(s) && sameList(target, s.replicas)) return { state: null };
  const adding = without(target, original);
  const removing = without(original, target);
  const replicas = [...target, ...removing];
  const isr = s.isr.filter((r) => replicas.includes(r));
  // a replica being added by the replaced reassignment may have been leading: it is gone now
  let leader = s.leader;
  if (!replicas.includes(leader) || !isr.includes(leader)) leader = leaderFor(replicas, isr, NO_LEADER, live);
  if (isr.length === 0) return { errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, message: `no replica of ${s.topic}-${s.partition} in the new assignment is in sync` };
  return { state: withMembers(s, replicas, isr, leader, adding, removing) };
}

/** Cancels the reassignment in progress: back to the original replicas, the adding ones leave the ISR. */
export function cancelReassignment(s: PartitionState, live: ReadonlySet<number>): { state: PartitionState } | Refusal {
  if (!reassigning(s)) return { errorCode: ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, message: `no reassignment of ${s.topic}-${s.partition} is in progress` };
  const original = originalReplicas(s);
  const isr = s.isr.filter((r) => original.includes(r));
  // only added replicas hold the data: going back would lose it (the caller may move on to another target instead)
  if (isr.length === 0) return { errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, message: `no original replica of ${s.topic}-${s.partition} is in sync; cancelling would lose data` };
  const leader = original.includes(s.leader) && live.has(s.leader) ? s.leader : leaderFor(original, isr, NO_LEADER, live);
  return { state: withMembers(s, original, isr, leader, [], []) };
}

/**
 * The controller's step: once every target replica is in the ISR, the record
 * becomes the target (removed replicas leave replicas and ISR, the leader
 * moves to the target's preferred replica if it is in sync). Null while the
 * target is still catching up, or when nothing is in progress.
 */
export function completeReassignment(s: PartitionState, live: ReadonlySet<number>): PartitionState | null {
  if (!reassigning(s)) return null;
  const target = targetReplicas(s);
  if (!target.every((r) => s.isr.includes(r))) return null;
  const isr = s.isr.filter((r) => target.includes(r));
  const leader = leaderFor(target, isr, s.leader, live);
  // every target replica is in sync, but none alive: keep waiting rather than go offline by our own doing
  if (leader === NO_LEADER) return null;
  return withMembers(s, target, isr, leader, [], []);
}

/** Catch-up progress of a reassignment for display: the adding replicas and which of them are in sync. */
export function reassignmentProgress(s: PartitionState): { adding: number[]; removing: number[]; inSync: number[] } {
  const adding = s.addingReplicas ?? [];
  return { adding, removing: s.removingReplicas ?? [], inSync: adding.filter((r) => s.isr.includes(r)) };
}
