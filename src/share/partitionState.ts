/**
 * The state of one share-partition (group, topic, partition), KIP-932's SharePartition:
 * the share-partition start offset (SPSO: everything below is done) and the in-flight
 * records from there to the end offset (SPEO: next offset never yet acquired), kept as
 * immutable runs of records with identical state. Plans below compute the next state
 * from the current one without changing it; only `replaySnapshot` (in the runtime, after
 * the snapshot was persisted) installs one.
 */
export const RecordState = {
  AVAILABLE: 0,
  ACQUIRED: 1,
  ACKNOWLEDGED: 2,
  ARCHIVED: 4,
} as const;
export type RecordStateValue = (typeof RecordState)[keyof typeof RecordState];

/** Kafka's acknowledge types on the wire. */
export const AckType = { GAP: 0, ACCEPT: 1, RELEASE: 2, REJECT: 3 } as const;

export interface Run {
  readonly first: number;
  readonly last: number;
  readonly state: RecordStateValue;
  readonly deliveryCount: number;
  /** AVAILABLE: epoch ms from which it may be acquired (redelivery back-off); 0 = at once. */
  readonly availableAt: number;
  /** ACQUIRED: the member holding the lock and when the lock expires. */
  readonly member: string | null;
  readonly lockUntil: number;
}

export interface PartitionSnapshot {
  startOffset: number;
  /** Sorted, contiguous from startOffset to endOffset - 1. */
  runs: readonly Run[];
}

export function endOffsetOf(s: PartitionSnapshot): number {
  return s.runs.length === 0 ? s.startOffset : s.runs[s.runs.length - 1]!.last + 1;
}

function same(a: Run, b: Run): boolean {
  return a.state === b.state && a.deliveryCount === b.deliveryCount && a.availableAt === b.availableAt && a.member === b.member && a.lockUntil === b.lockUntil;
}

function isDone(r: Run): boolean {
  return r.state === RecordState.ACKNOWLEDGED || r.state === RecordState.ARCHIVED;
}

/** Merges equal neighbours and moves the start past finished records (advancing the SPSO). */
export function normalize(startOffset: number, runs: Run[]): PartitionSnapshot {
  const out: Run[] = [];
  for (const r of runs) {
    const prev = out[out.length - 1];
    if (prev && prev.last + 1 === r.first && same(prev, r)) out[out.length - 1] = { ...prev, last: r.last };
    else out.push(r);
  }
  let i = 0;
  while (i < out.length && isDone(out[i]!)) i++;
  if (i > 0) startOffset = out[i - 1]!.last + 1;
  return { startOffset, runs: i > 0 ? out.slice(i) : out };
}

/** The runs with [first, last] rewritten by `change` (which sees each overlapping piece). */
export function mapRange(runs: readonly Run[], first: number, last: number, change: (piece: Run) => Run): Run[] {
  const out: Run[] = [];
  for (const r of runs) {
    if (r.last < first || r.first > last) {
      out.push(r);
      continue;
    }
    if (r.first < first) out.push({ ...r, last: first - 1 });
    const lo = Math.max(r.first, first);
    const hi = Math.min(r.last, last);
    out.push(change({ ...r, first: lo, last: hi }));
    if (r.last > last) out.push({ ...r, first: last + 1 });
  }
  return out;
}

/** Whether every offset of [first, last] is in flight, ACQUIRED by `member`. */
export function acquiredBy(s: PartitionSnapshot, first: number, last: number, member: string): boolean {
  if (first > last || first < s.startOffset || last >= endOffsetOf(s)) return false;
  for (const r of s.runs) {
    if (r.last < first || r.first > last) continue;
    if (r.state !== RecordState.ACQUIRED || r.member !== member) return false;
  }
  return true;
}

/** A record whose delivery ended without acceptance (RELEASE, lock expiry) and what becomes of it. */
export interface Settled {
  first: number;
  last: number;
  deliveryCount: number;
  /** Archived because the member REJECTed it, or released at the delivery limit; copied to the dead-letter topic if the group has one. */
  reason: 'rejected' | 'delivery-limit';
}

export interface ReleaseRules {
  deliveryCountLimit: number;
  backoff(deliveryCount: number): number;
}

/** A released / expired piece: available again after its back-off, or archived at the delivery limit. */
export function releasePiece(p: Run, rules: ReleaseRules, now: number, dead: Settled[]): Run {
  if (p.deliveryCount >= rules.deliveryCountLimit) {
    dead.push({ first: p.first, last: p.last, deliveryCount: p.deliveryCount, reason: 'delivery-limit' });
    return { ...p, state: RecordState.ARCHIVED, member: null, lockUntil: 0, availableAt: 0 };
  }
  const delay = rules.backoff(p.deliveryCount);
  return { ...p, state: RecordState.AVAILABLE, member: null, lockUntil: 0, availableAt: delay > 0 ? now + delay : 0 };
}

/**
 * Records acquirable again although their delivery count has reached the limit: acquisitions voided by a
 * restart or a takeover keep their count without passing through a release. They are archived (and
 * dead-lettered) now, as a release at the limit would have; null when there are none.
 */
export function archiveSpent(runs: readonly Run[], limit: number, dead: Settled[]): Run[] | null {
  if (!runs.some((r) => r.state === RecordState.AVAILABLE && r.deliveryCount >= limit)) return null;
  return runs.map((r) => {
    if (r.state !== RecordState.AVAILABLE || r.deliveryCount < limit) return r;
    dead.push({ first: r.first, last: r.last, deliveryCount: r.deliveryCount, reason: 'delivery-limit' });
    return { ...r, state: RecordState.ARCHIVED, availableAt: 0 };
  });
}

/**
 * Applies one acknowledgement range of a member. Types has one entry for the whole range or
 * one per offset. The caller has checked acquiredBy().
 */
export function planAck(runs: Run[], first: number, last: number, types: readonly number[], rules: ReleaseRules, now: number, dead: Settled[]): Run[] {
  const typeAt = (o: number) => (types.length === 1 ? types[0]! : types[o - first]!);
  let out = runs;
  // Coalesce offsets with the same type into one mapRange call.
  let from = first;
  while (from <= last) {
    const t = typeAt(from);
    let to = from;
    while (to < last && typeAt(to + 1) === t) to++;
    out = mapRange(out, from, to, (p) => {
      switch (t) {
        case AckType.ACCEPT:
        case AckType.GAP:
          return { ...p, state: RecordState.ACKNOWLEDGED, member: null, lockUntil: 0, availableAt: 0 };
        case AckType.REJECT:
          dead.push({ first: p.first, last: p.last, deliveryCount: p.deliveryCount, reason: 'rejected' });
          return { ...p, state: RecordState.ARCHIVED, member: null, lockUntil: 0, availableAt: 0 };
        default:
          return releasePiece(p, rules, now, dead);
      }
    });
    from = to + 1;
  }
  return out;
}

/** Whether every acknowledge type is one of Kafka's four and the array fits the range. */
export function validAckTypes(first: number, last: number, types: readonly number[]): boolean {
  if (first > last || (types.length !== 1 && types.length !== last - first + 1)) return false;
  return types.every((t) => t >= AckType.GAP && t <= AckType.REJECT);
}

/**
 * Whether one partition's acknowledgement batches can apply: each valid alone, in ascending order and not
 * overlapping (each starts past the previous one's last offset). Overlapping batches would give an offset two
 * outcomes, the later silently undoing the earlier (an ACCEPT turned into a redelivery).
 */
export function validAckBatches(batches: ReadonlyArray<{ firstOffset: number; lastOffset: number; acknowledgeTypes: readonly number[] }>): boolean {
  let next = -Infinity;
  for (const b of batches) {
    if (b.firstOffset < next || !validAckTypes(b.firstOffset, b.lastOffset, b.acknowledgeTypes)) return false;
    next = b.lastOffset + 1;
  }
  return true;
}

/** Releases what `member` holds (lock expiry when `onlyExpired`, else session end / leave). */
export function planReleaseMember(runs: Run[], member: string | null, now: number, rules: ReleaseRules, dead: Settled[]): Run[] {
  return runs.map((r) => {
    if (r.state !== RecordState.ACQUIRED) return r;
    const mine = member === null ? r.lockUntil <= now : r.member === member;
    return mine ? releasePiece(r, rules, now, dead) : r;
  });
}

/** Earliest lock expiry and earliest back-off end among the runs (Infinity when none). */
export function nextDeadlines(runs: readonly Run[], now: number): { lockUntil: number; availableAt: number } {
  let lockUntil = Infinity;
  let availableAt = Infinity;
  for (const r of runs) {
    if (r.state === RecordState.ACQUIRED) lockUntil = Math.min(lockUntil, r.lockUntil);
    else if (r.state === RecordState.AVAILABLE && r.availableAt > now) availableAt = Math.min(availableAt, r.availableAt);
  }
  return { lockUntil, availableAt };
}

/** In-flight counts for describe and the console. */
export function countStates(s: PartitionSnapshot, now: number): { inFlight: number; acquired: number; acquirable: number; delayed: number } {
  let acquired = 0;
  let acquirable = 0;
  let delayed = 0;
  for (const r of s.runs) {
    const n = r.last - r.first + 1;
    if (r.state === RecordState.ACQUIRED) acquired += n;
    else if (r.state === RecordState.AVAILABLE) {
      if (r.availableAt > now) delayed += n;
      else acquirable += n;
    }
  }
  return { inFlight: endOffsetOf(s) - s.startOffset, acquired, acquirable, delayed };
}
