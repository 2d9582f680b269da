/**
 * Reassignment plans for `brook cluster reassign|decommission|rebalance`
 * (the kafka-reassign-partitions.sh --generate step, with fewest moves):
 * replicas on brokers outside the allowed set are replaced, then replicas are
 * moved from the most to the least loaded brokers until counts differ by at
 * most one, preferring racks a partition does not use yet; finally the
 * preferred leaders (first replicas) are evened out by reordering, which
 * moves no data. Pure: the caller fetches the assignment and executes the plan.
 */

export interface Placement {
  topic: string;
  partition: number;
  /** Preferred leader first. */
  replicas: number[];
}

export interface PlannerBroker {
  nodeId: number;
  rack: string | null;
}

export interface PlanOptions {
  /** Brokers that may hold replicas (default: every given broker). */
  allowed?: ReadonlySet<number>;
}

const rackOf = (brokers: Map<number, PlannerBroker>, id: number) => brokers.get(id)?.rack ?? '';

function countBy(placements: readonly Placement[], pick: (p: Placement) => readonly number[], ids: readonly number[]): Map<number, number> {
  const out = new Map(ids.map((id) => [id, 0]));
  for (const p of placements) for (const r of pick(p)) if (out.has(r)) out.set(r, out.get(r)! + 1);
  return out;
}

/** The least loaded allowed broker not in `replicas`, new racks first, lowest id on ties. */
function leastLoaded(load: Map<number, number>, replicas: readonly number[], brokers: Map<number, PlannerBroker>, exclude = -1): number | undefined {
  const usedRacks = new Set(replicas.filter((r) => r !== exclude).map((r) => rackOf(brokers, r)));
  const candidates = [...load.keys()].filter((id) => !replicas.includes(id));
  candidates.sort((a, b) => {
    const ra = usedRacks.has(rackOf(brokers, a)) ? 1 : 0;
    const rb = usedRacks.has(rackOf(brokers, b)) ? 1 : 0;
    return ra - rb || load.get(a)! - load.get(b)! || a - b;
  });
  return candidates[0];
}

/** Racks a partition spans; a move must not make it span fewer. */
const rackSpread = (replicas: readonly number[], brokers: Map<number, PlannerBroker>) => new Set(replicas.map((r) => rackOf(brokers, r))).size;

/**
 * The new replica lists of the partitions that change (unchanged ones are
 * left out). The replication factor of each partition is kept, capped at the
 * number of allowed brokers.
 */
export function planBalanced(current: readonly Placement[], brokerList: readonly PlannerBroker[], opts: PlanOptions = {}): Placement[] {
  const brokers = new Map(brokerList.map((b) => [b.nodeId, b]));
  const allowedIds = [...brokers.keys()].filter((id) => !opts.allowed || opts.allowed.has(id)).sort((a, b) => a - b);
  if (allowedIds.length === 0) throw new Error('no broker may hold replicas');
  const plan = current.map((p) => ({ ...p, replicas: [...p.replicas] }));
  const load = countBy([], () => [], allowedIds);

  // 1. replicas on brokers that may not hold them are replaced in place (keeping the preferred position)
  for (const p of plan) for (const r of p.replicas) if (load.has(r)) load.set(r, load.get(r)! + 1);
  for (const p of plan) {
    const rf = Math.min(p.replicas.length, allowedIds.length);
    const next: number[] = [];
    for (const r of p.replicas) {
      if (next.length >= rf) break;
      if (load.has(r) && !next.includes(r)) {
        next.push(r);
        continue;
      }
      const pick = leastLoaded(load, [...next, ...p.replicas.filter((x) => load.has(x))], brokers);
      if (pick === undefined) continue;
      load.set(pick, load.get(pick)! + 1);
      next.push(pick);
    }
    p.replicas = next;
  }

  // 2. even out replica counts: move from a more to a less loaded broker while two differ by more than one
  while (moveOne(load, (high, low) => {
    const p = plan.find((x) => x.replicas.includes(high) && !x.replicas.includes(low) && rackSpread(x.replicas.map((r) => (r === high ? low : r)), brokers) >= rackSpread(x.replicas, brokers));
    if (p) p.replicas = p.replicas.map((r) => (r === high ? low : r));
    return p !== undefined;
  }));

  // 3. even out preferred leaders by reordering replicas (no data moves)
  const leaders = countBy(plan, (p) => p.replicas.slice(0, 1), allowedIds);
  while (moveOne(leaders, (high, low) => {
    const p = plan.find((x) => x.replicas[0] === high && x.replicas.includes(low));
    if (p) p.replicas = [low, ...p.replicas.filter((r) => r !== low)];
    return p !== undefined;
  }));

  return plan.filter((p, i) => p.replicas.join() !== current[i]!.replicas.join());
}

/**
 * One unit from a more loaded to a less loaded broker, trying the most
 * unequal pairs first; `move` says whether some partition allowed it. False
 * when counts are within one of each other or nothing can move.
 */
function moveOne(load: Map<number, number>, move: (high: number, low: number) => boolean): boolean {
  const byLoad = [...load.entries()].sort((a, b) => a[1] - b[1] || a[0] - b[0]);
  for (let h = byLoad.length - 1; h >= 0; h--) {
    const [high, highCount] = byLoad[h]!;
    for (const [low, lowCount] of byLoad) {
      if (highCount - lowCount <= 1) break;
      if (!move(high, low)) continue;
      load.set(high, highCount - 1);
      load.set(low, lowCount + 1);
      return true;
    }
  }
  return false;
}
