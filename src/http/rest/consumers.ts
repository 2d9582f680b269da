import { randomUUID } from 'node:crypto';
import { ApiKey } from '../../../protocol/generated/apis';
import type { ConsumerGroupHeartbeatResponse } from '../../../protocol/generated/messages/ConsumerGroupHeartbeatResponse';
import type { FetchResponse } from '../../../protocol/generated/messages/FetchResponse';
import type { ListOffsetsResponse } from '../../../protocol/generated/messages/ListOffsetsResponse';
import type { OffsetCommitResponse } from '../../../protocol/generated/messages/OffsetCommitResponse';
import type { OffsetFetchResponse } from '../../../protocol/generated/messages/OffsetFetchResponse';
import type { BrokerServices } from '../../handlers/types';
import { ErrorCode } from '../../../protocol/errors';
import { AclOperation, ResourceType } from '../../security/acl/model';
import { callApi, type HttpCaller } from '../brokerCall';
import { HttpError } from '../respond';
import { fetchedRecords, partitionList, partitionsByTopic, type ConsumedRecord, type ConsumerFormat } from './consumedRecords';
import { restError } from './kafkaErrors';

interface Instance {
  group: string;
  name: string;
  principal: string;
  format: ConsumerFormat;
  earliest: boolean;
  autoCommit: boolean;
  topics: string[];
  /** topic -> partition -> next offset to read, for the partitions the group assigned this instance. */
  positions: Map<string, Map<number, number>>;
  lastUsedMs: number;
  /** KIP-848 membership: the group coordinator assigns partitions, heartbeats keep the member alive. */
  memberId: string;
  memberEpoch: number;
  /** What the coordinator assigned last; null before the first assignment. */
  assigned: Map<string, number[]> | null;
  heartbeat: NodeJS.Timeout | null;
  caller: HttpCaller;
  beating: Promise<void> | null;
  /** POST assignments: partitions chosen by the client, read without group membership (Kafka's assign()). */
  manual: boolean;
  /** What the coordinator refused the last heartbeat with (e.g. no READ on the group), answered by records and subscribe. */
  error: HttpError | null;
  /** The heartbeat error last logged and when: logged once per error and minute, not at every heartbeat. */
  warned: { code: number; atMs: number } | null;
}

const notFound = () => new HttpError(404, 40403, 'Consumer instance not found.');
const exclusive = () => new HttpError(409, 40903, 'Subscription to topics, partitions and pattern are mutually exclusive.');
const MAX_WAIT_MS = 5000;
/** Heartbeat errors that pass by themselves (the coordinator is moving or loading). */
const TRANSIENT = new Set<number>([ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.NOT_COORDINATOR, ErrorCode.REQUEST_TIMED_OUT, ErrorCode.REBALANCE_IN_PROGRESS]);

/**
 * Confluent REST v2 consumer instances: an instance subscribes to topics and
 * pulls records over HTTP. Each subscribed instance is a member of its
 * consumer group through the KIP-848 protocol (ConsumerGroupHeartbeat): the
 * broker's coordinator assigns it partitions and rebalances them among the
 * group's instances and Kafka clients of that protocol. Positions start from
 * the group's committed offsets (or auto.offset.reset); commits carry the
 * member's epoch. Everything goes through the broker's own handlers as the
 * caller (READ on the topics and the group).
 */
export class ConsumerInstances {
  private readonly instances = new Map<string, Instance>();
  /** Expires idle instances; runs only while there are instances. */
  private sweeper: NodeJS.Timeout | null = null;

  constructor(
    private readonly services: BrokerServices,
    private readonly idleTimeoutMs = 300_000,
  ) {}

  private key(group: string, name: string): string {
    return `${group}\u0000${name}`;
  }

  /**
   * Destroys instances idle longer than the timeout (Confluent's consumer.instance.timeout.ms): each leaves
   * its group, so its partitions go to the group's other members instead of to a heartbeat nobody reads.
   */
  private sweep(now: number): void {
    for (const [k, i] of this.instances) {
      if (now - i.lastUsedMs > this.idleTimeoutMs) {
        this.instances.delete(k);
        this.services.logger.info({ group: i.group, instance: i.name, idleMs: now - i.lastUsedMs }, 'REST consumer instance expired');
        void this.leave(i);
      }
    }
    if (this.instances.size === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = null;
    }
  }

  private startSweeper(): void {
    if (this.sweeper) return;
    // a quarter of the timeout: an instance lives at most 1.25 timeouts unused
    this.sweeper = setInterval(() => this.sweep(Date.now()), Math.max(10, Math.min(30_000, Math.floor(this.idleTimeoutMs / 4))));
    this.sweeper.unref();
  }

  /** Every instance leaves its group (broker shutdown). */
  async stop(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
    const all = [...this.instances.values()];
    this.instances.clear();
    await Promise.all(all.map((i) => this.leave(i)));
  }

  private async leave(i: Instance): Promise<void> {
    if (i.heartbeat) clearTimeout(i.heartbeat);
    i.heartbeat = null;
    if (i.memberEpoch <= 0) return;
    const epoch = i.memberEpoch;
    i.memberEpoch = -1;
    await this.heartbeatCall(i, epoch === 0 ? 0 : -1).catch(() => undefined);
  }

  private heartbeatCall(i: Instance, epoch: number): Promise<ConsumerGroupHeartbeatResponse> {
    const owned = i.assigned === null ? null : [...i.assigned].flatMap(([topic, partitions]) => {
      const t = this.services.metadata.topic(topic);
      return t ? [{ topicId: t.id, partitions }] : [];
    });
    return callApi<ConsumerGroupHeartbeatResponse>(this.services, i.caller, ApiKey.ConsumerGroupHeartbeat, 1, {
      groupId: i.group,
      memberId: i.memberId,
      memberEpoch: epoch,
      instanceId: null,
      rackId: null,
      rebalanceTimeoutMs: 60_000,
      subscribedTopicNames: epoch === 0 || epoch > 0 ? i.topics : null,
      subscribedTopicRegex: null,
      serverAssignor: null,
      topicPartitions: epoch === 0 ? [] : owned,
    });
  }

  /** One heartbeat: join (epoch 0) or keep alive, apply a new assignment, and schedule the next. */
  private beat(i: Instance): Promise<void> {
    if (i.beating) return i.beating;
    // cleared at the end of the beat itself, so a subscribe right after it starts a new one; a beat that ends
    // without suspending (a synchronous throw) must then not be assigned after that
    let ended = false;
    const beat = (async () => {
      let next = 3000;
      try {
        const res = await this.heartbeatCall(i, i.memberEpoch);
        if (res.errorCode === ErrorCode.UNKNOWN_MEMBER_ID || res.errorCode === ErrorCode.FENCED_MEMBER_EPOCH) {
          // The coordinator forgot us (session expired, coordinator moved): join again from scratch.
          i.memberEpoch = 0;
          i.assigned = null;
          next = 0;
        } else if (res.errorCode !== 0) {
          // Coordinator moves and loads pass by themselves; anything else (an authorization failure above all) is the
          // client's to know: records would otherwise answer an empty list forever.
          if (!TRANSIENT.has(res.errorCode)) i.error = restError(res.errorCode, res.errorMessage, `group ${i.group}`);
          const now = Date.now();
          if (i.warned?.code !== res.errorCode || now - i.warned.atMs > 60_000) {
            i.warned = { code: res.errorCode, atMs: now };
            this.services.logger.warn({ group: i.group, instance: i.name, errorCode: res.errorCode, err: res.errorMessage }, 'REST consumer heartbeat failed');
          }
        } else {
          i.error = null;
          i.warned = null;
          i.memberId = res.memberId ?? i.memberId;
          i.memberEpoch = res.memberEpoch;
          if (res.heartbeatIntervalMs > 0) next = res.heartbeatIntervalMs;
          if (res.assignment) this.assign(i, res.assignment.topicPartitions);
        }
      } catch (err) {
        this.services.logger.warn({ group: i.group, instance: i.name, err: (err as Error).message }, 'REST consumer heartbeat failed');
      } finally {
        ended = true;
        i.beating = null;
      }
      if (this.instances.get(this.key(i.group, i.name)) === i && i.memberEpoch >= 0) {
        if (i.heartbeat) clearTimeout(i.heartbeat);
        i.heartbeat = setTimeout(() => void this.beat(i), next);
        i.heartbeat.unref();
      }
    })();
    if (!ended) i.beating = beat;
    return beat;
  }

  private assign(i: Instance, parts: Array<{ topicId: Buffer; partitions: number[] }>): void {
    const next = new Map<string, number[]>();
    for (const tp of parts) {
      const t = this.services.metadata.topicById(tp.topicId);
      if (t) next.set(t.name, [...tp.partitions].sort((a, b) => a - b));
    }
    i.assigned = next;
    // Positions of partitions taken away are dropped; new ones start from the group's offsets on the next fetch.
    for (const [topic, pos] of i.positions) {
      const keep = new Set(next.get(topic) ?? []);
      for (const p of [...pos.keys()]) if (!keep.has(p)) pos.delete(p);
      if (pos.size === 0) i.positions.delete(topic);
    }
  }

  get(caller: HttpCaller, group: string, name: string): Instance {
    const now = Date.now();
    // an instance past its timeout is gone even if the sweeper has not come round yet
    if (this.instances.get(this.key(group, name)) && now - this.instances.get(this.key(group, name))!.lastUsedMs > this.idleTimeoutMs) this.sweep(now);
    const i = this.instances.get(this.key(group, name));
    // Someone else's instance is as good as absent.
    if (!i || i.principal !== caller.principal) throw notFound();
    i.lastUsedMs = now;
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
      memberId: randomUUID(),
      memberEpoch: 0,
      assigned: null,
      heartbeat: null,
      caller,
      beating: null,
      manual: false,
      error: null,
      warned: null,
    });
    this.startSweeper();
    return { instance_id: name, name };
  }

  async delete(caller: HttpCaller, group: string, name: string): Promise<void> {
    const i = this.get(caller, group, name);
    this.instances.delete(this.key(group, name));
    await this.leave(i);
  }

  /** GET assignments: the partitions the group's coordinator gave this instance. */
  assignments(caller: HttpCaller, group: string, name: string): { partitions: Array<{ topic: string; partition: number }> } {
    const i = this.get(caller, group, name);
    return { partitions: [...(i.assigned ?? [])].flatMap(([topic, parts]) => parts.map((partition) => ({ topic, partition }))) };
  }

  /** Joins the group with the new subscription; the assignment arrives with the heartbeats. */
  async subscribe(caller: HttpCaller, group: string, name: string, body: unknown): Promise<void> {
    const i = this.get(caller, group, name);
    const topics = (body as { topics?: unknown } | null)?.topics;
    if (!Array.isArray(topics) || topics.length === 0 || topics.some((t) => typeof t !== 'string')) throw new HttpError(422, 42204, 'topics must be a non-empty list of topic names (topic_pattern is not served)');
    if (i.manual) throw exclusive();
    for (const t of topics as string[]) this.mayDescribe(caller, t);
    i.topics = topics as string[];
    i.positions.clear();
    i.error = null;
    if (i.heartbeat) clearTimeout(i.heartbeat);
    // A changed subscription rides on the next heartbeat; a first one joins now.
    await this.beat(i);
    if (i.error) throw i.error;
  }

  /**
   * 403 without DESCRIBE on the topic, then 404 when it does not exist: as Kafka's Metadata, a caller who may not
   * describe a topic cannot tell whether it exists.
   */
  private mayDescribe(caller: HttpCaller, topic: string): void {
    if (this.services.authorizer && !this.services.authorizer.authorize(caller, AclOperation.DESCRIBE, ResourceType.TOPIC, topic)) {
      throw restError(ErrorCode.TOPIC_AUTHORIZATION_FAILED, null, `topic ${topic}`);
    }
    if (!this.services.metadata.topic(topic)) throw restError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, null, `topic ${topic}`);
  }

  /** Positions of partitions not yet read: the group's committed offset, else the earliest or latest offset. */
  private async initPositions(caller: HttpCaller, i: Instance): Promise<void> {
    const missing: Array<{ topic: string; partitions: number[] }> = [];
    for (const [topic, assigned] of i.assigned ?? []) {
      if (assigned.length === 0) continue;
      const have = i.positions.get(topic) ?? new Map<number, number>();
      i.positions.set(topic, have);
      const parts = assigned.filter((p) => !have.has(p));
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

  /** GET records: what the subscription has past the instance's positions, up to maxBytes, waiting up to timeoutMs for the first. */
  async records(caller: HttpCaller, group: string, name: string, timeoutMs: number, maxBytes: number): Promise<ConsumedRecord[]> {
    const i = this.get(caller, group, name);
    if (i.topics.length === 0 && !i.manual) throw new HttpError(409, 40903, 'Consumer instance is not subscribed to any topic.');
    const deadline = Date.now() + Math.min(MAX_WAIT_MS, timeoutMs);
    // Right after subscribing the coordinator may still be assigning: wait within the request's timeout.
    while ((i.assigned === null || [...i.assigned.values()].every((p) => p.length === 0)) && Date.now() < deadline) {
      if (i.error && !i.manual) throw i.error;
      await new Promise((r) => setTimeout(r, 50));
      if (i.heartbeat && i.memberEpoch >= 0 && i.beating === null) await this.beat(i);
    }
    if (i.error && !i.manual) throw i.error;
    await this.initPositions(caller, i);
    if (i.positions.size === 0) return [];
    const res = await callApi<FetchResponse>(this.services, caller, ApiKey.Fetch, 12, {
      replicaId: -1,
      maxWaitMs: Math.max(0, deadline - Date.now()),
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
    // The whole answer is built before any position moves: a record that cannot be rendered or a partition's
    // error later in the response would otherwise skip (and a commit would pass) records never delivered.
    const { records: out, moves } = fetchedRecords(res, i.positions, i.format);
    for (const m of moves) {
      const pos = i.positions.get(m.topic);
      // a partition the group took away while the fetch ran keeps no position
      if (!pos?.has(m.partition)) continue;
      if (m.next === null) pos.delete(m.partition);
      else pos.set(m.partition, m.next);
    }
    if (i.autoCommit && out.length > 0) await this.commit(caller, group, name, null);
    return out;
  }

  /** GET subscription: the topics subscribed to. */
  subscription(caller: HttpCaller, group: string, name: string): { topics: string[] } {
    return { topics: [...this.get(caller, group, name).topics] };
  }

  /** DELETE subscription: leaves the group; a later subscribe joins again. */
  async unsubscribe(caller: HttpCaller, group: string, name: string): Promise<void> {
    const i = this.get(caller, group, name);
    // a heartbeat in flight would otherwise answer after the leave and schedule the next one, rejoining the group
    await i.beating;
    await this.leave(i);
    i.topics = [];
    i.assigned = null;
    i.positions.clear();
    i.memberEpoch = 0;
    // Kafka's unsubscribe() drops a manual assign() too
    i.manual = false;
  }

  /** POST assignments: read exactly these partitions, outside the group's assignment (no membership). */
  assignPartitions(caller: HttpCaller, group: string, name: string, body: unknown): void {
    const i = this.get(caller, group, name);
    if (i.topics.length > 0) throw exclusive();
    const parts = partitionList(body);
    for (const p of parts) this.mayDescribe(caller, p.topic);
    const next = partitionsByTopic(parts);
    i.manual = next.size > 0;
    i.positions.clear();
    i.assigned = next;
  }

  /** GET offsets: the group's committed offsets (the next offset to read) of the given partitions, or of those read. */
  async committed(caller: HttpCaller, group: string, name: string, body: unknown): Promise<{ offsets: Array<{ topic: string; partition: number; offset: number; metadata: string }> }> {
    const i = this.get(caller, group, name);
    const asked = body === null || body === undefined ? [...(i.assigned ?? [])].flatMap(([topic, ps]) => ps.map((partition) => ({ topic, partition }))) : partitionList(body);
    const byTopic = partitionsByTopic(asked);
    if (byTopic.size === 0) return { offsets: [] };
    const res = await callApi<OffsetFetchResponse>(this.services, caller, ApiKey.OffsetFetch, 7, {
      groupId: group,
      topics: [...byTopic].map(([topic, partitionIndexes]) => ({ name: topic, partitionIndexes })),
      requireStable: false,
    });
    if (res.errorCode !== 0) throw restError(res.errorCode, null, `offsets of group ${group}`);
    return { offsets: res.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, offset: Number(p.committedOffset), metadata: p.metadata ?? '' }))) };
  }

  /** POST positions: the next read of each listed partition starts at its offset (Kafka's seek). */
  seek(caller: HttpCaller, group: string, name: string, body: unknown): void {
    const i = this.get(caller, group, name);
    const offsets = (body as { offsets?: unknown } | null)?.offsets;
    if (!Array.isArray(offsets) || offsets.some((o: { topic?: unknown; partition?: unknown; offset?: unknown }) => typeof o?.topic !== 'string' || !Number.isInteger(o.partition) || !Number.isInteger(o.offset) || (o.offset as number) < 0)) {
      throw new HttpError(422, 42204, 'offsets must be a list of {topic, partition, offset}');
    }
    for (const o of offsets as Array<{ topic: string; partition: number; offset: number }>) this.positionOf(i, o.topic, o.partition).set(o.partition, o.offset);
  }

  /** POST positions/beginning and positions/end: the listed partitions read from their earliest or latest offset. */
  async seekTo(caller: HttpCaller, group: string, name: string, body: unknown, where: 'beginning' | 'end'): Promise<void> {
    const i = this.get(caller, group, name);
    const byTopic = partitionsByTopic(partitionList(body));
    const res = await callApi<ListOffsetsResponse>(this.services, caller, ApiKey.ListOffsets, 7, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [...byTopic].map(([topic, ps]) => ({ name: topic, partitions: ps.map((p) => ({ partitionIndex: p, currentLeaderEpoch: -1, timestamp: where === 'beginning' ? -2n : -1n })) })),
    });
    for (const t of res.topics) {
      for (const p of t.partitions) {
        if (p.errorCode !== 0) throw restError(p.errorCode, null, `offsets of ${t.name}-${p.partitionIndex}`);
        this.positionOf(i, t.name, p.partitionIndex).set(p.partitionIndex, Number(p.offset));
      }
    }
  }

  /** The positions of a partition the instance reads (assigned or subscribed); 409 for one it does not. */
  private positionOf(i: Instance, topic: string, partition: number): Map<number, number> {
    if (!i.assigned?.get(topic)?.includes(partition)) throw new HttpError(409, 40903, `${topic}-${partition} is not assigned to this consumer instance`);
    let pos = i.positions.get(topic);
    if (!pos) i.positions.set(topic, (pos = new Map()));
    return pos;
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
      generationIdOrMemberEpoch: i.memberEpoch > 0 ? i.memberEpoch : -1,
      memberId: i.memberEpoch > 0 ? i.memberId : '',
      groupInstanceId: null,
      topics: [...byTopic].map(([name, parts]) => ({ name, partitions: parts.map((p) => ({ partitionIndex: p.partition, committedOffset: BigInt(p.offset), committedLeaderEpoch: -1, committedMetadata: null })) })),
    });
    for (const t of res.topics) for (const p of t.partitions) if (p.errorCode !== 0) throw restError(p.errorCode, null, `commit ${t.name}-${p.partitionIndex} for group ${group}`);
  }
}
