/**
 * A single broker can only host one replica of each partition, on itself: an
 * explicit assignment is acceptable only if every partition names exactly this
 * broker. Returns why not, or null.
 */
export function assignmentProblem(brokerIds: readonly number[], selfId: number): string | null {
  if (brokerIds.length === 0) return 'a partition must have at least one replica';
  if (new Set(brokerIds).size !== brokerIds.length) return `duplicate broker ids in replica list ${brokerIds.join(',')}`;
  const other = brokerIds.find((id) => id !== selfId);
  if (other !== undefined) return `broker ${other} does not exist; this cluster has only broker ${selfId}`;
  return null;
}

/**
 * The same check against a cluster's live brokers: every replica must be one
 * of them. With a single broker the answer (and its wording) is the one above.
 */
export function assignmentProblemIn(brokerIds: readonly number[], liveIds: readonly number[]): string | null {
  if (liveIds.length === 1) return assignmentProblem(brokerIds, liveIds[0]);
  if (brokerIds.length === 0) return 'a partition must have at least one replica';
  if (new Set(brokerIds).size !== brokerIds.length) return `duplicate broker ids in replica list ${brokerIds.join(',')}`;
  const other = brokerIds.find((id) => !liveIds.includes(id));
  if (other !== undefined) return `broker ${other} is not a live broker of this cluster (${liveIds.join(',')})`;
  return null;
}

/** Names that occur more than once in a request, which Kafka answers with INVALID_REQUEST for each. */
export function duplicates(names: Iterable<string>): Set<string> {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const n of names) (seen.has(n) ? dup : seen).add(n);
  return dup;
}
