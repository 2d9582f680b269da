import { compacts, type LogConfig } from './config';
import { EventLoopTurns } from './eventLoopTurns';
import type { Segment } from './segment';

/** What a clean shutdown records of one log, so the next start knows its offsets without opening a file. */
export interface LogSummary {
  logStartOffset: number;
  logEndOffset: number;
  sizeInBytes: number;
  segments: number;
  /** Max timestamp of the oldest closed segment (-1: only the active segment): whether retention.ms may delete. */
  oldestClosedMaxTimestamp: number;
}

/**
 * `<dataDir>/log-summary`: every log's offsets, size and segment count as the
 * last clean shutdown left them (Kafka keeps the same facts in its
 * recovery-point and log-start-offset checkpoint files). Trusted only together
 * with the clean-shutdown marker, it lets the next start know each log without
 * opening a file. One line per log: topic, partition, log start offset, log
 * end offset, bytes, segments, max timestamp of the oldest closed segment
 * (tab-separated; topic names hold no tabs or newlines).
 */
export const LOG_SUMMARY_FILE = 'log-summary';
const HEADER = 'brook-log-summary 1';

type Summarized = { topic: string; partition: number; describe(): LogSummary | null };

function line(log: Summarized): string | null {
  const s = log.describe();
  return s ? `${log.topic}\t${log.partition}\t${s.logStartOffset}\t${s.logEndOffset}\t${s.sizeInBytes}\t${s.segments}\t${s.oldestClosedMaxTimestamp}` : null;
}

export function serializeLogSummaries(logs: Iterable<Summarized>): Buffer {
  const lines = [HEADER];
  for (const log of logs) {
    const l = line(log);
    if (l !== null) lines.push(l);
  }
  return Buffer.from(`${lines.join('\n')}\n`);
}

/** serializeLogSummaries giving the event loop a turn every thousand logs (a running broker's checkpoint). */
export async function serializeLogSummariesInTurns(logs: Iterable<Summarized>): Promise<Buffer> {
  // encoded a turn's lines at a time: joining and encoding 100,000 lines at the end took ~50 ms in one go
  const chunks: Buffer[] = [];
  let lines = [HEADER];
  const turns = new EventLoopTurns();
  for (const log of logs) {
    const l = line(log);
    if (l !== null) lines.push(l);
    const turn = turns.next();
    if (!turn) continue;
    chunks.push(Buffer.from(`${lines.join('\n')}\n`));
    lines = [];
    await turn;
  }
  if (lines.length > 0) chunks.push(Buffer.from(`${lines.join('\n')}\n`));
  return Buffer.concat(chunks);
}

/** Entries keyed by `keyOf(topic, partition)`; a malformed line is skipped (that log is recovered instead). */
export function parseLogSummaries(text: string, keyOf: (topic: string, partition: number) => string): Map<string, LogSummary> {
  const out = new Map<string, LogSummary>();
  forEachLogSummary(text, (topic, partition, s) => out.set(keyOf(topic, partition), s));
  return out;
}

/** Calls `each` per well-formed line; false when the text is not a summary at all. */
export function forEachLogSummary(text: string, each: (topic: string, partition: number, s: LogSummary) => void): boolean {
  if (!text.startsWith(`${HEADER}\n`)) return false;
  // scanned in place: 100,000 lines split into arrays of strings cost more in garbage collection than in parsing
  const n = [0, 0, 0, 0, 0, 0];
  let pos = HEADER.length + 1;
  while (pos < text.length) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    const tab = text.indexOf('\t', pos);
    let ok = tab > pos && tab < end;
    let field = tab + 1;
    for (let i = 0; ok && i < 6; i++) {
      const stop = i === 5 ? end : text.indexOf('\t', field);
      ok = stop > field && stop <= end;
      if (!ok) break;
      const v = Number(text.slice(field, stop));
      ok = Number.isSafeInteger(v);
      n[i] = v;
      field = stop + 1;
    }
    if (ok && n[0]! >= 0 && n[1]! >= 0 && n[1]! <= n[2]! && n[4]! >= 1) {
      each(text.slice(pos, tab), n[0]!, { logStartOffset: n[1]!, logEndOffset: n[2]!, sizeInBytes: n[3]!, segments: n[4]!, oldestClosedMaxTimestamp: n[5]! });
    }
    pos = end + 1;
  }
  return true;
}

/** Whether retention or compaction may have work in a log known only by its summary. */
export function summaryMayNeedCleaning(s: LogSummary, c: LogConfig, now: number): boolean {
  if (s.segments <= 1) return false;
  if (compacts(c)) return true;
  if (c.retentionBytes >= 0 && s.sizeInBytes > c.retentionBytes) return true;
  return c.retentionMs >= 0 && s.oldestClosedMaxTimestamp >= 0 && now - s.oldestClosedMaxTimestamp > c.retentionMs;
}

/** The summary of an open log. */
export function summaryOf(state: { logStartOffset: number; logEndOffset: number; segments: readonly Segment[] }): LogSummary {
  const segs = state.segments;
  let sizeInBytes = 0;
  for (const s of segs) sizeInBytes += s.size;
  const oldestClosedMaxTimestamp = segs.length > 1 ? segs[0]!.maxTimestamp : -1;
  return { logStartOffset: state.logStartOffset, logEndOffset: state.logEndOffset, sizeInBytes, segments: segs.length, oldestClosedMaxTimestamp };
}
