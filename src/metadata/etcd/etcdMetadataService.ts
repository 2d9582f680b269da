import { randomBytes } from 'node:crypto';
import { Etcd3 } from 'etcd3';
import { ErrorCode } from '../../../protocol/errors';
import type { Logger } from '../../log';
import { assignReplicas, manualAssignmentProblem, startIndexFor } from '../controller/assignment';
import { electOnRequest, initialPartitionState, isrChangeProblem, type ElectionType } from '../controller/election';
import { newTopicNameProblem } from '../topicName';
import {
  MetadataError,
  type BrokerIdentity,
  type CreateTopicOptions,
  type ElectionResult,
  type ReassignmentRequest,
  type ReassignmentResult,
  type MetadataListener,
  type MetadataService,
  type PartitionState,
  type SessionListener,
  type TopicInfo,
} from '../types';
import { BrokerRegistration } from './brokerRegistration';
import type { ClusterConfig } from './clusterConfig';
import { EtcdController } from './etcdController';
import { encodePartition, encodeTopic, KeyLayout } from './layout';
import type { MetadataCache } from './metadataCache';
import { openSecurityStores, type ClusterSecurityStores } from './securityStores';
import { WatchedCache } from './watchedCache';
import { ensureTopicOnce } from '../changeListeners';
import { alterReassignments } from './reassignments';
import { leaveIsrOfLost } from './partitionWrites';
import { EtcdDocument } from './etcdDocument';
import { EMPTY_BROKER_CONFIGS, type BrokerConfigStore, type StoredBrokerConfigs } from '../../config/dynamic/store';

export interface EtcdMetadataOptions {
  cluster: ClusterConfig;
  self: BrokerIdentity;
  /** Fixed cluster id (config); otherwise the first broker creates one. */
  clusterId?: string | null;
  defaultPartitions: number;
  defaultReplicationFactor: number;
  logger: Logger;
}

/** etcd's limit on operations in one transaction is 128 by default. */
const MAX_TXN_OPS = 100;
/** Attempts of a compare-and-swap write before giving up on a hot key. */
const CAS_ATTEMPTS = 20;

function newTopicId(): Buffer {
  for (;;) {
    const id = randomBytes(16);
    if (!id.every((b) => b === 0)) return id;
  }
}

/**
 * Cluster metadata kept in etcd. Every broker holds a cache fed by one watch
 * on the cluster's keys; writes are compare-and-swap transactions on mod
 * revisions, so brokers changing the same topic concurrently cannot lose each
 * other's changes. A write resolves once this broker's cache has applied it and
 * its listeners have settled, which is what the local backend promises too.
 */
export class EtcdMetadataService implements MetadataService {
  private readonly client: Etcd3;
  private keys!: KeyLayout;
  private cache!: MetadataCache;
  private sync: WatchedCache | null = null;
  private _clusterId = '';
  private selfIdentity: BrokerIdentity;
  private readonly creating = new Map<string, Promise<TopicInfo>>();
  private registration: BrokerRegistration | null = null;
  private closed = false;
  private controller: EtcdController | null = null;
  private security: Promise<ClusterSecurityStores> | null = null;
  private brokerConfigs: Promise<EtcdDocument<StoredBrokerConfigs>> | null = null;
  private readonly logger: Logger;

  private constructor(private readonly opts: EtcdMetadataOptions) {
    this.selfIdentity = opts.self;
    this.logger = opts.logger;
    this.client = new Etcd3({ hosts: opts.cluster.endpoints, dialTimeout: 5000 });
  }

  /**
   * Connects, finds or creates the cluster id, loads the cache and starts the
   * watch. The broker registers (and may become controller) in setSelf, once
   * its address is known.
   */
  static async open(opts: EtcdMetadataOptions): Promise<EtcdMetadataService> {
    const svc = new EtcdMetadataService(opts);
    try {
      await svc.start();
    } catch (err) {
      await svc.close();
      throw err;
    }
    return svc;
  }

  private async start(): Promise<void> {
    this._clusterId = await this.establishClusterId();
    this.keys = new KeyLayout(`${this.opts.cluster.prefix}/${this._clusterId}/`);
    this.sync = new WatchedCache(this.client, this.keys, this.logger);
    this.cache = this.sync.cache;
    await this.sync.start();
    this.registration = new BrokerRegistration(this.client, this.keys, this.sync, this.opts.cluster.sessionTimeoutMs, this.logger, () => this.controller?.kick());
    await this.registration.waitForStale(this.selfIdentity.nodeId);
  }

  private async establishClusterId(): Promise<string> {
    const key = KeyLayout.clusterIdKey(this.opts.cluster.prefix);
    const wanted = this.opts.clusterId ?? randomBytes(16).toString('base64url');
    await this.client.if(key, 'Create', '==', 0).then(this.client.put(key).value(wanted)).commit();
    const actual = await this.client.get(key).string();
    if (actual === null) throw new Error(`etcd key ${key} vanished right after it was written`);
    if (this.opts.clusterId && actual !== this.opts.clusterId) {
      throw new Error(`etcd prefix ${this.opts.cluster.prefix} belongs to cluster ${actual}, configured cluster.id is ${this.opts.clusterId}`);
    }
    return actual;
  }

  // ---- identity, registration, controller ---------------------------------

  get clusterId(): string {
    return this._clusterId;
  }

  /**
   * What clients are told: the elected controller, or this broker while none
   * is known (as KRaft tells clients any live broker: admin changes are
   * accepted by every broker here, and clients such as kafkajs give up on -1).
   */
  get controllerId(): number {
    return this.cache.controllerId !== -1 ? this.cache.controllerId : this.selfIdentity.nodeId;
  }

  /** The broker holding the controller key, -1 while none does. */
  get electedControllerId(): number {
    return this.cache.controllerId;
  }

  self(): BrokerIdentity {
    return this.selfIdentity;
  }

  brokers(): BrokerIdentity[] {
    return [...this.cache.brokers.values()].sort((a, b) => a.nodeId - b.nodeId);
  }

  /** Registers this broker under its lease (or updates its address), then runs for controller. */
  async setSelf(identity: BrokerIdentity): Promise<void> {
    this.selfIdentity = identity;
    await this.registration!.register(identity);
    this.controller ??= new EtcdController(this, this.opts.cluster, this.logger.child({ component: 'controller' }));
    this.controller.start();
  }

  /** The lease id while registered, for keys that must vanish with this broker (the controller key). */
  currentLeaseId(): Promise<string | null> {
    return this.registration?.currentLeaseId() ?? Promise.resolve(null);
  }

  /** For the controller: the etcd client and layout, the cache, and a way to wait for its own writes. */
  get internals(): { client: Etcd3; keys: KeyLayout; cache: MetadataCache; caughtUp: (revision: string) => Promise<void>; waitFor: (done: () => boolean) => Promise<void> } {
    return { client: this.client, keys: this.keys, cache: this.cache, caughtUp: (r) => this.sync!.caughtUp(r), waitFor: (d) => this.sync!.waitFor(d) };
  }

  liveBrokerIds(): Set<number> {
    return new Set(this.cache.brokers.keys());
  }

  // ---- reads ---------------------------------------------------------------

  topic(name: string): TopicInfo | undefined {
    return this.cache.topics.get(name);
  }

  topicById(id: Buffer): TopicInfo | undefined {
    return this.cache.topicsById.get(id.toString('hex'));
  }

  topics(): TopicInfo[] {
    return [...this.cache.topics.values()];
  }

  partitionState(topic: string, partition: number): PartitionState | undefined {
    const t = this.cache.topics.get(topic);
    if (!t || !Number.isInteger(partition) || partition < 0 || partition >= t.partitions) return undefined;
    return this.cache.partitions.get(topic)?.[partition];
  }

  // ---- writes --------------------------------------------------------------

  /** Brokers a new partition may be placed on: the live ones, plus this one while it has not registered yet. */
  private placementCandidates(): Array<{ nodeId: number; rack: string | null }> {
    const list = this.brokers().map((b) => ({ nodeId: b.nodeId, rack: b.rack }));
    if (!this.cache.brokers.has(this.selfIdentity.nodeId)) list.push({ nodeId: this.selfIdentity.nodeId, rack: this.selfIdentity.rack });
    return list;
  }

  private assignmentFor(name: string, opts: CreateTopicOptions): number[][] {
    const candidates = this.placementCandidates();
    if (opts.assignment) {
      const problem = manualAssignmentProblem(opts.assignment, new Set(candidates.map((b) => b.nodeId)));
      if (problem) throw new MetadataError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, problem);
      return opts.assignment.map((r) => [...r]);
    }
    const partitions = opts.partitions ?? this.opts.defaultPartitions;
    if (!Number.isInteger(partitions) || partitions < 1) {
      throw new MetadataError(ErrorCode.INVALID_PARTITIONS, `partition count ${partitions} must be at least 1`);
    }
    const rf =
      opts.replicationFactor ??
      (opts.internal ? this.opts.cluster.internalReplicationFactor : this.opts.defaultReplicationFactor); // internal: never capped (too few live: refused)
    return assignReplicas(candidates, partitions, rf, startIndexFor(name, candidates.length));
  }

  /** Commits puts and deletes as one transaction, if the guarded key is still at the expected revision. */
  private async writeTopicChange(
    guard: { key: string; target: 'Create' | 'Mod'; revision: string | number },
    ops: Array<{ put: string; value: string } | { deletePrefix: string } | { delete: string }>,
  ): Promise<{ ok: boolean; revision: string }> {
    const toOp = (o: (typeof ops)[number]) =>
      'put' in o ? this.client.put(o.put).value(o.value) : 'deletePrefix' in o ? this.client.delete().prefix(o.deletePrefix) : this.client.delete().key(o.delete);
    if (ops.length > MAX_TXN_OPS) {
      throw new MetadataError(ErrorCode.INVALID_PARTITIONS, `a change of ${ops.length} keys exceeds what one etcd transaction may hold (${MAX_TXN_OPS})`);
    }
    const res = await this.client.if(guard.key, guard.target, '==', guard.revision).then(...ops.map(toOp)).commit();
    return { ok: res.succeeded, revision: res.header.revision };
  }

  createTopic(name: string, opts: CreateTopicOptions = {}): Promise<TopicInfo> {
    return this.guarded(async () => {
      if (this.cache.topics.has(name)) throw new MetadataError(ErrorCode.TOPIC_ALREADY_EXISTS, `topic ${name} already exists`);
      const problem = newTopicNameProblem(name, this.cache.topics.keys());
      if (problem) throw new MetadataError(ErrorCode.INVALID_TOPIC_EXCEPTION, problem);
      const assignment = this.assignmentFor(name, opts);
      const live = new Set(this.placementCandidates().map((b) => b.nodeId));
      const topic: TopicInfo = { name, id: newTopicId(), partitions: assignment.length, configs: { ...(opts.configs ?? {}) }, internal: opts.internal ?? false };
      const ops = [
        { put: this.keys.topic(name), value: encodeTopic(topic) },
        ...assignment.map((replicas, p) => ({ put: this.keys.partition(name, p), value: encodePartition(initialPartitionState(name, p, replicas, live)) })),
      ];
      const key = this.keys.topic(name);
      const { ok, revision } = await this.writeTopicChange({ key, target: 'Create', revision: 0 }, ops);
      if (ok) await this.sync!.caughtUp(revision);
      else await this.sync!.waitFor(() => this.cache.topics.has(name));
      if (!ok) throw new MetadataError(ErrorCode.TOPIC_ALREADY_EXISTS, `topic ${name} already exists`);
      return this.cache.topics.get(name) ?? topic;
    });
  }

  ensureTopic(name: string, opts: CreateTopicOptions = {}): Promise<TopicInfo> {
    return ensureTopicOnce(this.creating, name, opts, (n) => this.cache.topics.get(n), (n, o) => this.createTopic(n, o));
  }

  /**
   * Retries a compare-and-swap change of one topic until it applies against
   * the current record; `change` sees the topic as this broker knows it and
   * returns the writes, or throws a MetadataError.
   */
  private async casTopic(
    name: string,
    change: (topic: TopicInfo) => Array<{ put: string; value: string } | { deletePrefix: string } | { delete: string }>,
  ): Promise<void> {
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const topic = this.cache.topics.get(name);
      const key = this.keys.topic(name);
      const modRev = this.cache.modRevisions.get(key);
      if (!topic || modRev === undefined) throw new MetadataError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `unknown topic ${name}`);
      const { ok, revision } = await this.writeTopicChange({ key, target: 'Mod', revision: modRev }, change(topic));
      if (ok) return this.sync!.caughtUp(revision);
      await this.sync!.waitFor(() => this.cache.modRevisions.get(key) !== modRev);
    }
    throw new MetadataError(ErrorCode.REQUEST_TIMED_OUT, `topic ${name} kept changing under ${CAS_ATTEMPTS} attempts to update it`);
  }

  deleteTopic(name: string): Promise<TopicInfo> {
    return this.guarded(async () => {
      let deleted: TopicInfo | null = null;
      await this.casTopic(name, (topic) => {
        deleted = topic;
        return [{ delete: this.keys.topic(name) }, { deletePrefix: this.keys.partitionsOf(name) }];
      });
      return deleted!;
    });
  }

  addPartitions(name: string, totalCount: number, assignment?: number[][]): Promise<TopicInfo> {
    return this.guarded(async () => {
      await this.casTopic(name, (topic) => {
        const previous = topic.partitions;
        if (!Number.isInteger(totalCount) || totalCount <= previous) {
          throw new MetadataError(ErrorCode.INVALID_PARTITIONS, `topic ${name} has ${previous} partitions; new count must be larger, got ${totalCount}`);
        }
        const candidates = this.placementCandidates();
        const live = new Set(candidates.map((b) => b.nodeId));
        let added: number[][];
        if (assignment) {
          const problem = manualAssignmentProblem(assignment, live);
          if (problem) throw new MetadataError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, problem);
          if (assignment.length !== totalCount - previous) {
            throw new MetadataError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `${assignment.length} assignments given for ${totalCount - previous} new partitions`);
          }
          added = assignment;
        } else {
          const rf = this.cache.partitions.get(name)?.[0]?.replicas.length ?? 1;
          // the topic's replication factor, or INVALID_REPLICATION_FACTOR as CreateTopics answers: new partitions
          // placed on fewer brokers would keep the smaller factor for good
          added = assignReplicas(candidates, totalCount - previous, rf, startIndexFor(name, candidates.length), previous);
        }
        return [
          { put: this.keys.topic(name), value: encodeTopic({ ...topic, partitions: totalCount }) },
          ...added.map((replicas, i) => ({ put: this.keys.partition(name, previous + i), value: encodePartition(initialPartitionState(name, previous + i, replicas, live)) })),
        ];
      });
      return this.cache.topics.get(name)!;
    });
  }

  alterTopicConfigs(name: string, changes: Record<string, string | null>): Promise<TopicInfo> {
    return this.guarded(async () => {
      await this.casTopic(name, (topic) => {
        const after = { ...topic.configs };
        for (const [k, v] of Object.entries(changes)) {
          if (v === null) delete after[k];
          else after[k] = v;
        }
        return [{ put: this.keys.topic(name), value: encodeTopic({ ...topic, configs: after }) }];
      });
      return this.cache.topics.get(name)!;
    });
  }

  alterPartitionIsr(topic: string, partition: number, expect: { leaderEpoch: number; partitionEpoch: number }, isr: number[]): Promise<PartitionState> {
    return this.guarded(async () => {
      await this.knowPartition(topic, partition);
      for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
        const current = this.partitionState(topic, partition);
        const key = this.keys.partition(topic, partition);
        const modRev = this.cache.modRevisions.get(key);
        if (!current || modRev === undefined) throw new MetadataError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `unknown partition ${topic}-${partition}`);
        const problem = isrChangeProblem(current, expect, isr, this.liveBrokerIds());
        if (problem === 'fenced') throw new MetadataError(ErrorCode.FENCED_LEADER_EPOCH, `leader epoch ${expect.leaderEpoch} is older than ${current.leaderEpoch}`);
        if (problem === 'version') {
          throw new MetadataError(ErrorCode.INVALID_UPDATE_VERSION, `expected epochs ${expect.leaderEpoch}/${expect.partitionEpoch}, partition is at ${current.leaderEpoch}/${current.partitionEpoch}`);
        }
        if (problem === 'ineligible') throw new MetadataError(ErrorCode.INELIGIBLE_REPLICA, `ISR ${isr.join(',')} names a replica that is not alive or not assigned`);
        if (problem === 'invalid') throw new MetadataError(ErrorCode.INVALID_REQUEST, `ISR ${isr.join(',')} must be distinct replicas including the leader ${current.leader}`);
        const next: PartitionState = { ...current, isr: [...isr], partitionEpoch: current.partitionEpoch + 1 };
        const res = await this.client.if(key, 'Mod', '==', modRev).then(this.client.put(key).value(encodePartition(next))).commit();
        if (res.succeeded) {
          await this.sync!.caughtUp(res.header.revision);
          return this.partitionState(topic, partition) ?? next;
        }
        await this.sync!.waitFor(() => this.cache.modRevisions.get(key) !== modRev);
        // Someone (the controller) changed the record meanwhile: re-check against what it is now.
      }
      throw new MetadataError(ErrorCode.INVALID_UPDATE_VERSION, `partition ${topic}-${partition} kept changing`);
    });
  }

  electLeaders(partitions: ReadonlyArray<{ topic: string; partition: number }>, type: ElectionType): Promise<ElectionResult[]> {
    return this.guarded(() => Promise.all(partitions.map(({ topic, partition }) => this.electOne(topic, partition, type))));
  }

  private async electOne(topic: string, partition: number, type: ElectionType): Promise<ElectionResult> {
    const result = (errorCode: number, message: string | null = null): ElectionResult => ({ topic, partition, errorCode, message });
    await this.knowPartition(topic, partition);
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const current = this.partitionState(topic, partition);
      const key = this.keys.partition(topic, partition);
      const modRev = this.cache.modRevisions.get(key);
      if (!current || modRev === undefined) return result(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `unknown partition ${topic}-${partition}`);
      const decision = electOnRequest(current, this.liveBrokerIds(), type);
      if ('refused' in decision) {
        if (decision.refused === 'not-needed') return result(ErrorCode.ELECTION_NOT_NEEDED, `broker ${current.leader} already leads`);
        if (decision.refused === 'preferred-unavailable') return result(ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, `replica ${current.replicas[0]} is not alive or not in sync`);
        return result(ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE, 'no replica is alive');
      }
      const res = await this.client.if(key, 'Mod', '==', modRev).then(this.client.put(key).value(encodePartition(decision.state))).commit();
      if (res.succeeded) {
        await this.sync!.caughtUp(res.header.revision);
        return result(ErrorCode.NONE);
      }
      await this.sync!.waitFor(() => this.cache.modRevisions.get(key) !== modRev);
    }
    return result(ErrorCode.REQUEST_TIMED_OUT, `partition ${topic}-${partition} kept changing`);
  }

  /** Starts, replaces or cancels reassignments (etcd/reassignments.ts); the controller completes them. */
  alterPartitionReassignments(requests: readonly ReassignmentRequest[], opts: { allowReplicationFactorChange: boolean }): Promise<ReassignmentResult[]> {
    return this.guarded(() => alterReassignments(this.internals, requests, this.liveBrokerIds(), opts));
  }

  /** At start, before registering: this broker leaves the ISRs of the partitions it has no copy of (etcd/partitionWrites.ts). */
  leaveIsrOfLost(partitions: ReadonlyArray<{ topic: string; partition: number }>): Promise<void> {
    return this.guarded(() => leaveIsrOfLost(this.internals, this.selfIdentity.nodeId, partitions));
  }

  /**
   * A partition this broker's watch has not delivered yet may still exist: a
   * change on another broker is acknowledged there before this broker's watch
   * hears of it. Before calling it unknown, read it from etcd (linearizable)
   * and wait for the watch to deliver that version, so the answer does not
   * depend on timing.
   */
  private async knowPartition(topic: string, partition: number): Promise<void> {
    if (this.partitionState(topic, partition) && this.cache.modRevisions.has(this.keys.partition(topic, partition))) return;
    // the key's own mod revision, not the read's header revision: that may belong to a key outside this
    // cluster's prefix, which the watch never delivers
    const res = await this.client.get(this.keys.partition(topic, partition)).exec();
    const kv = res.kvs[0];
    if (kv) await this.sync!.caughtUp(kv.mod_revision);
  }

  /** Bumps the cluster's producer id counter with compare-and-swap (Kafka's AllocateProducerIds). */
  reserveProducerIds(count: number): Promise<bigint> {
    return this.guarded(async () => {
      const key = this.keys.producerIdBlock;
      for (let attempt = 0; attempt < CAS_ATTEMPTS * 5; attempt++) {
        const res = await this.client.get(key).exec();
        const kv = res.kvs[0];
        const start = kv ? BigInt(kv.value.toString()) : 0n;
        const end = (start + BigInt(count)).toString();
        const txn = kv ? this.client.if(key, 'Mod', '==', kv.mod_revision) : this.client.if(key, 'Create', '==', 0);
        const done = await txn.then(this.client.put(key).value(end)).commit();
        if (done.succeeded) return start;
      }
      throw new MetadataError(ErrorCode.REQUEST_TIMED_OUT, 'producer id block kept being taken by other brokers');
    });
  }

  /** ACLs, SCRAM credentials and quotas shared by every broker of the cluster; closed with this service. */
  securityStores(): Promise<ClusterSecurityStores> {
    this.security ??= openSecurityStores(this.client, this.keys.root, this.logger.child({ component: 'security-store' }));
    return this.security;
  }

  /** Dynamic broker configs of the whole cluster in one etcd key (`configs/brokers`); closed with this service. */
  brokerConfigStore(): Promise<BrokerConfigStore> {
    this.brokerConfigs ??= EtcdDocument.open<StoredBrokerConfigs>(this.client, `${this.keys.root}configs/brokers`, EMPTY_BROKER_CONFIGS, this.logger.child({ component: 'broker-configs' }));
    return this.brokerConfigs;
  }

  /** etcd being unreachable is not a Kafka-level refusal; it maps to a retriable error at the edge. */
  private async guarded<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw new MetadataError(ErrorCode.BROKER_NOT_AVAILABLE, 'metadata service is closed');
    try {
      return await fn();
    } catch (err) {
      if (err instanceof MetadataError) throw err;
      this.logger.warn({ err: (err as Error).message }, 'etcd request failed');
      throw new MetadataError(ErrorCode.REQUEST_TIMED_OUT, `etcd unavailable: ${(err as Error).message}`);
    }
  }

  onSessionChange(listener: SessionListener): () => void {
    if (!this.registration) throw new Error('metadata service is not open');
    return this.registration.onSessionChange(listener);
  }

  /** True while this broker cannot trust its registration (etcd unreachable too long, or re-syncing). */
  get sessionLost(): boolean {
    return this.registration?.sessionLost ?? false;
  }

  onChange(listener: MetadataListener): () => void {
    if (!this.sync) throw new Error('metadata service is not open');
    return this.sync.onChange(listener);
  }

  async leaveCluster(): Promise<void> {
    if (this.closed || !this.registration || !this.sync) return;
    const self = this.selfIdentity.nodeId;
    this.controller?.stop();
    // Revoking the lease removes this broker's entry (and the controller key if it held it) at once.
    await this.registration.close();
    const othersAlive = () => [...this.cache.brokers.keys()].some((id) => id !== self);
    const leadsAny = () => [...this.cache.partitions.values()].some((states) => states.some((s) => s?.leader === self));
    const started = Date.now();
    await this.sync.waitFor(() => !othersAlive() || !leadsAny(), this.opts.cluster.sessionTimeoutMs);
    this.logger.info({ ms: Date.now() - started, stillLeading: othersAlive() && leadsAny() }, 'left the cluster: leadership moved to the other replicas');
  }

  /** Stops the controller, revokes the lease (so other brokers see this one leave at once) and disconnects. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.controller?.stop();
    // side by side: each waits at most SHUTDOWN_CALL_MS for an etcd that stopped answering, not one after another
    await Promise.all([
      this.sync?.close(),
      this.security?.then((st) => st.close()).catch(() => undefined),
      this.brokerConfigs?.then((d) => d.close()).catch(() => undefined),
      this.registration?.close(),
    ]);
    this.client.close();
  }
}
