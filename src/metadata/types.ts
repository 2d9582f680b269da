/**
 * Cluster metadata as the handlers see it (RocketMQ's NameServer role). The
 * local implementation keeps it in a file under the data dir; a cluster backend
 * (etcd) implements the same interface, so handlers never touch storage of it.
 */

export interface BrokerIdentity {
  nodeId: number;
  /** The inter-broker listener's advertised address (replica fetchers use it). */
  host: string;
  port: number;
  rack: string | null;
  /**
   * Every listener's advertised address by listener name, so a client is sent
   * to the other brokers on the listener it came in on. Absent when the broker
   * registered before listeners were known (the host/port serve every listener then).
   */
  endpoints?: Record<string, { host: string; port: number }>;
}

export interface TopicInfo {
  name: string;
  /** 16 random bytes, never all-zero (Kafka's "no id"). */
  id: Buffer;
  partitions: number;
  /** Topic-level overrides as Kafka property strings (retention.ms=...). */
  configs: Record<string, string>;
  internal: boolean;
}

/**
 * Who holds a partition. In single-broker mode this broker is the only replica,
 * the leader and the ISR, at epoch 0.
 */
export interface PartitionState {
  topic: string;
  partition: number;
  /** The assignment, preferred leader first. */
  replicas: number[];
  /** -1 = no leader (offline). */
  leader: number;
  /** Bumps on every leader change. */
  leaderEpoch: number;
  isr: number[];
  /** Bumps on every change of this record (Kafka's partition epoch). */
  partitionEpoch: number;
  /**
   * A reassignment in progress (Kafka's PartitionRegistration): `replicas` is
   * then the target followed by the replicas being removed; the adding ones
   * catch up and join the ISR before the controller drops the removing ones.
   * Absent or empty when none is in progress.
   */
  addingReplicas?: number[];
  removingReplicas?: number[];
}

/** One partition's answer to AlterPartitionReassignments. */
export interface ReassignmentResult {
  topic: string;
  partition: number;
  errorCode: number;
  message: string | null;
}

/** One partition of an AlterPartitionReassignments request: the target replicas, or null to cancel. */
export interface ReassignmentRequest {
  topic: string;
  partition: number;
  replicas: number[] | null;
}

/** One partition's answer to ElectLeaders. */
export interface ElectionResult {
  topic: string;
  partition: number;
  errorCode: number;
  message: string | null;
}

/** No leader: the partition is offline. */
export const NO_LEADER = -1;

export type MetadataEvent =
  | { type: 'topic-created'; topic: TopicInfo }
  | { type: 'topic-deleted'; topic: TopicInfo }
  | { type: 'partitions-added'; topic: TopicInfo; previous: number }
  | { type: 'configs-altered'; topic: TopicInfo }
  /** Leader, ISR or replicas of one partition changed (not sent for the states a topic is created with). */
  | { type: 'partition-changed'; state: PartitionState }
  /** A broker registered, re-registered with a new address, or its lease expired. */
  | { type: 'brokers-changed' };

/** A cluster broker's hold on its registration: lost when it cannot renew it, regained once re-synced. */
export type SessionState = 'lost' | 'regained';
export type SessionListener = (state: SessionState) => void;

export type MetadataListener = (e: MetadataEvent) => void | Promise<void>;

export interface CreateTopicOptions {
  partitions?: number;
  configs?: Record<string, string>;
  internal?: boolean;
  /** Replicas per partition; the backend picks them (rack-aware). Default 1. */
  replicationFactor?: number;
  /** Manual replica assignment, one broker id list per partition (preferred leader first); overrides partitions/replicationFactor. */
  assignment?: number[][];
}

export interface MetadataService {
  readonly clusterId: string;
  readonly controllerId: number;
  /** This broker, with the address clients should use. */
  self(): BrokerIdentity;
  /**
   * The advertised address is only known after listen(); the broker announces
   * it here (a cluster backend registers the broker with it).
   */
  setSelf(identity: BrokerIdentity): Promise<void>;
  /** The live brokers (registered, lease alive), ordered by node id. */
  brokers(): BrokerIdentity[];

  topic(name: string): TopicInfo | undefined;
  topicById(id: Buffer): TopicInfo | undefined;
  topics(): TopicInfo[];

  /** Rejects with MetadataError(TOPIC_ALREADY_EXISTS / INVALID_TOPIC_EXCEPTION / INVALID_PARTITIONS). */
  createTopic(name: string, opts?: CreateTopicOptions): Promise<TopicInfo>;
  /** Creates the topic unless it exists; concurrent callers share one creation. */
  ensureTopic(name: string, opts?: CreateTopicOptions): Promise<TopicInfo>;
  deleteTopic(name: string): Promise<TopicInfo>;
  /** `assignment`: replica lists for the new partitions (CreatePartitions' manual assignment); the backend places them otherwise. */
  addPartitions(name: string, totalCount: number, assignment?: number[][]): Promise<TopicInfo>;
  /** Replaces (set) or removes (null) the given keys. */
  alterTopicConfigs(name: string, changes: Record<string, string | null>): Promise<TopicInfo>;

  /** Undefined for an unknown topic or a partition out of range. */
  partitionState(topic: string, partition: number): PartitionState | undefined;
  /**
   * The leader's ISR change (Kafka's AlterPartition). Rejects with
   * MetadataError(FENCED_LEADER_EPOCH or INVALID_UPDATE_VERSION) when
   * leaderEpoch/partitionEpoch are stale; resolves with the new state.
   */
  alterPartitionIsr(
    topic: string,
    partition: number,
    expect: { leaderEpoch: number; partitionEpoch: number },
    isr: number[],
  ): Promise<PartitionState>;

  /**
   * ElectLeaders (preferred or unclean) for the given partitions. Absent in
   * single-broker mode, where every partition is led by its only replica.
   */
  electLeaders?(partitions: ReadonlyArray<{ topic: string; partition: number }>, type: 'preferred' | 'unclean'): Promise<ElectionResult[]>;

  /**
   * AlterPartitionReassignments: starts (or replaces, or with null replicas
   * cancels) reassignments; the controller finishes them once the target
   * replicas are in sync. Absent in single-broker mode.
   */
  alterPartitionReassignments?(
    requests: readonly ReassignmentRequest[],
    opts: { allowReplicationFactorChange: boolean },
  ): Promise<ReassignmentResult[]>;

  /**
   * Cluster backends, controlled shutdown: stop counting as a live broker so
   * leadership moves to the other replicas now, and wait (bounded) until it
   * has, while this broker still answers clients (with NOT_LEADER_OR_FOLLOWER).
   */
  leaveCluster?(): Promise<void>;

  /**
   * Cluster backends, at start before setSelf: this broker has no copy of these partitions (its data dir or
   * their logs are gone), so it leaves their ISRs and cannot be elected from a membership it no longer earns.
   */
  leaveIsrOfLost?(partitions: ReadonlyArray<{ topic: string; partition: number }>): Promise<void>;

  /**
   * Cluster backends: reserves `count` producer ids unique across the cluster
   * and resolves with the first. Absent in single-broker mode, where the
   * broker's own data dir keeps the counter.
   */
  reserveProducerIds?(count: number): Promise<bigint>;

  /**
   * Cluster backends: 'lost' when this broker could not renew its session for
   * long enough that the controller may already have moved its leaderships
   * (it must stop acting as leader), 'regained' once it has re-registered and
   * caught up with the metadata (it follows the current states again).
   * Returns an unsubscribe function.
   */
  onSessionChange?(listener: SessionListener): () => void;

  /**
   * Returns an unsubscribe function. A listener may return a promise: the
   * change that caused the event resolves only after it settles, so local
   * reactions (creating or removing partition logs) are complete when the
   * client hears back, and events of later changes come after them.
   */
  onChange(listener: MetadataListener): () => void;
  close(): Promise<void>;
}

/** A metadata operation refused with a Kafka error code. */
export class MetadataError extends Error {
  constructor(readonly errorCode: number, message: string) {
    super(message);
    this.name = 'MetadataError';
  }
}
