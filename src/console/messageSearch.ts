import { decodeRecordBatches } from '../../protocol/records';
import type { BrokerServices } from '../handlers/types';
import type { MessageRow } from './consoleData';

export interface SearchQuery {
  partition: number | null;
  /** Start here (per partition) instead of the newest window. */
  offset: number | null;
  /** Start at the first record at or after this time. */
  fromMs: number | null;
  /** Exact key match (UTF-8). */
  key: string | null;
  /** Case-insensitive substring of the value. */
  text: string | null;
  limit: number;
}

export interface SearchResult {
  messages: MessageRow[];
  /** Records looked at; a search stops after SCAN_LIMIT per partition. */
  scanned: number;
  truncated: boolean;
}

/** A search reads at most this many records per partition, so one request cannot scan a huge log. */
const SCAN_LIMIT = 100_000;
const READ_BYTES = 1 << 20;

function text(b: Buffer | null): string | null {
  return b === null ? null : b.toString('utf8');
}

/**
 * The console's message browser: from an offset, a time or (by default) the
 * newest SCAN_LIMIT records of each partition, the records matching a key and
 * a text in the value, oldest first. Reads the local logs up to the high
 * watermark, as a consumer would see them.
 */
export async function searchMessages(s: BrokerServices, topic: string, q: SearchQuery): Promise<SearchResult | null> {
  const t = s.metadata.topic(topic);
  if (!t) return null;
  const out: MessageRow[] = [];
  let scanned = 0;
  let truncated = false;
  const needle = q.text?.toLowerCase() ?? null;
  const partitions = q.partition === null ? Array.from({ length: t.partitions }, (_, p) => p) : [q.partition];
  for (const p of partitions) {
    const log = s.logs.get(t.name, p);
    if (!log) continue;
    const end = log.highWatermark;
    let from = Math.max(log.logStartOffset, end - SCAN_LIMIT);
    if (q.offset !== null) from = Math.max(log.logStartOffset, q.offset);
    if (q.fromMs !== null) {
      const found = await log.offsetForTimestamp(q.fromMs);
      from = found ? Math.max(from, found.offset) : end;
    }
    const stopAt = Math.min(end, from + SCAN_LIMIT);
    if (stopAt < end) truncated = true;
    let offset = from;
    while (offset < stopAt && out.length < q.limit) {
      const read = await log.read(offset, READ_BYTES, { maxOffset: stopAt, minOneBatch: true });
      if (read.chunks.length === 0) break;
      const buf = read.chunks.length === 1 ? read.chunks[0]! : Buffer.concat(read.chunks);
      let next = offset;
      for (const batch of decodeRecordBatches(buf)) {
        next = Math.max(next, Number(batch.baseOffset) + batch.lastOffsetDelta + 1);
        if (batch.isControl) continue;
        for (const r of batch.records) {
          const off = Number(r.offset);
          if (off < offset || off >= stopAt) continue;
          scanned++;
          if (q.key !== null && (r.key === null || r.key.toString('utf8') !== q.key)) continue;
          const value = text(r.value);
          if (needle !== null && (value === null || !value.toLowerCase().includes(needle))) continue;
          out.push({ partition: p, offset: String(off), timestamp: String(r.timestamp), key: text(r.key), value, headers: Object.fromEntries(r.headers.map((h) => [h.key, text(h.value)])) });
          if (out.length >= q.limit) break;
        }
        if (out.length >= q.limit) break;
      }
      if (next <= offset) break;
      offset = next;
    }
    if (out.length >= q.limit) {
      truncated = true;
      break;
    }
  }
  return { messages: out, scanned, truncated };
}
