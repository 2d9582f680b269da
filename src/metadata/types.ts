/**
 * Cluster metadata as the handlers see it (RocketMQ's NameServer role). The
 * local implementation keeps it in a file under the data dir; a cluster backend
 * (etcd) implements the same interface, so handlers never touch storage of it.
 */

export interface BrokerIdentity {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
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

export type MetadataEvent =
  | { type: 'topic-created'; topic: TopicInfo }
  | { type: 'topic-deleted'; topic: TopicInfo }
  | { type: 'partitions-added'; topic: TopicInfo; previous: number }
  | { type: 'configs-altered'; topic: TopicInfo };

export type MetadataListener = (e: MetadataEvent) => void | Promise<void>;

export interface CreateTopicOptions {
  partitions?: number;
  configs?: Record<string, string>;
  internal?: boolean;
}

export interface MetadataService {
  readonly clusterId: string;
  readonly controllerId: number;
  /** This broker, with the address clients should use. */
  self(): BrokerIdentity;
  brokers(): BrokerIdentity[];

  topic(name: string): TopicInfo | undefined;
  topicById(id: Buffer): TopicInfo | undefined;
  topics(): TopicInfo[];

  /** Rejects with MetadataError(TOPIC_ALREADY_EXISTS / INVALID_TOPIC_EXCEPTION / INVALID_PARTITIONS). */
  createTopic(name: string, opts?: CreateTopicOptions): Promise<TopicInfo>;
  /** Creates the topic unless it exists; concurrent callers share one creation. */
  ensureTopic(name: string, opts?: CreateTopicOptions): Promise<TopicInfo>;
  deleteTopic(name: string): Promise<TopicInfo>;
  addPartitions(name: string, totalCount: number): Promise<TopicInfo>;
  /** Replaces (set) or removes (null) the given keys. */
  alterTopicConfigs(name: string, changes: Record<string, string | null>): Promise<TopicInfo>;

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
