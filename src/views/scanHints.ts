import type { PartitionLog } from '../../storage';

/**
 * Source bytes one view read (a Fetch of one partition, a share group's acquisition) walks at most before answering
 * with what it found, so a selective view over a long run without matches does not hold a request for long. An
 * object so tests can lower it.
 */
export const viewScanBudget = { bytes: 32 * 1024 * 1024 };

/**
 * A source range a view read found no matching record in: [from, to], under one filter text and isolation level.
 * Committed source data below the high watermark (or the LSO) does not change, so a later read of the same view
 * partition that reaches `from` can jump to `to + 1` instead of walking the range again. Clients that cannot be told
 * to move past such a range (Fetch v0-v3 have no control batch to carry a commit marker) fetch from inside it again
 * and again; with the hint each of those reads continues where the last one stopped instead of rescanning.
 */
export interface ScanHint {
  from: number;
  to: number;
  filter: string;
  readCommitted: boolean;
}

/** One hint per view partition, on the source log (so a deleted or recreated source drops its hints). */
const hints = new WeakMap<PartitionLog, Map<string, ScanHint>>();

function keyOf(viewId: Buffer, partition: number): string {
  return `${viewId.toString('hex')}:${partition}`;
}

/** The hint for this view partition when it was made under the same filter and isolation level and ends below `maxOffset`. */
export function scanHint(log: PartitionLog, viewId: Buffer, partition: number, filter: string, readCommitted: boolean, maxOffset: number): ScanHint | null {
  const h = hints.get(log)?.get(keyOf(viewId, partition));
  if (!h || h.filter !== filter || h.readCommitted !== readCommitted || h.to >= maxOffset) return null;
  return h;
}

export function rememberScanHint(log: PartitionLog, viewId: Buffer, partition: number, hint: ScanHint): void {
  let m = hints.get(log);
  if (!m) hints.set(log, (m = new Map()));
  m.set(keyOf(viewId, partition), hint);
}
