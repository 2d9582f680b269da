/**
 * Kafka version ranges as written in the specs: "3+", "0-4", "7", "none".
 * The generator reasons about them as closed intervals so it can drop checks
 * that the enclosing scope already guarantees.
 */
export interface VersionRange {
  readonly low: number;
  /** Inclusive; Infinity for "N+". */
  readonly high: number;
}

export const NO_VERSIONS: VersionRange = { low: 1, high: 0 };

export function parseVersions(text: string | undefined): VersionRange {
  if (text === undefined || text === 'none' || text === '') return NO_VERSIONS;
  const plus = /^(\d+)\+$/.exec(text);
  if (plus) return { low: Number(plus[1]), high: Infinity };
  const span = /^(\d+)-(\d+)$/.exec(text);
  if (span) return { low: Number(span[1]), high: Number(span[2]) };
  const single = /^(\d+)$/.exec(text);
  if (single) return { low: Number(single[1]), high: Number(single[1]) };
  throw new Error(`bad version range "${text}"`);
}

export function isEmpty(r: VersionRange): boolean {
  return r.low > r.high;
}

export function intersect(a: VersionRange, b: VersionRange): VersionRange {
  return { low: Math.max(a.low, b.low), high: Math.min(a.high, b.high) };
}

export function contains(r: VersionRange, v: number): boolean {
  return v >= r.low && v <= r.high;
}

/** True when every version of `inner` is in `outer`. */
export function covers(outer: VersionRange, inner: VersionRange): boolean {
  return isEmpty(inner) || (outer.low <= inner.low && outer.high >= inner.high);
}

/**
 * A JS condition on `version` that is true exactly for `r` within `scope`
 * ("true"/"false" when the scope decides it).
 */
export function versionCondition(r: VersionRange, scope: VersionRange, name = 'version'): string {
  const within = intersect(r, scope);
  if (isEmpty(within)) return 'false';
  if (covers(r, scope)) return 'true';
  const parts: string[] = [];
  if (within.low > scope.low) parts.push(`${name} >= ${within.low}`);
  if (within.high < scope.high) parts.push(`${name} <= ${within.high}`);
  return parts.length === 0 ? 'true' : parts.join(' && ');
}
