import { ApiKey } from '../../protocol/generated/apis';
import type { FetchRequestInput } from '../../protocol/generated/messages/FetchRequest';
import type { FetchResponse } from '../../protocol/generated/messages/FetchResponse';
import type { ProduceResponse } from '../../protocol/generated/messages/ProduceResponse';
import { buildRecordBatch, decodeRecordBatches, type RecordInput } from '../../protocol/records';
import type { RawClient } from './rawClient';

export const FETCH_MAX = 18;
export const PRODUCE_MAX = 12;

export function batchOf(records: RecordInput[]): Buffer {
  return buildRecordBatch({ records });
}

/** Produce one records blob to one partition; returns that partition's answer. */
export async function produceRaw(
  c: RawClient,
  topic: string,
  partition: number,
  records: Buffer,
  opts: { version?: number; acks?: number } = {},
) {
  const res = await c.request<ProduceResponse>(ApiKey.Produce, opts.version ?? PRODUCE_MAX, {
    transactionalId: null,
    acks: opts.acks ?? -1,
    timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: partition, records }] }],
  });
  return res.responses[0].partitionResponses[0];
}

export interface FetchPartitionSpec {
  topic: string;
  topicId?: Buffer;
  partition: number;
  offset: number;
  maxBytes?: number;
}

export function fetchRequest(parts: FetchPartitionSpec[], opts: Partial<FetchRequestInput> = {}): FetchRequestInput {
  const byTopic = new Map<string, FetchPartitionSpec[]>();
  for (const p of parts) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p]);
  return {
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 0x7fffffff,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [...byTopic.entries()].map(([topic, ps]) => ({
      topic,
      topicId: ps[0].topicId ?? Buffer.alloc(16),
      partitions: ps.map((p) => ({ partition: p.partition, fetchOffset: BigInt(p.offset), partitionMaxBytes: p.maxBytes ?? 1 << 20 })),
    })),
    forgottenTopicsData: [],
    rackId: '',
    ...opts,
  };
}

/** Defaults to v12, the newest version that names topics (v13+ needs topic ids). */
export function fetchRaw(c: RawClient, req: FetchRequestInput, version = 12): Promise<FetchResponse> {
  return c.request<FetchResponse>(ApiKey.Fetch, version, req);
}

/** Records of a v2 records blob as plain strings. */
export function recordsOf(blob: Buffer | null) {
  if (!blob || blob.length === 0) return [];
  return decodeRecordBatches(blob).flatMap((b) =>
    b.records.map((r) => ({
      offset: Number(r.offset),
      key: r.key?.toString() ?? null,
      value: r.value?.toString() ?? null,
      headers: r.headers.map((h) => [h.key, h.value?.toString() ?? null]),
      timestamp: Number(r.timestamp),
    })),
  );
}
