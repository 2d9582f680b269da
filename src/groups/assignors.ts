/**
 * Server-side assignors of the KIP-848 consumer protocol. Assignments are
 * topic name -> partitions; members are assigned only partitions of topics
 * they subscribe to.
 */
export type TopicAssignment = Map<string, Set<number>>;

export interface AssignorMember {
  memberId: string;
  /** Resolved topic names (explicit names and regex matches) that exist. */
  topics: ReadonlySet<string>;
  /** Current target assignment, for stickiness. */
  current: TopicAssignment;
}

export interface Assignor {
  readonly name: string;
  assign(members: readonly AssignorMember[], partitionCounts: ReadonlyMap<string, number>): Map<string, TopicAssignment>;
}

function emptyResult(members: readonly AssignorMember[]): Map<string, TopicAssignment> {
  return new Map(members.map((m) => [m.memberId, new Map()]));
}

function add(a: TopicAssignment, topic: string, partition: number): void {
  let s = a.get(topic);
  if (!s) a.set(topic, (s = new Set()));
  s.add(partition);
}

export function countPartitions(a: TopicAssignment): number {
  let n = 0;
  for (const s of a.values()) n += s.size;
  return n;
}

/**
 * Range: per topic, the members subscribed to it (by member id) each take a
 * contiguous range; the first `partitions % members` take one extra. Members
 * with the same subscriptions get the same partition numbers across topics
 * (co-partitioning), as with the classic range assignor.
 */
export const rangeAssignor: Assignor = {
  name: 'range',
  assign(members, partitionCounts) {
    const out = emptyResult(members);
    const sorted = [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
    for (const [topic, count] of [...partitionCounts].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const subs = sorted.filter((m) => m.topics.has(topic));
      if (subs.length === 0) continue;
      const base = Math.floor(count / subs.length);
      const extra = count % subs.length;
      let next = 0;
      subs.forEach((m, i) => {
        const n = base + (i < extra ? 1 : 0);
        for (let k = 0; k < n; k++) add(out.get(m.memberId)!, topic, next++);
      });
    }
    return out;
  },
};

/**
 * Uniform: spreads all subscribed partitions as evenly as subscriptions allow,
 * keeping each member's current partitions where that does not unbalance the
 * group, so a membership change moves as few partitions as possible.
 */
export const uniformAssignor: Assignor = {
  name: 'uniform',
  assign(members, partitionCounts) {
    const out = emptyResult(members);
    if (members.length === 0) return out;
    const load = new Map(members.map((m) => [m.memberId, 0]));
    const eligible = (topic: string) => members.filter((m) => m.topics.has(topic));

    let total = 0;
    for (const [topic, count] of partitionCounts) if (eligible(topic).length > 0) total += count;
    // Members that already hold the most keep the larger quota, so stickiness decides who gets the remainder.
    const byHeld = [...members].sort((a, b) => countPartitions(b.current) - countPartitions(a.current) || (a.memberId < b.memberId ? -1 : 1));
    const floor = Math.floor(total / members.length);
    const quota = new Map(byHeld.map((m, i) => [m.memberId, floor + (i < total % members.length ? 1 : 0)]));

    const taken = new Set<string>();
    for (const m of byHeld) {
      for (const [topic, parts] of m.current) {
        const count = partitionCounts.get(topic);
        if (count === undefined || !m.topics.has(topic)) continue;
        for (const p of [...parts].sort((a, b) => a - b)) {
          const key = `${topic}\0${p}`;
          if (p >= count || taken.has(key) || load.get(m.memberId)! >= quota.get(m.memberId)!) continue;
          add(out.get(m.memberId)!, topic, p);
          load.set(m.memberId, load.get(m.memberId)! + 1);
          taken.add(key);
        }
      }
    }
    for (const [topic, count] of [...partitionCounts].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const subs = eligible(topic);
      if (subs.length === 0) continue;
      for (let p = 0; p < count; p++) {
        if (taken.has(`${topic}\0${p}`)) continue;
        let best = subs[0];
        for (const m of subs) {
          const d = load.get(m.memberId)! - load.get(best.memberId)!;
          if (d < 0 || (d === 0 && m.memberId < best.memberId)) best = m;
        }
        add(out.get(best.memberId)!, topic, p);
        load.set(best.memberId, load.get(best.memberId)! + 1);
      }
    }
    return out;
  },
};

export const ASSIGNORS: ReadonlyMap<string, Assignor> = new Map([
  [uniformAssignor.name, uniformAssignor],
  [rangeAssignor.name, rangeAssignor],
]);

export const DEFAULT_ASSIGNOR = uniformAssignor.name;
