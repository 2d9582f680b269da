import type * as http from 'node:http';
import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/generated/apis';
import type { DescribeAclsResponse } from '../../protocol/generated/messages/DescribeAclsResponse';
import type { DescribeClientQuotasResponse } from '../../protocol/generated/messages/DescribeClientQuotasResponse';
import type { ListOffsetsResponse } from '../../protocol/generated/messages/ListOffsetsResponse';
import type { OffsetCommitResponse } from '../../protocol/generated/messages/OffsetCommitResponse';
import type { BrokerServices } from '../handlers/types';
import { groupLag } from '../metrics/groupLag';
import { callApi, type HttpCaller } from '../http/brokerCall';
import { readJson } from '../http/limits';
import { HttpError } from '../http/respond';
import { decodePathPart } from '../http/router';
import { isJsonMediaType, mediaType } from '../http/requestGuard';
import { restError } from '../http/rest/kafkaErrors';
import { parseProduceRecord, produceRecords } from '../http/rest/records';
import { TopicsResources } from '../http/rest/topicsApi';
import { searchMessages } from './messageSearch';
import { traceQuery } from './traceQuery';
import { AclOperation, ResourceType } from '../security/acl/model';

const RESOURCE_TYPES: Record<number, string> = { 2: 'TOPIC', 3: 'GROUP', 4: 'CLUSTER', 5: 'TRANSACTIONAL_ID', 6: 'DELEGATION_TOKEN', 7: 'USER' };
const PATTERN_TYPES: Record<number, string> = { 3: 'LITERAL', 4: 'PREFIXED' };
const OPERATIONS: Record<number, string> = { 2: 'ALL', 3: 'READ', 4: 'WRITE', 5: 'CREATE', 6: 'DELETE', 7: 'ALTER', 8: 'DESCRIBE', 9: 'CLUSTER_ACTION', 10: 'DESCRIBE_CONFIGS', 11: 'ALTER_CONFIGS', 12: 'IDEMPOTENT_WRITE' };
const PERMISSIONS: Record<number, string> = { 2: 'DENY', 3: 'ALLOW' };

export type ActionAnswer = { status: number; body: unknown };

function intOrNull(v: string | null, name: string): number | null {
  if (v === null || v === '') return null;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new HttpError(400, 40002, `${name} must be a non-negative integer`);
  return n;
}

/** An ISO-8601 time or epoch milliseconds. */
function timeOrNull(v: string | null, name: string): number | null {
  if (!v) return null;
  const ms = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(ms)) throw new HttpError(400, 40002, `${name} must be an ISO-8601 time or epoch milliseconds`);
  return ms;
}

/**
 * What the console can do besides looking: create, alter and delete topics,
 * produce a record, search a topic's messages, reset a group's offsets, and
 * read ACLs, quotas and the cluster's partition leaders. Every change runs
 * through the broker's own handlers as the logged-in principal, so the ACLs
 * decide exactly as they would for a Kafka client.
 */
export class ConsoleActions {
  constructor(
    private readonly services: BrokerServices,
    private readonly maxRequestBytes: number,
  ) {}

  private topics(): TopicsResources {
    return new TopicsResources(this.services, () => '');
  }

  private body(req: http.IncomingMessage): Promise<unknown> {
    // A JSON content type cannot be sent cross-site without a CORS preflight, which this server never grants;
    // parsed, since `text/plain; x=application/json` is a safelisted text/plain.
    if (!isJsonMediaType(mediaType(req.headers['content-type']))) throw new HttpError(415, 415, 'send application/json');
    return readJson(req, this.maxRequestBytes);
  }

  private mayRead(caller: HttpCaller, topic: string): void {
    if (!(this.services.authorizer?.authorize(caller, AclOperation.READ, ResourceType.TOPIC, topic) ?? true)) throw new HttpError(403, 40301, `not authorized to read topic ${topic}`);
  }

  /** null = not an action path. */
  async handle(method: string, path: string, url: URL, caller: HttpCaller, req: http.IncomingMessage): Promise<ActionAnswer | null> {
    let m: RegExpExecArray | null;
    if (method === 'GET' && path === '/api/cluster') return { status: 200, body: this.cluster(caller) };
    if (method === 'GET' && path === '/api/acls') return { status: 200, body: await this.acls(caller) };
    if (method === 'GET' && path === '/api/quotas') return { status: 200, body: await this.quotas(caller) };
    if (method === 'POST' && path === '/api/topics') return { status: 201, body: await this.topics().create(caller, await this.body(req)) };
    if ((m = /^\/api\/topics\/([^/]+)$/.exec(path)) && method === 'DELETE') {
      await this.topics().delete(caller, decodePathPart(m[1]!));
      return { status: 200, body: { deleted: decodePathPart(m[1]!) } };
    }
    if ((m = /^\/api\/topics\/([^/]+)\/configs$/.exec(path)) && method === 'POST') {
      const body = (await this.body(req)) as { set?: Record<string, string>; delete?: string[] } | null;
      const data = [...Object.entries(body?.set ?? {}).map(([name, value]) => ({ name, value, operation: 'SET' })), ...(body?.delete ?? []).map((name) => ({ name, operation: 'DELETE' }))];
      await this.topics().alterConfigs(caller, decodePathPart(m[1]!), { data });
      return { status: 200, body: { altered: data.length } };
    }
    if ((m = /^\/api\/topics\/([^/]+)\/produce$/.exec(path)) && method === 'POST') return { status: 200, body: await this.produce(caller, decodePathPart(m[1]!), await this.body(req)) };
    if ((m = /^\/api\/topics\/([^/]+)\/search$/.exec(path)) && method === 'GET') {
      const topic = decodePathPart(m[1]!);
      this.mayRead(caller, topic);
      const fromMs = timeOrNull(url.searchParams.get('from'), 'from');
      const res = await searchMessages(this.services, topic, {
        partition: intOrNull(url.searchParams.get('partition'), 'partition'),
        offset: intOrNull(url.searchParams.get('offset'), 'offset'),
        fromMs,
        toMs: timeOrNull(url.searchParams.get('to'), 'to'),
        key: url.searchParams.get('key') || null,
        text: url.searchParams.get('text') || null,
        limit: Math.min(500, intOrNull(url.searchParams.get('limit'), 'limit') ?? 50) || 1,
      });
      if (!res) throw new HttpError(404, 404, 'no such topic');
      return { status: 200, body: res };
    }
    if ((m = /^\/api\/topics\/([^/]+)\/trace$/.exec(path)) && method === 'GET') {
      const topic = decodePathPart(m[1]!);
      this.mayRead(caller, topic);
      const answer = await traceQuery(this.services, topic, url);
      // Groups and their committed offsets are shown only for the groups the caller may describe (as DescribeGroups
      // would), in the group list and in the timeline; events naming records of another topic (dead-letter copies)
      // only to callers who may read that topic.
      const authorizer = this.services.authorizer;
      if (authorizer) {
        const mayDescribe = (group: string): boolean => authorizer.authorize(caller, AclOperation.DESCRIBE, ResourceType.GROUP, group);
        const mayRead = (name: string): boolean => authorizer.authorize(caller, AclOperation.READ, ResourceType.TOPIC, name);
        for (const t of answer.traces) {
          t.groups = t.groups.filter((g) => mayDescribe(g.group));
          t.timeline = t.timeline.filter((e) => (e.group === undefined || mayDescribe(e.group)) && (e.topic === undefined || mayRead(e.topic)));
        }
      }
      return { status: 200, body: answer };
    }
    if ((m = /^\/api\/groups\/([^/]+)\/reset$/.exec(path)) && method === 'POST') return { status: 200, body: await this.reset(caller, decodePathPart(m[1]!), await this.body(req)) };
    return null;
  }

  /** Brokers, and the partitions of the topics the caller may describe (as Metadata lists them). */
  private cluster(caller: HttpCaller): unknown {
    const md = this.services.metadata;
    const authorizer = this.services.authorizer;
    return {
      clusterId: md.clusterId,
      controllerId: md.controllerId,
      brokers: md.brokers().map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack ?? null })),
      partitions: md
        .topics()
        .filter((t) => authorizer?.authorize(caller, AclOperation.DESCRIBE, ResourceType.TOPIC, t.name) ?? true)
        .sort((a, b) => a.name.localeCompare(b.name))
        .flatMap((t) =>
          Array.from({ length: t.partitions }, (_, p) => {
            const st = md.partitionState(t.name, p);
            return { topic: t.name, partition: p, leader: st?.leader ?? -1, replicas: st?.replicas ?? [], isr: st?.isr ?? [] };
          }),
        ),
    };
  }

  private async acls(caller: HttpCaller): Promise<unknown> {
    const res = await callApi<DescribeAclsResponse>(this.services, caller, ApiKey.DescribeAcls, 3, { resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 });
    // No authorizer configured is not an error for a viewer: there are simply no ACLs.
    if (res.errorCode === ErrorCode.SECURITY_DISABLED) return { enabled: false, acls: [] };
    if (res.errorCode !== 0) throw restError(res.errorCode, res.errorMessage, 'describe ACLs');
    return {
      enabled: true,
      acls: res.resources.flatMap((r) =>
        r.acls.map((a) => ({ resourceType: RESOURCE_TYPES[r.resourceType] ?? String(r.resourceType), resourceName: r.resourceName, patternType: PATTERN_TYPES[r.patternType] ?? String(r.patternType), principal: a.principal, host: a.host, operation: OPERATIONS[a.operation] ?? String(a.operation), permission: PERMISSIONS[a.permissionType] ?? String(a.permissionType) })),
      ),
    };
  }

  private async quotas(caller: HttpCaller): Promise<unknown> {
    const res = await callApi<DescribeClientQuotasResponse>(this.services, caller, ApiKey.DescribeClientQuotas, 1, { components: [], strict: false });
    if (res.errorCode !== 0) throw restError(res.errorCode, res.errorMessage, 'describe quotas');
    return (res.entries ?? []).map((e) => ({ entity: e.entity.map((x) => `${x.entityType}=${x.entityName ?? '<default>'}`).join(', '), values: Object.fromEntries(e.values.map((v) => [v.key, v.value])) }));
  }

  /** {partition?, key?, value?, headers?: {name: value}} as text; one record, acks=all. */
  private async produce(caller: HttpCaller, topic: string, body: unknown): Promise<unknown> {
    const b = (body ?? {}) as { partition?: unknown; key?: unknown; value?: unknown; headers?: unknown };
    const str = (v: unknown) => (v === undefined || v === null || v === '' ? undefined : { type: 'STRING', data: String(v) });
    const headers = b.headers && typeof b.headers === 'object' ? Object.entries(b.headers as Record<string, unknown>).map(([name, v]) => ({ name, value: Buffer.from(String(v)).toString('base64') })) : [];
    const record = parseProduceRecord({ partition_id: b.partition === '' || b.partition === undefined ? null : b.partition, key: str(b.key), value: str(b.value), headers });
    const [o] = await produceRecords(this.services, caller, topic, [record]);
    if (!o!.ok) throw o!.error;
    return { partition: o!.partition, offset: o!.offset };
  }

  /**
   * The rules of `brook groups reset-offsets`: one target (earliest, latest,
   * offset clamped into the log, or the first offset at a time), only while
   * the group has no active members; the commit is the caller's (READ on the group).
   */
  private async reset(caller: HttpCaller, group: string, body: unknown): Promise<unknown> {
    const b = (body ?? {}) as { topic?: unknown; to?: unknown; offset?: unknown; datetime?: unknown };
    if (typeof b.topic !== 'string') throw new HttpError(400, 40002, 'topic is required');
    // Checked before the group's state is looked at: a caller who may not commit for the group learns nothing of it.
    if (!(this.services.authorizer?.authorize(caller, AclOperation.READ, ResourceType.GROUP, group) ?? true)) throw restError(ErrorCode.GROUP_AUTHORIZATION_FAILED, null, `group ${group}`);
    const info = this.topics().findTopic(caller, b.topic);
    const to = String(b.to ?? '');
    if (!['earliest', 'latest', 'offset', 'datetime'].includes(to)) throw new HttpError(400, 40002, 'to must be earliest, latest, offset or datetime');
    const state = groupLag(this.services).find((g) => g.groupId === group)?.state ?? 'Empty';
    if (state !== 'Empty' && state !== 'Dead') throw new HttpError(409, 40901, `consumer group "${group}" is ${state}; offsets can only be reset while it has no running instances, so stop its consumers first`);
    let ms = 0;
    if (to === 'datetime') {
      ms = typeof b.datetime === 'number' ? b.datetime : Date.parse(String(b.datetime));
      if (!Number.isFinite(ms)) throw new HttpError(400, 40002, 'datetime must be ISO-8601 or epoch milliseconds');
    }
    const wanted = to === 'offset' ? Number(b.offset) : 0;
    if (to === 'offset' && (!Number.isInteger(wanted) || wanted < 0)) throw new HttpError(400, 40002, 'offset must be a non-negative integer');
    const parts = Array.from({ length: info.partitions }, (_, p) => p);
    const list = async (ts: bigint) => {
      const res = await callApi<ListOffsetsResponse>(this.services, caller, ApiKey.ListOffsets, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: info.name, partitions: parts.map((p) => ({ partitionIndex: p, currentLeaderEpoch: -1, timestamp: ts })) }] });
      const out = new Map<number, number>();
      for (const p of res.topics[0]?.partitions ?? []) {
        if (p.errorCode !== 0) throw restError(p.errorCode, null, `offsets of ${info.name}-${p.partitionIndex}`);
        out.set(p.partitionIndex, Number(p.offset));
      }
      return out;
    };
    const low = await list(-2n);
    const high = await list(-1n);
    const byTime = to === 'datetime' ? await list(BigInt(ms)) : null;
    const targets = parts.map((p) => {
      const lo = low.get(p) ?? 0;
      const hi = high.get(p) ?? 0;
      let target = hi;
      if (to === 'earliest') target = lo;
      else if (to === 'offset') target = Math.min(hi, Math.max(lo, wanted));
      else if (to === 'datetime') target = (byTime!.get(p) ?? -1) >= 0 ? byTime!.get(p)! : hi;
      return { partition: p, offset: target };
    });
    const res = await callApi<OffsetCommitResponse>(this.services, caller, ApiKey.OffsetCommit, 8, {
      groupId: group,
      generationIdOrMemberEpoch: -1,
      memberId: '',
      groupInstanceId: null,
      topics: [{ name: info.name, partitions: targets.map((t) => ({ partitionIndex: t.partition, committedOffset: BigInt(t.offset), committedLeaderEpoch: -1, committedMetadata: null })) }],
    });
    for (const t of res.topics) for (const p of t.partitions) if (p.errorCode !== 0) throw restError(p.errorCode, null, `commit ${t.name}-${p.partitionIndex} for group ${group}`);
    return { group, topic: info.name, partitions: targets };
  }
}
