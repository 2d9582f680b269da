import type { BrokerServices } from '../../handlers/types';
import { readBody } from '../limits';
import { HttpError, sendText } from '../respond';
import { ok, type ApiRequest, type ApiResult, type Route } from '../router';
import { consumedRecordsJson } from './consumedRecords';
import { ConsumerInstances } from './consumers';
import { arrayElements, objectMembers, valueSpan } from './jsonSpans';
import { parseProduceRecord, produceRecords, splitJsonStream, type ProduceOutcome } from './records';
import { TopicsResources } from './topicsApi';

export const REST_CONTENT_TYPE = 'application/json';
const V2_CONTENT_TYPE = 'application/vnd.kafka.v2+json';

function baseUrl(r: ApiRequest, secure: boolean): string {
  return `${secure ? 'https' : 'http'}://${r.req.headers.host ?? 'localhost'}`;
}

/**
 * Confluent REST Proxy: API v3 for clusters, brokers, topics (list, create,
 * delete, configs) and produce (single, streamed and :batch), and the v2
 * consumer-instance API for consuming, which v3 does not have. Everything
 * runs as the logged-in principal through the broker's own handlers.
 */
export class RestApi {
  private readonly consumers: ConsumerInstances;

  constructor(private readonly services: BrokerServices, private readonly maxRequestBytes: number, consumerInstanceTimeoutMs?: number) {
    this.consumers = new ConsumerInstances(services, consumerInstanceTimeoutMs);
  }

  /** Consumer instances leave their groups. */
  stop(): Promise<void> {
    return this.consumers.stop();
  }

  private topics(r: ApiRequest, cluster?: string): TopicsResources {
    const t = new TopicsResources(this.services, () => baseUrl(r, r.caller.secure));
    if (cluster !== undefined) t.checkCluster(cluster);
    return t;
  }

  private lastIsoMs = -1;
  private lastIso = '';

  /** Records of one request mostly share a timestamp: format it once. */
  private iso(ms: number): string {
    if (ms !== this.lastIsoMs) {
      this.lastIsoMs = ms;
      this.lastIso = new Date(ms).toISOString();
    }
    return this.lastIso;
  }

  private outcomeBody(cluster: string, topic: string, o: ProduceOutcome, id?: string): Record<string, unknown> {
    const out: Record<string, unknown> = id === undefined ? {} : { id };
    if (!o.ok) {
      out.error_code = o.error.errorCode;
      out.message = o.error.message;
      return out;
    }
    out.error_code = 200;
    out.cluster_id = cluster;
    out.topic_name = topic;
    out.partition_id = o.partition;
    out.offset = o.offset;
    out.timestamp = this.iso(o.timestampMs);
    out.key = o.key ? { type: o.key.type, size: o.key.bytes?.length ?? 0 } : null;
    out.value = o.value ? { type: o.value.type, size: o.value.bytes?.length ?? 0 } : null;
    return out;
  }

  /** POST .../records: one record, or several concatenated (Confluent's streaming mode), answered one JSON object each. */
  private async produce(r: ApiRequest, cluster: string, topic: string): Promise<ApiResult> {
    this.topics(r, cluster);
    const text = (await readBody(r.req, this.maxRequestBytes)).toString('utf8');
    const bodies = splitJsonStream(text);
    if (bodies.length === 0) throw new HttpError(400, 40002, 'no record in the request body');
    const records = bodies.map((b) => parseProduceRecord(b.value, b.source));
    const outcomes = await produceRecords(this.services, r.caller, topic, records);
    if (outcomes.length === 1) {
      const o = outcomes[0]!;
      if (!o.ok) throw o.error;
      return ok(this.outcomeBody(cluster, topic, o));
    }
    sendText(r.res, 200, REST_CONTENT_TYPE, outcomes.map((o) => JSON.stringify(this.outcomeBody(cluster, topic, o))).join('\n') + '\n');
    return { handled: true };
  }

  /** POST .../records:batch: {entries: [{id, ...record}]}, answered 207 with successes and failures by id. */
  private async produceBatch(r: ApiRequest, cluster: string, topic: string): Promise<ApiResult> {
    this.topics(r, cluster);
    const text = (await readBody(r.req, this.maxRequestBytes)).toString('utf8');
    let body: { entries?: unknown } | null;
    try {
      body = text === '' ? null : (JSON.parse(text) as { entries?: unknown } | null);
    } catch (err) {
      throw new HttpError(400, 400, `malformed JSON: ${(err as Error).message}`);
    }
    const entries = body?.entries;
    if (!Array.isArray(entries) || entries.length === 0) throw new HttpError(400, 40002, 'entries must be a non-empty list of records with ids');
    const ids = entries.map((e: { id?: unknown }) => {
      if (typeof e?.id !== 'string' || e.id === '') throw new HttpError(400, 40002, 'every entry needs a string id');
      return e.id;
    });
    if (new Set(ids).size !== ids.length) throw new HttpError(400, 40002, 'entry ids must be unique');
    // the entries' source text, for their JSON data's exact bytes
    const spans = arrayElements(text, objectMembers(text, valueSpan(text)).get('entries') ?? [0, 0]);
    const outcomes = await produceRecords(this.services, r.caller, topic, entries.map((e, n) => parseProduceRecord(e, spans[n] && { text, span: spans[n]! })));
    const successes: unknown[] = [];
    const failures: unknown[] = [];
    outcomes.forEach((o, n) => (o.ok ? successes : failures).push(this.outcomeBody(cluster, topic, o, ids[n])));
    return ok({ successes, failures }, 207);
  }

  routes(): Route[] {
    const S = '([^/]+)';
    const C = `/v3/clusters/${S}`;
    const T = `${C}/topics/${S}`;
    const re = (s: string) => new RegExp(`^${s}/?$`);
    const route = (method: string, pattern: string, handle: Route['handle']): Route => ({ method, pattern: re(pattern), handle });
    const intParam = (r: ApiRequest, name: string, dflt: number, max: number) => {
      const v = r.url.searchParams.get(name);
      const n = v === null ? dflt : Number(v);
      if (!Number.isInteger(n) || n < 0) throw new HttpError(400, 40002, `${name} must be a non-negative integer`);
      return Math.min(n, max);
    };
    return [
      route('GET', '/v3/clusters', (r) => {
        const t = this.topics(r);
        return ok({ kind: 'KafkaClusterList', metadata: { self: `${baseUrl(r, r.caller.secure)}/v3/clusters`, next: null }, data: [t.cluster()] });
      }),
      route('GET', C, (r, [c]) => ok(this.topics(r, c).cluster())),
      route('GET', `${C}/brokers`, (r, [c]) => ok(this.topics(r, c).brokers())),
      route('GET', `${C}/brokers/${S}`, (r, [c, b]) => ok(this.topics(r, c).broker(b!))),
      route('GET', `${C}/topics`, (r, [c]) => ok(this.topics(r, c).listTopics(r.caller))),
      route('POST', `${C}/topics`, async (r, [c]) => ok(await this.topics(r, c).create(r.caller, await r.json()), 201)),
      route('GET', T, (r, [c, t]) => {
        const res = this.topics(r, c);
        return ok(res.topic(res.findTopic(r.caller, t!)));
      }),
      route('DELETE', T, async (r, [c, t]) => {
        await this.topics(r, c).delete(r.caller, t!);
        return ok(null, 204);
      }),
      route('GET', `${T}/partitions`, (r, [c, t]) => ok(this.topics(r, c).partitions(r.caller, t!))),
      route('GET', `${T}/partitions/${S}`, (r, [c, t, p]) => ok(this.topics(r, c).partition(r.caller, t!, p!))),
      route('GET', `${T}/partitions/${S}/replicas`, (r, [c, t, p]) => ok(this.topics(r, c).replicas(r.caller, t!, p!))),
      route('GET', `${T}/partitions/${S}/replicas/${S}`, (r, [c, t, p, b]) => ok(this.topics(r, c).replica(r.caller, t!, p!, b!))),
      route('GET', `${T}/configs`, async (r, [c, t]) => ok(await this.topics(r, c).configs(r.caller, t!))),
      route('GET', `${T}/configs/${S}`, async (r, [c, t, n]) => ok(await this.topics(r, c).config(r.caller, t!, n!))),
      route('PUT', `${T}/configs/${S}`, async (r, [c, t, n]) => {
        await this.topics(r, c).setConfig(r.caller, t!, n!, await r.json());
        return ok(null, 204);
      }),
      route('DELETE', `${T}/configs/${S}`, async (r, [c, t, n]) => {
        await this.topics(r, c).resetConfig(r.caller, t!, n!);
        return ok(null, 204);
      }),
      route('POST', `${T}/configs:alter`, async (r, [c, t]) => {
        await this.topics(r, c).alterConfigs(r.caller, t!, await r.json());
        return ok(null, 204);
      }),
      route('POST', `${T}/records`, (r, [c, t]) => this.produce(r, c!, t!)),
      route('POST', `${T}/records:batch`, (r, [c, t]) => this.produceBatch(r, c!, t!)),
      // v2 consumer instances
      route('POST', `/consumers/${S}`, async (r, [g]) => {
        const made = this.consumers.create(r.caller, g!, await r.json());
        return ok({ instance_id: made.instance_id, base_uri: `${baseUrl(r, r.caller.secure)}/consumers/${encodeURIComponent(g!)}/instances/${encodeURIComponent(made.name)}` });
      }),
      route('DELETE', `/consumers/${S}/instances/${S}`, async (r, [g, i]) => {
        await this.consumers.delete(r.caller, g!, i!);
        return ok(null, 204);
      }),
      route('POST', `/consumers/${S}/instances/${S}/subscription`, async (r, [g, i]) => {
        await this.consumers.subscribe(r.caller, g!, i!, await r.json());
        return ok(null, 204);
      }),
      route('GET', `/consumers/${S}/instances/${S}/records`, async (r, [g, i]) => {
        const records = await this.consumers.records(r.caller, g!, i!, intParam(r, 'timeout', 1000, 5000), intParam(r, 'max_bytes', 1 << 20, 8 << 20) || 1);
        sendText(r.res, 200, REST_CONTENT_TYPE, consumedRecordsJson(records));
        return { handled: true };
      }),
      route('GET', `/consumers/${S}/instances/${S}/assignments`, (r, [g, i]) => ok(this.consumers.assignments(r.caller, g!, i!))),
      route('POST', `/consumers/${S}/instances/${S}/offsets`, async (r, [g, i]) => {
        await this.consumers.commit(r.caller, g!, i!, await r.json());
        return ok(null, 204);
      }),
      route('GET', `/consumers/${S}/instances/${S}/offsets`, async (r, [g, i]) => ok(await this.consumers.committed(r.caller, g!, i!, await r.json()))),
      route('GET', `/consumers/${S}/instances/${S}/subscription`, (r, [g, i]) => ok(this.consumers.subscription(r.caller, g!, i!))),
      route('DELETE', `/consumers/${S}/instances/${S}/subscription`, async (r, [g, i]) => {
        await this.consumers.unsubscribe(r.caller, g!, i!);
        return ok(null, 204);
      }),
      route('POST', `/consumers/${S}/instances/${S}/assignments`, async (r, [g, i]) => {
        this.consumers.assignPartitions(r.caller, g!, i!, await r.json());
        return ok(null, 204);
      }),
      route('POST', `/consumers/${S}/instances/${S}/positions`, async (r, [g, i]) => {
        this.consumers.seek(r.caller, g!, i!, await r.json());
        return ok(null, 204);
      }),
      route('POST', `/consumers/${S}/instances/${S}/positions/beginning`, async (r, [g, i]) => {
        await this.consumers.seekTo(r.caller, g!, i!, await r.json(), 'beginning');
        return ok(null, 204);
      }),
      route('POST', `/consumers/${S}/instances/${S}/positions/end`, async (r, [g, i]) => {
        await this.consumers.seekTo(r.caller, g!, i!, await r.json(), 'end');
        return ok(null, 204);
      }),
    ];
  }
}

export { V2_CONTENT_TYPE };
