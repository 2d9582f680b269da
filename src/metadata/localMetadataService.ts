import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ErrorCode } from '../../protocol/errors';
import { writeFileAtomic } from './atomicFile';
import { newTopicNameProblem } from './topicName';
import {
  MetadataError,
  type BrokerIdentity,
  type CreateTopicOptions,
  type MetadataListener,
  type MetadataService,
  type PartitionState,
  type TopicInfo,
} from './types';
import { ChangeListeners, ensureTopicOnce } from './changeListeners';

/** On-disk shape; ids are hex so the file stays readable. */
interface StoredState {
  version: 1;
  clusterId: string;
  topics: Array<{ name: string; id: string; partitions: number; configs: Record<string, string>; internal: boolean }>;
}

export const METADATA_FILE = 'brook-metadata.json';

export interface LocalMetadataOptions {
  dataDir: string;
  self: BrokerIdentity;
  defaultPartitions: number;
  /** Fixed cluster id (config); otherwise generated once and persisted. */
  clusterId?: string | null;
}

/** Kafka cluster ids are 16 random bytes in URL-safe base64 without padding. */
function newClusterId(): string {
  return randomBytes(16).toString('base64url');
}

function newTopicId(): Buffer {
  for (;;) {
    const id = randomBytes(16);
    if (!id.every((b) => b === 0)) return id;
  }
}

/**
 * Single-node metadata kept in one JSON file under the data dir. Every change
 * is written atomically before it becomes visible, and changes are serialized
 * so two writers never interleave.
 */
export class LocalMetadataService implements MetadataService {
  private readonly byName = new Map<string, TopicInfo>();
  private readonly byId = new Map<string, TopicInfo>();
  private readonly listeners = new ChangeListeners();
  private readonly creating = new Map<string, Promise<TopicInfo>>();
  private chain: Promise<unknown> = Promise.resolve();
  private _clusterId = '';
  private selfIdentity: BrokerIdentity;

  private constructor(private readonly opts: LocalMetadataOptions) {
    this.selfIdentity = opts.self;
  }

  static async open(opts: LocalMetadataOptions): Promise<LocalMetadataService> {
    const svc = new LocalMetadataService(opts);
    await svc.load();
    return svc;
  }

  get clusterId(): string {
    return this._clusterId;
  }

  get controllerId(): number {
    return this.selfIdentity.nodeId;
  }

  private get file(): string {
    return path.join(this.opts.dataDir, METADATA_FILE);
  }

  /** The advertised address is only known after listen(); the broker sets it then. */
  setSelf(identity: BrokerIdentity): Promise<void> {
    this.selfIdentity = identity;
    return Promise.resolve();
  }

  self(): BrokerIdentity {
    return this.selfIdentity;
  }

  brokers(): BrokerIdentity[] {
    return [this.selfIdentity];
  }

  topic(name: string): TopicInfo | undefined {
    return this.byName.get(name);
  }

  topicById(id: Buffer): TopicInfo | undefined {
    return this.byId.get(id.toString('hex'));
  }

  topics(): TopicInfo[] {
    return [...this.byName.values()];
  }

  private async load(): Promise<void> {
    await fs.mkdir(this.opts.dataDir, { recursive: true });
    let state: StoredState | null = null;
    let text: string | null = null;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read ${this.file}: ${(err as Error).message}`);
    }
    try {
      if (text !== null) state = JSON.parse(text) as StoredState;
    } catch (err) {
      // starting empty would lose every topic the file lists (their logs would be left unreachable): refuse instead
      throw new Error(
        `cannot read ${this.file}: ${(err as Error).message}. It lists this data dir's topics; restore it from a backup ` +
          `(or repair the JSON) and start again. The broker does not start without it, since it would forget every topic.`,
      );
    }
    if (state) {
      if (this.opts.clusterId && this.opts.clusterId !== state.clusterId) {
        throw new Error(`data dir belongs to cluster ${state.clusterId}, configured cluster.id is ${this.opts.clusterId}`);
      }
      this._clusterId = state.clusterId;
      for (const t of state.topics) {
        this.index({ name: t.name, id: Buffer.from(t.id, 'hex'), partitions: t.partitions, configs: { ...t.configs }, internal: t.internal });
      }
    } else {
      this._clusterId = this.opts.clusterId ?? newClusterId();
      await this.persist();
    }
  }

  private index(t: TopicInfo): void {
    this.byName.set(t.name, t);
    this.byId.set(t.id.toString('hex'), t);
  }

  private async persist(): Promise<void> {
    const state: StoredState = {
      version: 1,
      clusterId: this._clusterId,
      topics: this.topics().map((t) => ({
        name: t.name,
        id: t.id.toString('hex'),
        partitions: t.partitions,
        configs: t.configs,
        internal: t.internal,
      })),
    };
    await writeFileAtomic(this.file, JSON.stringify(state, null, 1));
  }

  /** Runs changes one after another; a failed change does not block the next. */
  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Applies a change in memory, persists it, and rolls back in memory if the write fails. */
  private async commit(apply: () => void, undo: () => void): Promise<void> {
    apply();
    try {
      await this.persist();
    } catch (err) {
      undo();
      throw err;
    }
  }

  createTopic(name: string, opts: CreateTopicOptions = {}): Promise<TopicInfo> {
    return this.serialize(async () => {
      if (this.byName.has(name)) throw new MetadataError(ErrorCode.TOPIC_ALREADY_EXISTS, `topic ${name} already exists`);
      const problem = newTopicNameProblem(name, this.byName.keys());
      if (problem) throw new MetadataError(ErrorCode.INVALID_TOPIC_EXCEPTION, problem);
      const partitions = this.partitionCount(opts);
      if (!Number.isInteger(partitions) || partitions < 1) {
        throw new MetadataError(ErrorCode.INVALID_PARTITIONS, `partition count ${partitions} must be at least 1`);
      }
      const topic: TopicInfo = { name, id: newTopicId(), partitions, configs: { ...(opts.configs ?? {}) }, internal: opts.internal ?? false };
      await this.commit(
        () => this.index(topic),
        () => {
          this.byName.delete(name);
          this.byId.delete(topic.id.toString('hex'));
        },
      );
      await this.listeners.emit({ type: 'topic-created', topic });
      return topic;
    });
  }

  /** One broker holds one replica of each partition, on itself. */
  private partitionCount(opts: CreateTopicOptions): number {
    const selfId = this.selfIdentity.nodeId;
    if (opts.assignment) {
      for (const replicas of opts.assignment) {
        if (replicas.length !== 1 || replicas[0] !== selfId) {
          throw new MetadataError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `replicas ${replicas.join(',')}: this cluster has only broker ${selfId}`);
        }
      }
      return opts.assignment.length;
    }
    const rf = opts.replicationFactor ?? 1;
    if (rf !== 1) throw new MetadataError(ErrorCode.INVALID_REPLICATION_FACTOR, `replication factor ${rf} is larger than the 1 available broker`);
    return opts.partitions ?? this.opts.defaultPartitions;
  }

  partitionState(topic: string, partition: number): PartitionState | undefined {
    const t = this.byName.get(topic);
    if (!t || !Number.isInteger(partition) || partition < 0 || partition >= t.partitions) return undefined;
    const self = this.selfIdentity.nodeId;
    return { topic, partition, replicas: [self], leader: self, leaderEpoch: 0, isr: [self], partitionEpoch: 0 };
  }

  /** The only valid ISR is this broker at epoch 0; anything else is a caller's mistake, refused like a stale update. */
  alterPartitionIsr(topic: string, partition: number, expect: { leaderEpoch: number; partitionEpoch: number }, isr: number[]): Promise<PartitionState> {
    const state = this.partitionState(topic, partition);
    if (!state) return Promise.reject(new MetadataError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `unknown partition ${topic}-${partition}`));
    if (expect.leaderEpoch !== state.leaderEpoch) {
      return Promise.reject(new MetadataError(ErrorCode.FENCED_LEADER_EPOCH, `leader epoch ${expect.leaderEpoch} is not the current ${state.leaderEpoch}`));
    }
    if (expect.partitionEpoch !== state.partitionEpoch || isr.length !== 1 || isr[0] !== state.leader) {
      return Promise.reject(new MetadataError(ErrorCode.INVALID_UPDATE_VERSION, `partition ${topic}-${partition} has the single replica ${state.leader}`));
    }
    return Promise.resolve(state);
  }

  ensureTopic(name: string, opts: CreateTopicOptions = {}): Promise<TopicInfo> {
    return ensureTopicOnce(this.creating, name, opts, (n) => this.byName.get(n), (n, o) => this.createTopic(n, o));
  }

  deleteTopic(name: string): Promise<TopicInfo> {
    return this.serialize(async () => {
      const topic = this.byName.get(name);
      if (!topic) throw new MetadataError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `unknown topic ${name}`);
      await this.commit(
        () => {
          this.byName.delete(name);
          this.byId.delete(topic.id.toString('hex'));
        },
        () => this.index(topic),
      );
      await this.listeners.emit({ type: 'topic-deleted', topic });
      return topic;
    });
  }

  addPartitions(name: string, totalCount: number): Promise<TopicInfo> {
    return this.serialize(async () => {
      const topic = this.byName.get(name);
      if (!topic) throw new MetadataError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `unknown topic ${name}`);
      const previous = topic.partitions;
      if (!Number.isInteger(totalCount) || totalCount <= previous) {
        throw new MetadataError(ErrorCode.INVALID_PARTITIONS, `topic ${name} has ${previous} partitions; new count must be larger, got ${totalCount}`);
      }
      await this.commit(
        () => {
          topic.partitions = totalCount;
        },
        () => {
          topic.partitions = previous;
        },
      );
      await this.listeners.emit({ type: 'partitions-added', topic, previous });
      return topic;
    });
  }

  alterTopicConfigs(name: string, changes: Record<string, string | null>): Promise<TopicInfo> {
    return this.serialize(async () => {
      const topic = this.byName.get(name);
      if (!topic) throw new MetadataError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `unknown topic ${name}`);
      const before = topic.configs;
      const after = { ...before };
      for (const [k, v] of Object.entries(changes)) {
        if (v === null) delete after[k];
        else after[k] = v;
      }
      await this.commit(
        () => {
          topic.configs = after;
        },
        () => {
          topic.configs = before;
        },
      );
      await this.listeners.emit({ type: 'configs-altered', topic });
      return topic;
    });
  }

  onChange(listener: MetadataListener): () => void {
    return this.listeners.add(listener);
  }

  async close(): Promise<void> {
    await this.chain;
    this.listeners.clear();
  }
}
