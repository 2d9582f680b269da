import type { KafkaConfig } from 'kafkajs';

/**
 * Reads partitions by offset without a consumer group, as `kafka-console-consumer
 * --partition --offset` does. kafkajs only offers group consumers publicly, so this
 * drives its cluster/broker layer (stable in the 2.2 line pinned in package.json)
 * directly: Metadata to find leaders, then plain Fetch requests.
 */

// eslint-disable-next-line @typescript-eslint/no-require-imports
const Cluster = require('kafkajs/src/cluster') as new (opts: object) => KafkaJsCluster;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createLogger, LEVELS } = require('kafkajs/src/loggers') as { createLogger(o: object): unknown; LEVELS: { NOTHING: number } };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const socketFactory = require('kafkajs/src/network/socketFactory') as () => unknown;

interface KafkaJsMessage {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, Buffer | Buffer[] | undefined>;
  isControlRecord?: boolean;
}

interface KafkaJsFetchResponse {
  responses: Array<{
    topicName: string;
    partitions: Array<{ partition: number; errorCode: number; highWatermark: string; messages: KafkaJsMessage[] }>;
  }>;
}

interface KafkaJsBroker {
  fetch(req: {
    replicaId?: number;
    isolationLevel?: number;
    maxWaitTime?: number;
    minBytes?: number;
    maxBytes?: number;
    topics: Array<{ topic: string; partitions: Array<{ partition: number; fetchOffset: string; maxBytes: number }> }>;
  }): Promise<KafkaJsFetchResponse>;
}

interface KafkaJsCoordinator {
  offsetCommit(req: {
    groupId: string;
    groupGenerationId: number;
    memberId: string;
    retentionTime?: number;
    topics: Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }>;
  }): Promise<unknown>;
}

interface KafkaJsCluster {
  findGroupCoordinator(q: { groupId: string }): Promise<KafkaJsCoordinator>;
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addTargetTopic(topic: string): Promise<void>;
  refreshMetadata(): Promise<void>;
  findTopicPartitionMetadata(topic: string): Array<{ partitionId: number; leader: number }>;
  findBroker(q: { nodeId: string | number }): Promise<KafkaJsBroker>;
}

export interface FetchedMessage {
  topic: string;
  partition: number;
  offset: bigint;
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: Array<[string, Buffer]>;
}

export interface FetchedPartition {
  partition: number;
  highWatermark: bigint;
  messages: FetchedMessage[];
  /**
   * One past the last offset this answer covered, control records (transaction markers) included, or null when it
   * held no record at all: a reader moves on by this, not by its last message, or a marker would hold it in place.
   */
  nextOffset: bigint | null;
}

export class PartitionReader {
  private readonly cluster: KafkaJsCluster;

  constructor(config: KafkaConfig) {
    this.cluster = new Cluster({
      logger: createLogger({ level: LEVELS.NOTHING, logCreator: () => () => undefined }),
      socketFactory: socketFactory(),
      brokers: config.brokers,
      clientId: config.clientId,
      connectionTimeout: config.connectionTimeout,
      requestTimeout: config.requestTimeout,
      enforceRequestTimeout: true,
      retry: config.retry,
      allowAutoTopicCreation: false,
      maxInFlightRequests: null,
      metadataMaxAge: 300_000,
    });
  }

  async connect(topic: string): Promise<number[]> {
    await this.cluster.connect();
    await this.cluster.addTargetTopic(topic);
    await this.cluster.refreshMetadata();
    return this.cluster.findTopicPartitionMetadata(topic).map((p) => p.partitionId).sort((a, b) => a - b);
  }

  /** One Fetch per leader for the given positions; messages before a position (rest of its batch) are dropped. */
  async fetch(topic: string, positions: ReadonlyMap<number, bigint>, maxWaitMs: number): Promise<FetchedPartition[]> {
    const meta = this.cluster.findTopicPartitionMetadata(topic);
    const byLeader = new Map<number, number[]>();
    for (const p of positions.keys()) {
      const m = meta.find((x) => x.partitionId === p);
      if (!m) throw new Error(`partition ${p} of ${topic} does not exist`);
      const list = byLeader.get(m.leader) ?? [];
      list.push(p);
      byLeader.set(m.leader, list);
    }
    const out: FetchedPartition[] = [];
    await Promise.all(
      [...byLeader].map(async ([leader, partitions]) => {
        const broker = await this.cluster.findBroker({ nodeId: String(leader) });
        const res = await broker.fetch({
          replicaId: -1,
          isolationLevel: 1,
          maxWaitTime: maxWaitMs,
          minBytes: 1,
          maxBytes: 4 * 1024 * 1024,
          topics: [{ topic, partitions: partitions.map((p) => ({ partition: p, fetchOffset: String(positions.get(p)), maxBytes: 1024 * 1024 })) }],
        });
        for (const t of res.responses) {
          for (const p of t.partitions) {
            if (p.errorCode !== 0) throw new Error(`fetch ${topic}-${p.partition} failed with error code ${p.errorCode}`);
            const from = positions.get(p.partition) ?? 0n;
            const messages: FetchedMessage[] = [];
            let nextOffset: bigint | null = null;
            for (const m of p.messages) {
              const offset = BigInt(m.offset);
              if (offset >= from && (nextOffset === null || offset >= nextOffset)) nextOffset = offset + 1n;
              if (m.isControlRecord || offset < from) continue;
              messages.push({ topic, partition: p.partition, offset, timestamp: BigInt(m.timestamp), key: m.key, value: m.value, headers: flattenHeaders(m.headers) });
            }
            out.push({ partition: p.partition, highWatermark: BigInt(p.highWatermark), messages, nextOffset });
          }
        }
      }),
    );
    return out;
  }

  /**
   * Commits offsets for a group without joining it (generation -1, no member
   * id), as Kafka's reset tool does; brokers accept this only while the group
   * has no members. kafkajs's own setOffsets joins the group and waits out a
   * fetch cycle, which takes seconds.
   */
  async commitOffsets(groupId: string, topic: string, partitions: ReadonlyArray<{ partition: number; offset: string }>): Promise<void> {
    await this.cluster.connect();
    const coordinator = await this.cluster.findGroupCoordinator({ groupId });
    await coordinator.offsetCommit({ groupId, groupGenerationId: -1, memberId: '', retentionTime: -1, topics: [{ topic, partitions: [...partitions] }] });
  }

  async close(): Promise<void> {
    await this.cluster.disconnect();
  }
}

export function flattenHeaders(headers: Record<string, Buffer | string | Array<Buffer | string> | undefined> | undefined): Array<[string, Buffer]> {
  const out: Array<[string, Buffer]> = [];
  if (!headers) return out;
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) out.push([k, Buffer.isBuffer(one) ? one : Buffer.from(one)]);
  }
  return out;
}
