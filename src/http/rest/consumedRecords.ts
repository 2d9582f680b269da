import type { FetchResponse } from '../../../protocol/generated/messages/FetchResponse';
import { decodeRecordBatches } from '../../../protocol/records';
import { HttpError } from '../respond';
import { RawJson, jsonText } from './jsonSpans';
import { restError } from './kafkaErrors';

/** The v2 consumer API's shapes: fetched records as an instance's format renders them, and the partition lists it takes. */

export type ConsumerFormat = 'json' | 'binary' | 'string';

export interface ConsumedRecord {
  topic: string;
  key: unknown;
  value: unknown;
  partition: number;
  offset: number;
  timestamp: number;
  headers: Array<{ key: string; value: string | null }>;
}

function render(format: ConsumerFormat, b: Buffer | null): unknown {
  if (b === null) return null;
  if (format === 'binary') return b.toString('base64');
  if (format === 'string') return b.toString('utf8');
  const text = b.toString('utf8');
  try {
    JSON.parse(text);
    // valid JSON goes out as written: parsing and serializing again would round big integers and change 1.10
    return new RawJson(text);
  } catch {
    // as Confluent's proxy (a SerializationException is its 500 "Kafka error"); nothing is consumed
    throw new HttpError(500, 50002, 'a record is not JSON; consume it with format binary (or seek past it)');
  }
}

/** A partition's next position after a fetch; null = out of range, start over from auto.offset.reset. */
export interface PositionMove {
  topic: string;
  partition: number;
  next: number | null;
}

/**
 * The records of a Fetch answer past the given positions, rendered, and where each partition's position goes
 * once they are delivered. Throws (moving nothing) on a partition error or a record the format cannot render.
 */
export function fetchedRecords(res: FetchResponse, positions: ReadonlyMap<string, ReadonlyMap<number, number>>, format: ConsumerFormat): { records: ConsumedRecord[]; moves: PositionMove[] } {
  const records: ConsumedRecord[] = [];
  const moves: PositionMove[] = [];
  for (const t of res.responses) {
    for (const p of t.partitions) {
      if (p.errorCode === 1) {
        // OFFSET_OUT_OF_RANGE
        moves.push({ topic: t.topic, partition: p.partitionIndex, next: null });
        continue;
      }
      if (p.errorCode !== 0) throw restError(p.errorCode, null, `fetch ${t.topic}-${p.partitionIndex}`);
      if (!p.records || p.records.length === 0) continue;
      let next = positions.get(t.topic)?.get(p.partitionIndex) ?? 0;
      for (const batch of decodeRecordBatches(p.records)) {
        const end = Number(batch.baseOffset) + batch.lastOffsetDelta + 1;
        if (!batch.isControl) {
          for (const r of batch.records) {
            const off = Number(r.offset);
            if (off < next) continue;
            records.push({
              topic: t.topic,
              key: render(format, r.key),
              value: render(format, r.value),
              partition: p.partitionIndex,
              offset: off,
              timestamp: Number(r.timestamp),
              headers: r.headers.map((h) => ({ key: h.key, value: h.value === null ? null : h.value.toString('base64') })),
            });
          }
        }
        next = Math.max(next, end);
      }
      moves.push({ topic: t.topic, partition: p.partitionIndex, next });
    }
  }
  return { records, moves };
}

/** The JSON text of a records answer; a json instance's keys and values are embedded as their record's text. */
export function consumedRecordsJson(records: readonly ConsumedRecord[]): string {
  const one = (r: ConsumedRecord) =>
    `{"topic":${JSON.stringify(r.topic)},"key":${jsonText(r.key)},"value":${jsonText(r.value)},"partition":${r.partition},"offset":${r.offset},"timestamp":${r.timestamp},"headers":${JSON.stringify(r.headers)}}`;
  return `[${records.map(one).join(',')}]`;
}

/** `{partitions: [{topic, partition}]}` of the v2 API, checked. */
export function partitionList(body: unknown): Array<{ topic: string; partition: number }> {
  const parts = (body as { partitions?: unknown } | null)?.partitions;
  if (!Array.isArray(parts) || parts.some((p: { topic?: unknown; partition?: unknown }) => typeof p?.topic !== 'string' || !Number.isInteger(p.partition) || (p.partition as number) < 0)) {
    throw new HttpError(422, 42204, 'partitions must be a list of {topic, partition}');
  }
  return parts as Array<{ topic: string; partition: number }>;
}

/** topic -> its partitions, each once, in order. */
export function partitionsByTopic(parts: ReadonlyArray<{ topic: string; partition: number }>): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const p of parts) {
    const l = out.get(p.topic) ?? [];
    if (!l.includes(p.partition)) l.push(p.partition);
    out.set(p.topic, l);
  }
  for (const l of out.values()) l.sort((a, b) => a - b);
  return out;
}
