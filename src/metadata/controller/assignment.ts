import { ErrorCode } from '../../../protocol/errors';
import { MetadataError } from '../types';

export interface AssignableBroker {
  nodeId: number;
  rack: string | null;
}

/**
 * Brokers in an order that alternates racks (rack A's first, rack B's first,
 * ..., rack A's second, ...), so consecutive picks land on different racks.
 * Brokers without a rack count as one rack of their own each would be
 * misleading; they share the "no rack" group, like Kafka treats a rackless cluster.
 */
export function rackAlternated(brokers: readonly AssignableBroker[]): AssignableBroker[] {
  const byRack = new Map<string, AssignableBroker[]>();
  for (const b of [...brokers].sort((x, y) => x.nodeId - y.nodeId)) {
    const key = b.rack ?? '';
    const list = byRack.get(key) ?? [];
    list.push(b);
    byRack.set(key, list);
  }
  const racks = [...byRack.keys()].sort();
  const out: AssignableBroker[] = [];
  for (let i = 0; out.length < brokers.length; i++) {
    for (const r of racks) {
      const b = byRack.get(r)![i];
      if (b) out.push(b);
    }
  }
  return out;
}

/**
 * Replica lists for `partitions` new partitions (preferred leader first).
 * Leaders rotate over the brokers starting at `start`, so topics created one
 * after another spread their leaders; followers are taken walking the
 * rack-alternated ring from the leader with a shift that grows every full
 * round, preferring racks the partition does not use yet. `firstPartition`
 * continues a topic's numbering when partitions are added.
 */
export function assignReplicas(
  brokers: readonly AssignableBroker[],
  partitions: number,
  replicationFactor: number,
  start = 0,
  firstPartition = 0,
): number[][] {
  if (!Number.isInteger(replicationFactor) || replicationFactor < 1) {
    throw new MetadataError(ErrorCode.INVALID_REPLICATION_FACTOR, `replication factor must be at least 1, got ${replicationFactor}`);
  }
  if (replicationFactor > brokers.length) {
    throw new MetadataError(ErrorCode.INVALID_REPLICATION_FACTOR, `replication factor ${replicationFactor} is larger than the ${brokers.length} available broker(s)`);
  }
  const ring = rackAlternated(brokers);
  const n = ring.length;
  const rackCount = new Set(ring.map((b) => b.rack ?? '')).size;
  const result: number[][] = [];
  for (let i = 0; i < partitions; i++) {
    const p = firstPartition + i;
    const leaderIdx = (start + p) % n;
    const shift = n > 1 ? 1 + (Math.floor(p / n) % (n - 1)) : 0;
    const chosen = [ring[leaderIdx]];
    const racksUsed = new Set([ring[leaderIdx].rack ?? '']);
    // Walk the ring from the shifted position; first pass takes only unused racks.
    for (let pass = 0; pass < 2 && chosen.length < replicationFactor; pass++) {
      for (let k = 0; k < n && chosen.length < replicationFactor; k++) {
        const b = ring[(leaderIdx + shift + k) % n];
        if (chosen.includes(b)) continue;
        const rack = b.rack ?? '';
        if (pass === 0 && racksUsed.size < rackCount && racksUsed.has(rack)) continue;
        chosen.push(b);
        racksUsed.add(rack);
      }
    }
    result.push(chosen.map((b) => b.nodeId));
  }
  return result;
}

/** A stable starting broker for a topic, so leaders of many topics spread without randomness in tests. */
export function startIndexFor(topic: string, brokerCount: number): number {
  let h = 0;
  for (let i = 0; i < topic.length; i++) h = (h * 31 + topic.charCodeAt(i)) >>> 0;
  return brokerCount === 0 ? 0 : h % brokerCount;
}

/** Why a manual assignment cannot be used with these live brokers, or null. */
export function manualAssignmentProblem(assignment: readonly (readonly number[])[], live: ReadonlySet<number>): string | null {
  if (assignment.length === 0) return 'no partitions in the assignment';
  const rf = assignment[0].length;
  for (const [p, replicas] of assignment.entries()) {
    if (replicas.length === 0) return `partition ${p}: a partition must have at least one replica`;
    if (replicas.length !== rf) return `partition ${p}: every partition must have the same number of replicas (${rf})`;
    if (new Set(replicas).size !== replicas.length) return `partition ${p}: duplicate broker ids in ${replicas.join(',')}`;
    const unknown = replicas.find((id) => !live.has(id));
    if (unknown !== undefined) return `partition ${p}: broker ${unknown} is not a live broker`;
  }
  return null;
}
