import { randomUUID } from 'node:crypto';
import { ApiKey } from '../../../protocol/generated/apis';
import type { FetchResponse } from '../../../protocol/generated/messages/FetchResponse';
import type { ListOffsetsResponse } from '../../../protocol/generated/messages/ListOffsetsResponse';
import type { OffsetCommitResponse } from '../../../protocol/generated/messages/OffsetCommitResponse';
import type { OffsetFetchResponse } from '../../../protocol/generated/messages/OffsetFetchResponse';
import { decodeRecordBatches } from '../../../protocol/records';
import type { BrokerServices } from '../../handlers/types';
import { callApi, type HttpCaller } from '../brokerCall';
import { HttpError } from '../respond';
import { restError } from './kafkaErrors';

export type ConsumerFormat = 'json' | 'binary' | 'string';

interface Instance {
  group: string;
  name: string;
  principal: string;
  format: ConsumerFormat;
  earliest: boolean;
  autoCommit: boolean;
  topics: string[];
  /** topic -> partition -> next offset to read. */
  positions: Map<string, Map<number, number>>;
  lastUsedMs: number;
}

export interface ConsumedRecord {
  topic: string;
  key: unknown;
  value: unknown;
  partition: number;
  offset: number;
  timestamp: number;
  headers: Array<{ key: string; value: string | null }>;
}

const notFound = () => new HttpError(404, 40403, 'Consumer instance not found.');
const MAX_WAIT_MS = 5000;

/**
 * Confluent REST v2 consumer instances: an instance subscribes to topics and
 * pulls records over HTTP; its positions start from the group's committed
 * offsets (or auto.offset.reset) and commits go to the group's offsets, all
 * through the broker's own ListOffsets/Fetch/OffsetFetch/OffsetCommit
 * handlers as the caller (READ on the topics and the group).
 *
 * Unlike Confluent's proxy, an instance is not a member of a rebalancing
 * group: it reads every partition of its subscription, so two instances of
 * one group each get all records (offsets are still the group's).
 */
export class ConsumerInstances {
  private readonly instances = new Map<string, Instance>();

  constructor(
    private readonly services: BrokerServices,
    private readonly idleTimeoutMs = 300_000,
  ) {}

  private key(group: string, name: string): string {
    return `${group}\u0000${name}`;
  }

  private sweep(now: number): void {
    for (const [k, i] of this.instances) if (now - i.lastUsedMs > this.idleTimeoutMs) this.instances.delete(k);
  }

  get(caller: HttpCaller, group: string, name: string): Instance {
    const i = this.instances.get(this.key(group, name));
    // Someone else's instance is as good as absent.
    if (!i || i.principal !== caller.principal) throw notFound();
    i.lastUsedMs = Date.now();
    return i;
  }

  create(caller: HttpCaller, group: string, body: unknown): { instance_id: string; name: string } {
    this.sweep(Date.now());
    const b = (body ?? {}) as Record<string, unknown>;
    const name = typeof b.name === 'string' && b.name !== '' ? b.name : `rest-consumer-${randomUUID()}`;
    const format = String(b.format ?? 'binary').toLowerCase();
    if (format !== 'json' && format !== 'binary' && format !== 'string') throw new HttpError(422, 42204, `format ${format} is not one of json, binary, string (schema formats are not served)`);
    const reset = String(b['auto.offset.reset'] ?? 'latest');
    if (reset !== 'earliest' && reset !== 'latest') throw new HttpError(422, 42204, 'auto.offset.reset must be earliest or latest');
    if (this.instances.has(this.key(group, name))) throw new HttpError(409, 40902, `Consumer with name ${name} already exists.`);
    this.instances.set(this.key(group, name), {
      group,
      name,
      principal: caller.principal,
      format,
      earliest: reset === 'earliest',
      autoCommit: String(b['auto.commit.enable'] ?? 'false') === 'true',
      topics: [],
      positions: new Map(),
      lastUsedMs: Date.now(),
    });
    return { instance_id: name, name };
  }

  delete(caller: HttpCaller, group: string, name: string): void {
    this.get(caller, group, name);
    this.instances.delete(this.key(group, name));
  }

  subscribe(caller: HttpCaller, group: string, name: string, body: unknown): void {
    const i = this.get(caller, group, name);
    const topics = (body as { topics?: unknown } | null)?.topics;
    if (!Array.isArray(topics) || topics.some((t) => typeof t !== 'string')) throw new HttpError(422, 42204, 'topics must be a list of topic names (topic_pattern is not served)');
    i.topics = topics as string[];
    i.positions.clear();
  }

  /** Positions of partitions not yet read: the group's committed offset, else the earliest or latest offset. */
  private async initPositions(caller: HttpCaller, i: Instance): Promise<void> {
    const missing: Array<{ topic: string; partitions: number[] }> = [];
    for (const topic of i.topics) {
      const info = this.services.metadata.topic(topic);
      if (!info) throw restError(3, null, `topic ${topic}`);
      const have = i.positions.get(topic) ?? new Map<number, number>();
      i.positions.set(topic, have);
      const parts = Array.from({ length: info.partitions }, (_, p) => p).filter((p) => !have.has(p));
      if (parts.length > 0) missing.push({ topic, partitions: parts });
    }
    if (missing.length === 0) return;
    const committed = await callApi<OffsetFetchResponse>(this.services, caller, ApiKey.OffsetFetch, 7, {
      groupId: i.group,
      topics: missing.map((m) => ({ name: m.topic, partitionIndexes: m.partitions })),
      requireStable: false,
    });
    if (committed.errorCode !== 0) throw restError(committed.errorCode, null, `offsets of group ${i.group}`);
    const reset: Array<{ topic: string; partitions: number[] }> = [];
    for (const m of missing) {
      const t = committed.topics.find((x) => x.name === m.topic);
      const pending: number[] = [];
      for (const p of m.partitions) {
        const c = t?.partitions.find((x) => x.partitionIndex === p);
        if (c && c.errorCode !== 0) throw restError(c.errorCode, null, `offsets of group ${i.group}`);
        if (c && c.committedOffset >= 0n) i.positions.get(m.topic)!.set(p, Number(c.committedOffset));
        else pending.push(p);
      }
      if (pending.length > 0) reset.push({ topic: m.topic, partitions: pending });
    }
    if (reset.length === 0) return;
    const offsets = await callApi<ListOffsetsResponse>(this.services, caller, ApiKey.ListOffsets, 7, {
      replicaId: -1,
      isolationLevel: 0,
      topics: reset.map((r) => ({ name: r.topic, partitions: r.partitions.map((p) => ({ partitionIndex: p, currentLeaderEpoch: -1, timestamp: i.earliest ? -2n : -1n })) })),
    });
    for (const t of offsets.topics) {
      for (const p of t.partitions) {
        if (p.errorCode !== 0) throw restError(p.errorCode, null, `offsets of ${t.name}-${p.partitionIndex}`);
        i.positions.get(t.name)!.set(p.partitionIndex, Number(p.offset));
      }
    }
  }

  private render(format: ConsumerFormat, b: Buffer | null): unknown {
    if (b === null) return null;
    if (format === 'binary') return b.toString('base64');
    if (format === 'string') return b.toString('utf8');
    try {
      return JSON.parse(b.toString('utf8'));
    } catch {
      throw new HttpError(500, 50002, 'a record is not JSON; consume it with format binary');
    }
  }

  /** GET records: what the subscription has past the instance's positions, up to maxBytes, waiting up to timeoutMs for the first. */
  async records(caller: HttpCaller, group: string, name: string, timeoutMs: number, maxBytes: number): Promise<ConsumedRecord[]> {
    const i = this.get(caller, group, name);
    if (i.topics.length === 0) throw new HttpError(409, 40903, 'Consumer instance is not subscribed to any topic.');
    await this.initPositions(caller, i);
    const res = await callApi<FetchResponse>(this.services, caller, ApiKey.Fetch, 12, {
      replicaId: -1,
      maxWaitMs: Math.min(MAX_WAIT_MS, Math.max(0, timeoutMs)),
      minBytes: 1,
      maxBytes,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [...i.positions].map(([topic, parts]) => ({
        topic,
        partitions: [...parts].map(([p, offset]) => ({ partition: p, currentLeaderEpoch: -1, fetchOffset: BigInt(offset), lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: maxBytes })),
      })),
      forgottenTopicsData: [],
      rackId: '',
    });
    if (res.errorCode !== 0) throw restError(res.errorCode, null, 'fetch');
    const out: ConsumedRecord[] = [];
    for (const t of res.responses) {
      for (const p of t.partitions) {
        if (p.errorCode === 1) {
          // OFFSET_OUT_OF_RANGE: start over from auto.offset.reset on the next call.
          i.positions.get(t.topic)?.delete(p.partitionIndex);
          continue;
        }
        if (p.errorCode !== 0) throw restError(p.errorCode, null, `fetch ${t.topic}-${p.partitionIndex}`);
        if (!p.records || p.records.length === 0) continue;
        const pos = i.positions.get(t.topic)!;
        let next = pos.get(p.partitionIndex) ?? 0;
        for (const batch of decodeRecordBatches(p.records)) {
          const end = Number(batch.baseOffset) + batch.lastOffsetDelta + 1;
          if (!batch.isControl) {
            for (const r of batch.records) {
              const off = Number(r.offset);
              if (off < next) continue;
              out.push({
                topic: t.topic,
                key: this.render(i.format, r.key),
                value: this.render(i.format, r.value),
                partition: p.partitionIndex,
                offset: off,
                timestamp: Number(r.timestamp),
                headers: r.headers.map((h) => ({ key: h.key, value: h.value === null ? null : h.value.toString('base64') })),
              });
            }
          }
          next = Math.max(next, end);
        }
        pos.set(p.partitionIndex, next);
      }
    }
    if (i.autoCommit && out.length > 0) await this.commit(caller, group, name, null);
    return out;
  }

  /** Commits the given offsets (next offset to read) or, without a list, every position the instance reached. */
  async commit(caller: HttpCaller, group: string, name: string, body: unknown): Promise<void> {
    const i = this.get(caller, group, name);
    const listed = (body as { offsets?: unknown } | null)?.offsets;
    const byTopic = new Map<string, Array<{ partition: number; offset: number }>>();
    if (Array.isArray(listed)) {
      for (const o of listed as Array<{ topic?: unknown; partition?: unknown; offset?: unknown }>) {
        if (typeof o?.topic !== 'string' || !Number.isInteger(o.partition) || !Number.isInteger(o.offset)) throw new HttpError(422, 42204, 'offsets must be a list of {topic, partition, offset}');
        const l = byTopic.get(o.topic) ?? [];
        // Confluent's proxy takes the offset of the last record consumed; the group stores the next one to read.
        l.push({ partition: o.partition as number, offset: (o.offset as number) + 1 });
        byTopic.set(o.topic, l);
      }
    } else {
      for (const [topic, parts] of i.positions) byTopic.set(topic, [...parts].map(([partition, offset]) => ({ partition, offset })));
    }
    if (byTopic.size === 0) return;
    const res = await callApi<OffsetCommitResponse>(this.services, caller, ApiKey.OffsetCommit, 8, {
      groupId: group,
      generationIdOrMemberEpoch: -1,
      memberId: '',
      groupInstanceId: null,
      topics: [...byTopic].map(([name, parts]) => ({ name, partitions: parts.map((p) => ({ partitionIndex: p.partition, committedOffset: BigInt(p.offset), committedLeaderEpoch: -1, committedMetadata: null })) })),
    });
    for (const t of res.topics) for (const p of t.partitions) if (p.errorCode !== 0) throw restError(p.errorCode, null, `commit ${t.name}-${p.partitionIndex} for group ${group}`);
  }
}
