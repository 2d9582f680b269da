import { decodeRecordBatches } from '../../protocol/records';
import { ATTR, BATCH } from '../../protocol/records/batchHeader';
import type { DecodedBatch } from '../../protocol/records/types';
import type { TopicInfo } from '../metadata/types';
import { selectRecords } from '../views/batchSelect';
import type { RecordFilter } from '../views/recordFilter';
import { viewSource } from '../views/viewSource';
import { isView } from '../views/viewTopics';
import type { BrokerServices } from '../handlers/types';
import type { MessageRow } from './consoleData';
import type { KafkaRecord } from '../../protocol/records/types';
import type { PartitionLog } from '../../storage/partitionLog';
import type { AbortedTxn } from '../../storage/txnIndex';

export interface SearchQuery {
  partition: number | null;
  /** Start here (per partition) instead of the newest window. */
  offset: number | null;
  /** Start at the first record at or after this time. */
  fromMs: number | null;
  /** Only records at or before this time. */
  toMs?: number | null;
  /** Exact key match (UTF-8). */
  key: string | null;
  /** Case-insensitive substring of the value. */
  text: string | null;
  limit: number;
  /** The newest `limit` matches (by time, then offset) instead of the oldest; the answer is still oldest first. */
  newest?: boolean;
}

export interface SearchResult {
  messages: MessageRow[];
  /** Records looked at; a search stops after searchLimits.scanRecords per partition. */
  scanned: number;
  truncated: boolean;
  /** Set when the key was looked up in the topic's key index (brook.index.keys) instead of scanning. */
  keyIndex?: { partitionsProbed: number; batchesRead: number };
}

/** What one request may cost; an object so a test can lower the bounds instead of writing 100,000 records. */
export const searchLimits = {
  /** A search reads at most this many records per partition, so one request cannot scan a huge log. */
  scanRecords: 100_000,
  /** Key-index matches looked at per partition. */
  keyMatches: 10_000,
};
const READ_BYTES = 1 << 20;

function rowOf(p: number, r: KafkaRecord, aborted: boolean): MessageRow {
  const row: MessageRow = { partition: p, offset: String(r.offset), timestamp: String(r.timestamp), key: text(r.key), value: text(r.value), headers: Object.fromEntries(r.headers.map((h) => [h.key, text(h.value)])) };
  if (aborted) row.aborted = true;
  return row;
}

/**
 * The partition's last stable offset: records of open transactions start there. A search reads no further, as a
 * read_committed consumer does not (and as KIP-98 tools such as kafka-console-consumer show by default).
 */
export async function lastStableOffset(log: PartitionLog): Promise<number> {
  return (await log.producerState.table()).lastStableOffset(log.highWatermark);
}

/** Aborted transactions with data in [from, to): none looked up when the log never held an abort marker. */
export async function abortedIn(log: PartitionLog, from: number, to: number): Promise<AbortedTxn[]> {
  return from < to && log.hasAbortedTxns ? log.abortedTxns(from, to) : [];
}

/** The aborted transaction a batch belongs to (read_committed consumers skip it; the abort markers' index tells). */
export function abortOf(b: Pick<DecodedBatch, 'isTransactional' | 'producerId' | 'baseOffset'>, aborted: readonly AbortedTxn[]): AbortedTxn | null {
  if (!b.isTransactional || aborted.length === 0) return null;
  const base = Number(b.baseOffset);
  return aborted.find((a) => a.producerId === b.producerId && a.firstOffset <= base && base <= a.lastOffset) ?? null;
}

/**
 * Records at exactly these offsets of one partition, in the offsets' order (ascending), one batch read and
 * decoded at a time, so a caller that stops early never holds more than one batch; `abort` is the aborted
 * transaction the record belongs to, if any. Control batches (transaction markers) hold no record a consumer is ever handed, so an
 * offset of one has no record here.
 */
export async function* eachRecordAt(log: PartitionLog, offsets: readonly number[], end = log.highWatermark): AsyncGenerator<{ record: KafkaRecord; abort: AbortedTxn | null }> {
  if (offsets.length === 0) return;
  const wanted = new Set(offsets);
  const aborted = await abortedIn(log, offsets[0]!, Math.min(end, offsets[offsets.length - 1]! + 1));
  let i = 0;
  while (i < offsets.length) {
    const read = await log.read(offsets[i]!, 1, { maxOffset: end, minOneBatch: true });
    if (read.chunks.length === 0) break;
    const [batch] = decodeRecordBatches(read.chunks.length === 1 ? read.chunks[0]! : Buffer.concat(read.chunks));
    if (!batch) break;
    const abort = abortOf(batch, aborted);
    if (!batch.isControl) for (const r of batch.records) if (wanted.has(Number(r.offset))) yield { record: r, abort };
    const last = Number(batch.baseOffset) + batch.lastOffsetDelta;
    while (i < offsets.length && offsets[i]! <= last) i++;
  }
}

/** eachRecordAt, collected (for a few offsets). */
export async function recordsAt(log: PartitionLog, offsets: readonly number[]): Promise<KafkaRecord[]> {
  const out: KafkaRecord[] = [];
  for await (const { record } of eachRecordAt(log, offsets)) out.push(record);
  return out;
}

/**
 * Key lookups on a topic with brook.index.keys: index probes plus reads of the batches holding matches, no scan.
 * Matches are looked up in pages and read one batch at a time, and a row is built only for a record that is
 * returned: the work and the memory of a request follow its `limit`, not how often the key occurs (a hot key with
 * large values must not be decoded 10,000 times for limit=1).
 */
async function searchByKeyIndex(s: BrokerServices, topic: string, partitions: number, q: SearchQuery): Promise<SearchResult | null> {
  const key = Buffer.from(q.key!, 'utf8');
  const needle = q.text?.toLowerCase() ?? null;
  const out: MessageRow[] = [];
  let probed = 0;
  let batchesRead = 0;
  let scanned = 0;
  let truncated = false;
  const shown = (r: KafkaRecord): boolean => {
    const ts = Number(r.timestamp);
    if ((q.fromMs !== null && ts < q.fromMs) || (q.toMs != null && ts > q.toMs)) return false;
    return needle === null || (r.value !== null && r.value.toString('utf8').toLowerCase().includes(needle));
  };
  for (let p = 0; p < partitions && !(truncated && !q.newest && out.length >= q.limit); p++) {
    if (q.partition !== null && q.partition !== p) continue;
    const log = s.logs.get(topic, p);
    if (!log) continue;
    const before = log.keyIndexStats.batchesRead;
    // the start bound goes into the lookup: the cap counts matches from there, not from the log's start
    let from = q.offset ?? 0;
    if (q.fromMs !== null) from = Math.max(from, (await log.offsetForTimestamp(q.fromMs))?.offset ?? log.highWatermark);
    let to = await lastStableOffset(log);
    let looked = 0;
    // newest first: this partition's newest matches, each page older than the one before
    let rows: MessageRow[] = [];
    // one more match than the limit tells whether the answer is cut; later pages grow when filters drop matches
    let page = q.limit + 1;
    while (looked < searchLimits.keyMatches) {
      const want = Math.min(searchLimits.keyMatches - looked, page);
      const found = log.findKey(key, want, { from, to, newestFirst: q.newest === true });
      if (found === null) return null;
      const offsets = await found;
      looked += offsets.length;
      if (q.newest) {
        // keep the page's newest matches only (records come oldest first within the page)
        const need = q.limit + 1 - rows.length;
        const kept: MessageRow[] = [];
        for await (const { record: r, abort } of eachRecordAt(log, offsets.slice().reverse(), to)) {
          scanned++;
          if (!shown(r)) continue;
          kept.push(rowOf(p, r, abort !== null));
          if (kept.length > need) kept.shift();
        }
        rows = [...kept, ...rows];
        if (rows.length > q.limit) break;
      } else {
        for await (const { record: r, abort } of eachRecordAt(log, offsets, to)) {
          scanned++;
          if (!shown(r)) continue;
          if (out.length >= q.limit) {
            truncated = true;
            break;
          }
          out.push(rowOf(p, r, abort !== null));
        }
        if (truncated) break;
      }
      if (offsets.length < want) break;
      if (q.newest) to = offsets[offsets.length - 1]!;
      else from = offsets[offsets.length - 1]! + 1;
      page *= 2;
    }
    out.push(...rows);
    batchesRead += log.keyIndexStats.batchesRead - before;
    probed++;
    // more matches may lie beyond the ones looked at
    if (looked >= searchLimits.keyMatches) truncated = true;
  }
  const messages = q.newest ? newestOf(out, q.limit) : out;
  if (messages.length < out.length) truncated = true;
  return { messages, scanned, truncated, keyIndex: { partitionsProbed: probed, batchesRead } };
}

/** The `limit` newest rows (by time, then offset), in partition and offset order. */
function newestOf(rows: MessageRow[], limit: number): MessageRow[] {
  if (rows.length <= limit) return rows;
  const byAge = (a: MessageRow, b: MessageRow): number => Number(a.timestamp) - Number(b.timestamp) || Number(a.offset) - Number(b.offset) || a.partition - b.partition;
  return rows
    .slice()
    .sort(byAge)
    .slice(-limit)
    .sort((a, b) => a.partition - b.partition || Number(a.offset) - Number(b.offset));
}

/**
 * Where a search reads: the topic itself, or for a filtered view its source through the view's filter (a view has
 * no records of its own; it serves the source's matching ones under their source offsets). Null when there is
 * nothing to read (no such topic, the source gone, a stored filter that does not parse).
 */
export function readTarget(s: BrokerServices, topic: string): { topic: TopicInfo; filter: RecordFilter | null } | null {
  const t = s.metadata.topic(topic);
  if (!t) return null;
  if (!isView(t)) return { topic: t, filter: null };
  const src = viewSource(s.metadata, t);
  return 'source' in src ? { topic: src.source, filter: src.filter } : null;
}

/** What the scan needs of a batch: where it ends and the records it shows. */
type ScannedBatch = Pick<DecodedBatch, 'baseOffset' | 'lastOffsetDelta' | 'isControl' | 'isTransactional' | 'producerId' | 'records'>;

/**
 * The batches of `buf` with only the records `filter` keeps; a batch keeping none comes back with no records (and
 * is not decoded), so the caller still moves past its offsets.
 */
function* matchingBatches(buf: Buffer, filter: RecordFilter): Iterable<ScannedBatch> {
  const kept: number[] = [];
  for (let pos = 0; pos + BATCH.HEADER_SIZE <= buf.length; ) {
    const size = BATCH.LOG_OVERHEAD + buf.readInt32BE(pos + BATCH.BATCH_LENGTH);
    if (pos + size > buf.length) return;
    const isControl = (buf.readInt16BE(pos + BATCH.ATTRIBUTES) & ATTR.CONTROL) !== 0;
    const selected = isControl ? null : selectRecords(buf, pos, size, { filter, from: 0 }, kept);
    kept.length = 0;
    if (selected) yield decodeRecordBatches(selected)[0]!;
    else yield { baseOffset: buf.readBigInt64BE(pos), lastOffsetDelta: buf.readInt32BE(pos + BATCH.LAST_OFFSET_DELTA), isControl, isTransactional: false, producerId: -1n, records: [] };
    pos += size;
  }
}

function text(b: Buffer | null): string | null {
  return b === null ? null : b.toString('utf8');
}

/**
 * The console's message browser: from an offset, a time or (by default) the
 * newest searchLimits.scanRecords records of each partition (ending at `to`), the records matching a key and
 * a text in the value, oldest first. Reads the local logs up to the last stable
 * offset, as a read_committed consumer would see them, with the records of aborted
 * transactions (which such a consumer skips) flagged `aborted`.
 */
export async function searchMessages(s: BrokerServices, topic: string, q: SearchQuery): Promise<SearchResult | null> {
  const found = readTarget(s, topic);
  if (!found) return null;
  const { topic: t, filter } = found;
  // a view's key search scans its source through the filter (the source's key index knows nothing of the filter)
  const indexed = q.key !== null && filter === null ? await searchByKeyIndex(s, t.name, t.partitions, q) : null;
  if (indexed) return indexed;
  const out: MessageRow[] = [];
  let scanned = 0;
  let truncated = false;
  const needle = q.text?.toLowerCase() ?? null;
  const partitions = q.partition === null ? Array.from({ length: t.partitions }, (_, p) => p) : [q.partition];
  for (const p of partitions) {
    const log = s.logs.get(t.name, p);
    if (!log) continue;
    const end = await lastStableOffset(log);
    const limit = searchLimits.scanRecords;
    // the first record after `to` (ListOffsets by time): nothing from there on is shown
    const toEnd = q.toMs != null ? Math.min(end, (await log.offsetForTimestamp(q.toMs + 1))?.offset ?? end) : end;
    let from: number;
    let stopAt: number;
    if (q.offset !== null || q.fromMs !== null) {
      // an offset or a time says where to start (the time as ListOffsets finds it); the bound runs forward from there
      from = Math.max(log.logStartOffset, q.offset ?? 0);
      if (q.fromMs !== null) {
        const found = await log.offsetForTimestamp(q.fromMs);
        from = found ? Math.max(from, found.offset) : end;
      }
      stopAt = Math.min(end, from + limit);
      if (stopAt < toEnd) truncated = true;
    } else {
      // no start given: the newest window before `to`
      stopAt = toEnd;
      from = Math.max(log.logStartOffset, stopAt - limit);
      // older records were never looked at: the answer may be missing matches
      if (from > log.logStartOffset) truncated = true;
    }
    // newest first: the last `limit` matches of the window (a window read whole, holding only those)
    const rows: MessageRow[] = [];
    const budget = q.newest ? Infinity : q.limit - out.length;
    const aborted = await abortedIn(log, from, stopAt);
    let offset = from;
    while (offset < stopAt && rows.length < budget) {
      const read = await log.read(offset, READ_BYTES, { maxOffset: stopAt, minOneBatch: true });
      if (read.chunks.length === 0) break;
      const buf = read.chunks.length === 1 ? read.chunks[0]! : Buffer.concat(read.chunks);
      let next = offset;
      for (const batch of (filter === null ? decodeRecordBatches(buf) : matchingBatches(buf, filter)) as Iterable<ScannedBatch>) {
        next = Math.max(next, Number(batch.baseOffset) + batch.lastOffsetDelta + 1);
        if (batch.isControl || batch.records.length === 0) continue;
        for (const r of batch.records) {
          const off = Number(r.offset);
          if (off < offset || off >= stopAt) continue;
          scanned++;
          if (q.toMs != null && Number(r.timestamp) > q.toMs) continue;
          if (q.key !== null && (r.key === null || r.key.toString('utf8') !== q.key)) continue;
          const value = text(r.value);
          if (needle !== null && (value === null || !value.toLowerCase().includes(needle))) continue;
          rows.push(rowOf(p, r, abortOf(batch, aborted) !== null));
          if (rows.length > q.limit) {
            rows.shift();
            truncated = true;
          }
          if (rows.length >= budget) break;
        }
        if (rows.length >= budget) break;
      }
      if (next <= offset) break;
      offset = next;
    }
    out.push(...rows);
    if (!q.newest && out.length >= q.limit) {
      truncated = true;
      break;
    }
  }
  const messages = q.newest ? newestOf(out, q.limit) : out;
  if (messages.length < out.length) truncated = true;
  return { messages, scanned, truncated };
}
