import { ErrorCode } from '../../../protocol/errors';
import { ApiKey } from '../../../protocol/generated/apis';
import type { ProduceRequest } from '../../../protocol/generated/messages/ProduceRequest';
import type { ProduceResponseInput } from '../../../protocol/generated/messages/ProduceResponse';
import { buildRecordBatch, type RecordInput } from '../../../protocol/records';
import type { BrokerServices } from '../../handlers/types';
import { AclOperation, ResourceType } from '../../security/acl/model';
import { PRODUCE_BY_NAME_VERSION, callBroker, produceRequest, type HttpCaller } from '../brokerCall';
import { HttpError } from '../respond';
import { decodeEmbedded, partitionForKey, type EmbeddedData } from './embedded';
import { embeddedDataText, type Span } from './jsonSpans';
import { restError } from './kafkaErrors';

/** One record of a v3 produce request after validation. */
export interface ProduceRecord {
  partition: number | null;
  key: EmbeddedData | null;
  value: EmbeddedData | null;
  headers: Array<{ key: string; value: Buffer | null }>;
  timestampMs: number | null;
}

export type ProduceOutcome =
  | { ok: true; partition: number; offset: number; timestampMs: number; key: EmbeddedData | null; value: EmbeddedData | null }
  | { ok: false; error: HttpError };

/** A JSON value of a request body with the text it came from, so embedded JSON data keeps its exact bytes. */
export interface JsonSource {
  text: string;
  span: Span;
}

/** Validates one v3 record body ({partition_id, headers, key, value, timestamp}); `source` = where it is in the request text. */
export function parseProduceRecord(body: unknown, source?: JsonSource): ProduceRecord {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 40002, 'a record must be a JSON object');
  const b = body as Record<string, unknown>;
  const partition = b.partition_id === undefined || b.partition_id === null ? null : Number(b.partition_id);
  if (partition !== null && (!Number.isInteger(partition) || partition < 0)) throw new HttpError(400, 40002, 'partition_id must be a non-negative integer');
  const headers = b.headers ?? [];
  if (!Array.isArray(headers)) throw new HttpError(400, 40002, 'headers must be a list of {name, value}');
  let timestampMs: number | null = null;
  if (b.timestamp !== undefined && b.timestamp !== null) {
    timestampMs = typeof b.timestamp === 'number' ? b.timestamp : Date.parse(String(b.timestamp));
    if (!Number.isFinite(timestampMs)) throw new HttpError(400, 40002, 'timestamp must be an ISO-8601 date-time');
  }
  return {
    partition,
    key: decodeEmbedded(b.key, 'key', source && embeddedDataText(source.text, source.span, 'key')),
    value: decodeEmbedded(b.value, 'value', source && embeddedDataText(source.text, source.span, 'value')),
    headers: headers.map((h: unknown) => {
      const o = h as { name?: unknown; value?: unknown };
      if (typeof o?.name !== 'string') throw new HttpError(400, 40002, 'a header needs a string name');
      if (o.value !== undefined && o.value !== null && typeof o.value !== 'string') throw new HttpError(400, 40002, 'a header value is base64 text');
      return { key: o.name, value: typeof o.value === 'string' ? Buffer.from(o.value, 'base64') : null };
    }),
    timestampMs,
  };
}

/**
 * Produces records to one topic through the broker's own Produce handler, as
 * the caller (so the caller needs WRITE on the topic): keyed records go to
 * Kafka's murmur2 partition, unkeyed ones stick to one partition per request
 * (Kafka's sticky partitioner), and each partition gets one batch, acks=all.
 * Outcomes are in the order of `records`.
 */
export async function produceRecords(services: BrokerServices, caller: HttpCaller, topic: string, records: ProduceRecord[]): Promise<ProduceOutcome[]> {
  // As Kafka's Produce: a caller without WRITE learns nothing about the topic, not even whether it exists or its
  // partition count, so WRITE is checked before anything is looked up.
  if (services.authorizer && !services.authorizer.authorize(caller, AclOperation.WRITE, ResourceType.TOPIC, topic)) {
    throw restError(ErrorCode.TOPIC_AUTHORIZATION_FAILED, null, `topic ${topic}`);
  }
  const info = services.metadata.topic(topic);
  if (!info) throw restError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, null, `topic ${topic}`);
  // Unkeyed records stick to one partition per request; in a cluster, one this broker leads, so no hop is needed.
  const self = services.metadata.self().nodeId;
  const local = Array.from({ length: info.partitions }, (_, p) => p).filter((p) => (services.metadata.partitionState(topic, p)?.leader ?? self) === self);
  const choices = local.length > 0 ? local : Array.from({ length: info.partitions }, (_, p) => p);
  const sticky = choices[Math.floor(Math.random() * choices.length)]!;
  const byPartition = new Map<number, number[]>();
  const outcomes: ProduceOutcome[] = new Array(records.length);
  records.forEach((r, i) => {
    const p = r.partition ?? (r.key?.bytes ? partitionForKey(r.key.bytes, info.partitions) : sticky);
    if (p >= info.partitions) {
      outcomes[i] = { ok: false, error: restError(3, `partition ${p} does not exist in topic ${topic}`, topic) };
      return;
    }
    let list = byPartition.get(p);
    if (!list) byPartition.set(p, (list = []));
    list.push(i);
  });
  if (byPartition.size === 0) return outcomes;
  const now = Date.now();
  const partitionData = [...byPartition].map(([p, idx]) => ({
    index: p,
    records: buildRecordBatch({
      baseTimestamp: BigInt(now),
      records: idx.map((i): RecordInput => {
        const r = records[i]!;
        return { key: r.key?.bytes ?? null, value: r.value?.bytes ?? null, headers: r.headers, timestamp: BigInt(r.timestampMs ?? now) };
      }),
    }),
  }));
  const res = await callBroker<ProduceRequest, ProduceResponseInput | null>(services, caller, ApiKey.Produce, produceRequest(topic, partitionData), PRODUCE_BY_NAME_VERSION);
  const parts = res?.responses?.[0]?.partitionResponses ?? [];
  for (const [p, idx] of byPartition) {
    const pr = parts.find((x) => x.index === p);
    const code = pr?.errorCode ?? -1;
    idx.forEach((i, n) => {
      const r = records[i]!;
      if (code !== 0) outcomes[i] = { ok: false, error: restError(code, pr?.errorMessage ?? null, `produce to ${topic}-${p}`) };
      else {
        const logAppend = Number(pr!.logAppendTimeMs ?? -1n);
        outcomes[i] = { ok: true, partition: p, offset: Number(pr!.baseOffset ?? 0n) + n, timestampMs: logAppend >= 0 ? logAppend : (r.timestampMs ?? now), key: r.key, value: r.value };
      }
    });
  }
  return outcomes;
}

/**
 * The JSON objects of a streamed produce body (Confluent's proxy takes one
 * record per JSON value, concatenated, optionally whitespace-separated), each
 * with where it is in the text.
 */
export function splitJsonStream(text: string): Array<{ value: unknown; source: JsonSource }> {
  // Fast path: one JSON value per line (how scripts and the bench send streams) parses natively.
  const out: Array<{ value: unknown; source: JsonSource }> = [];
  try {
    let at = 0;
    for (const l of text.split('\n')) {
      if (l.trim() !== '') out.push({ value: JSON.parse(l) as unknown, source: { text, span: [at, at + l.length] } });
      at += l.length + 1;
    }
    return out;
  } catch {
    // fall through: objects spread over lines or several on one line
  }
  return scanJsonStream(text);
}

function scanJsonStream(text: string): Array<{ value: unknown; source: JsonSource }> {
  const out: Array<{ value: unknown; source: JsonSource }> = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
      continue;
    }
    if (c === 34) inString = true;
    else if (c === 123) {
      if (depth === 0) start = i;
      depth++;
    } else if (c === 125) {
      depth--;
      if (depth === 0) {
        try {
          out.push({ value: JSON.parse(text.slice(start, i + 1)), source: { text, span: [start, i + 1] } });
        } catch (err) {
          throw new HttpError(400, 400, `malformed JSON: ${(err as Error).message}`);
        }
      } else if (depth < 0) throw new HttpError(400, 400, 'malformed JSON: unbalanced }');
    } else if (depth === 0 && c > 32) throw new HttpError(400, 400, `malformed JSON: unexpected character at ${i}`);
  }
  if (depth !== 0 || inString) throw new HttpError(400, 400, 'malformed JSON: truncated');
  return out;
}
