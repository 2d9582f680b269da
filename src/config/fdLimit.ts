import { readFileSync } from 'node:fs';

/** Used when the process's descriptor limit cannot be read (not Linux). */
const FALLBACK_SEGMENT_HANDLES = 8192;
/** Descriptors left for connections and everything else when the limit is large: room for 10,000 connections. */
const CONNECTION_ROOM = 10_240;

/** The soft limit on open files ("Max open files" in /proc/self/limits), or null where that file does not exist. */
export function openFilesSoftLimit(limitsText?: string): number | null {
  let text = limitsText;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/limits', 'utf8');
    } catch {
      return null;
    }
  }
  const m = /^Max open files\s+(\S+)/m.exec(text);
  if (!m) return null;
  if (m[1] === 'unlimited') return Number.MAX_SAFE_INTEGER;
  const n = Number(m[1]);
  return Number.isInteger(n) && n > 0 ? n : null;
}

/**
 * Default cap on open segment descriptors: the descriptor limit less what connections and everything else need,
 * 10,240 (or half the limit plus 256 when that is less), and at least 256. Under a 20,000 limit that is 9,760, so
 * 10,000 connections still fit. A fixed 8,192 was far below the 10,003 active segments of 10,000 partitions, so
 * keyed produce over them closed and reopened files all the time.
 */
export function defaultSegmentHandleCap(softLimit: number | null = openFilesSoftLimit()): number {
  if (softLimit === null) return FALLBACK_SEGMENT_HANDLES;
  const reserve = Math.min(CONNECTION_ROOM, Math.floor(softLimit / 2) + 256);
  return Math.max(256, softLimit - reserve);
}
