import { ApiKey, apiDescriptor } from '../../protocol/generated/apis';
import type { ProduceRequest } from '../../protocol/generated/messages/ProduceRequest';
import type { ProduceResponseInput } from '../../protocol/generated/messages/ProduceResponse';
import type { FetchResponseInput } from '../../protocol/generated/messages/FetchResponse';
import type { BrokerObserver, RequestContext } from '../handlers/types';
import type { ConnectionInfo } from '../net/connection';
import { FastHistogram } from './customMetric';
import { LATENCY_BUCKETS, type ApiStats, type BrokerMetricSet, type TopicTraffic } from './metricSet';
import { byteLength, countRecords } from './recordCount';

/**
 * Turns served requests into metric updates. Work per request is O(topics +
 * partitions + batches) additions to plain numbers: bytes come from buffer
 * lengths, message counts from batch headers, never from walking records.
 */
export class TrafficObserver implements BrokerObserver {
  private readonly open = new Set<number>();

  constructor(private readonly m: BrokerMetricSet) {}

  /** Per-topic sums since start (the console derives rates from them). */
  get topicTotals(): ReadonlyMap<string, { readonly totals: TopicTraffic['totals'] }> {
    return this.m.topics;
  }

  get openConnections(): number {
    return this.open.size;
  }

  private api(key: number): ApiStats {
    let a = this.m.apis[key];
    if (a === undefined) {
      a = { name: apiDescriptor(key)?.name ?? `api${key}`, requests: 0, failures: 0, latency: new FastHistogram(LATENCY_BUCKETS) };
      this.m.apis[key] = a;
    }
    return a;
  }

  saslRequest(apiKey: number): void {
    this.api(apiKey).requests++;
  }

  authentication(mechanism: string, ok: boolean): void {
    const key = `${mechanism}\0${ok ? 'success' : 'failure'}`;
    this.m.authentications.set(key, (this.m.authentications.get(key) ?? 0) + 1);
  }

  private topic(name: string): TopicTraffic {
    let t = this.m.topics.get(name);
    if (t === undefined) {
      t = { bytesIn: [], messagesIn: [], bytesOut: [], messagesOut: [], totals: { bytesIn: 0, messagesIn: 0, bytesOut: 0, messagesOut: 0 } };
      this.m.topics.set(name, t);
    }
    return t;
  }

  requestDone(ctx: RequestContext, request: unknown, response: unknown, durationMs: number): void {
    const api = this.api(ctx.apiKey);
    api.requests++;
    api.latency.observe(durationMs / 1000);
    if (response === undefined) {
      api.failures++;
      return;
    }
    if (ctx.apiKey === ApiKey.Produce) this.produced(request as ProduceRequest, response as ProduceResponseInput | null);
    else if (ctx.apiKey === ApiKey.Fetch && response !== null) this.fetched(response as FetchResponseInput);
  }

  connectionOpened(info: ConnectionInfo): void {
    this.open.add(info.id);
    this.m.connectionsAccepted++;
    this.m.connectionsOpen = this.open.size;
  }

  connectionClosed(info: ConnectionInfo): void {
    if (this.open.delete(info.id)) this.m.connectionsOpen = this.open.size;
  }

  /** Drops a deleted topic's series so dashboards do not show ghosts. */
  forgetTopic(topic: string): void {
    this.m.topics.delete(topic);
  }

  private produced(req: ProduceRequest, res: ProduceResponseInput | null): void {
    for (let ti = 0; ti < req.topicData.length; ti++) {
      const td = req.topicData[ti]!;
      const answer = res?.responses?.[ti];
      const answers = answer?.partitionResponses;
      let t: TopicTraffic | undefined;
      for (let pi = 0; pi < td.partitionData.length; pi++) {
        const p = td.partitionData[pi]!;
        // acks=0 has no answer: count what was sent, as Kafka's BytesInPerSec does.
        const a = answers?.[pi];
        if (res !== null && (a === undefined || a.index !== p.index || (a.errorCode ?? 0) !== 0)) continue;
        const bytes = byteLength(p.records);
        const messages = countRecords(p.records);
        // Produce v13+ names the topic by id; the handler puts the name it resolved in the answer.
        t ??= this.topic(answer?.name || td.name);
        t.bytesIn[p.index] = (t.bytesIn[p.index] ?? 0) + bytes;
        t.messagesIn[p.index] = (t.messagesIn[p.index] ?? 0) + messages;
        t.totals.bytesIn += bytes;
        t.totals.messagesIn += messages;
      }
    }
  }

  private fetched(res: FetchResponseInput): void {
    for (const td of res.responses ?? []) {
      if (!td.topic) continue;
      let t: TopicTraffic | undefined;
      for (const p of td.partitions ?? []) {
        const bytes = byteLength(p.records);
        if (bytes === 0) continue;
        const messages = countRecords(p.records);
        const i = p.partitionIndex ?? 0;
        t ??= this.topic(td.topic);
        t.bytesOut[i] = (t.bytesOut[i] ?? 0) + bytes;
        t.messagesOut[i] = (t.messagesOut[i] ?? 0) + messages;
        t.totals.bytesOut += bytes;
        t.totals.messagesOut += messages;
      }
    }
  }
}
