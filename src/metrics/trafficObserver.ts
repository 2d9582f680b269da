import type { Counter } from 'prom-client';
import { ApiKey, apiDescriptor } from '../../protocol/generated/apis';
import type { ProduceRequest } from '../../protocol/generated/messages/ProduceRequest';
import type { ProduceResponseInput } from '../../protocol/generated/messages/ProduceResponse';
import type { FetchResponseInput } from '../../protocol/generated/messages/FetchResponse';
import type { BrokerObserver, ConnectionInfo, RequestContext } from '../handlers/types';
import type { BrokerMetricSet } from './metricSet';
import { byteLength, countRecords } from './recordCount';

type Child = ReturnType<Counter<string>['labels']>;

interface PartitionCounters {
  bytes: Child;
  messages: Child;
}

/**
 * Turns served requests into metric updates. Work per request is O(topics +
 * partitions + batches): bytes come from buffer lengths and message counts
 * from batch headers, never from walking records. Label children are cached
 * so the hot path does no label hashing.
 */
export class TrafficObserver implements BrokerObserver {
  private readonly apiNames: string[] = [];
  private readonly inCounters = new Map<string, PartitionCounters>();
  private readonly outCounters = new Map<string, PartitionCounters>();
  private readonly open = new Set<number>();
  /** Messages/bytes per topic since start, for the console's throughput view. */
  readonly topicTotals = new Map<string, { bytesIn: number; messagesIn: number; bytesOut: number; messagesOut: number }>();

  constructor(private readonly m: BrokerMetricSet) {}

  get openConnections(): number {
    return this.open.size;
  }

  private apiName(key: number): string {
    let name = this.apiNames[key];
    if (name === undefined) {
      name = apiDescriptor(key)?.name ?? `api${key}`;
      this.apiNames[key] = name;
    }
    return name;
  }

  requestDone(ctx: RequestContext, request: unknown, response: unknown, durationMs: number): void {
    const api = this.apiName(ctx.apiKey);
    this.m.requests.labels(api).inc();
    this.m.requestSeconds.labels(api).observe(durationMs / 1000);
    if (response === undefined) {
      this.m.requestErrors.labels(api).inc();
      return;
    }
    if (ctx.apiKey === ApiKey.Produce) this.produced(request as ProduceRequest, response as ProduceResponseInput | null);
    else if (ctx.apiKey === ApiKey.Fetch && response !== null) this.fetched(response as FetchResponseInput);
  }

  connectionOpened(info: ConnectionInfo): void {
    this.open.add(info.id);
    this.m.connectionsAccepted.inc();
    this.m.connections.set(this.open.size);
  }

  connectionClosed(info: ConnectionInfo): void {
    if (this.open.delete(info.id)) this.m.connections.set(this.open.size);
  }

  /** Drops a deleted topic's series so dashboards do not show ghosts. */
  forgetTopic(topic: string): void {
    for (const [map, bytes, messages] of [
      [this.inCounters, this.m.bytesIn, this.m.messagesIn],
      [this.outCounters, this.m.bytesOut, this.m.messagesOut],
    ] as const) {
      for (const key of [...map.keys()]) {
        if (key.slice(0, key.lastIndexOf('\0')) !== topic) continue;
        const partition = key.slice(key.lastIndexOf('\0') + 1);
        bytes.remove(topic, partition);
        messages.remove(topic, partition);
        map.delete(key);
      }
    }
    this.topicTotals.delete(topic);
  }

  private counters(map: Map<string, PartitionCounters>, bytes: Counter<string>, messages: Counter<string>, topic: string, partition: number): PartitionCounters {
    const key = `${topic}\0${partition}`;
    let c = map.get(key);
    if (!c) {
      const p = String(partition);
      c = { bytes: bytes.labels(topic, p), messages: messages.labels(topic, p) };
      map.set(key, c);
    }
    return c;
  }

  private totals(topic: string) {
    let t = this.topicTotals.get(topic);
    if (!t) {
      t = { bytesIn: 0, messagesIn: 0, bytesOut: 0, messagesOut: 0 };
      this.topicTotals.set(topic, t);
    }
    return t;
  }

  private produced(req: ProduceRequest, res: ProduceResponseInput | null): void {
    for (let ti = 0; ti < req.topicData.length; ti++) {
      const t = req.topicData[ti]!;
      const answers = res?.responses?.[ti]?.partitionResponses;
      for (let pi = 0; pi < t.partitionData.length; pi++) {
        const p = t.partitionData[pi]!;
        // acks=0 has no answer: count what was sent, as Kafka's BytesInPerSec does.
        const a = answers?.[pi];
        if (res !== null && (a === undefined || a.index !== p.index || (a.errorCode ?? 0) !== 0)) continue;
        const bytes = byteLength(p.records);
        const messages = countRecords(p.records);
        const c = this.counters(this.inCounters, this.m.bytesIn, this.m.messagesIn, t.name, p.index);
        c.bytes.inc(bytes);
        c.messages.inc(messages);
        const tot = this.totals(t.name);
        tot.bytesIn += bytes;
        tot.messagesIn += messages;
      }
    }
  }

  private fetched(res: FetchResponseInput): void {
    for (const t of res.responses ?? []) {
      const topic = t.topic;
      if (!topic) continue;
      for (const p of t.partitions ?? []) {
        const bytes = byteLength(p.records);
        if (bytes === 0) continue;
        const messages = countRecords(p.records);
        const c = this.counters(this.outCounters, this.m.bytesOut, this.m.messagesOut, topic, p.partitionIndex ?? 0);
        c.bytes.inc(bytes);
        c.messages.inc(messages);
        const tot = this.totals(topic);
        tot.bytesOut += bytes;
        tot.messagesOut += messages;
      }
    }
  }
}
