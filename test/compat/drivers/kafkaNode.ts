import * as fs from 'fs';
import * as kafka from 'kafka-node';
import type { ClientDriver, Codec, CompatMessage, ConsumedMessage, SecureEndpoint } from '../types';

/**
 * kafka-node 5, unmaintained since 2019: Produce v0–v2 and Fetch v0–v2 with message format v0/v1 (no
 * headers), its own ConsumerGroup on the classic protocol. Its snappy codec calls snappy 6's callback API;
 * the snappy installed here (7) returns promises, so only none and gzip are run.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const VERSION = (require('kafka-node/package.json') as { version: string }).version;
const TIMEOUT_MS = 40_000;
const ATTRIBUTES: Partial<Record<Codec, number>> = { none: 0, gzip: 1 };

function client(bootstrap: string, secure?: SecureEndpoint): kafka.KafkaClient {
  const sec = secure
    ? { sslOptions: { ca: [fs.readFileSync(secure.caFile)], servername: 'localhost' }, sasl: { mechanism: secure.mechanism.toLowerCase(), username: secure.username, password: secure.password } }
    : {};
  return new kafka.KafkaClient({ kafkaHost: bootstrap, connectTimeout: 10_000, requestTimeout: 30_000, ...sec });
}

function closeClient(c: kafka.KafkaClient): Promise<void> {
  return new Promise((resolve) => c.close(() => resolve()));
}

function ready(c: kafka.KafkaClient): Promise<void> {
  return new Promise((resolve, reject) => {
    c.once('ready', () => resolve());
    c.once('error', reject);
  });
}

function str(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  return Buffer.isBuffer(v) ? v.toString() : String(v);
}

interface NodeMessage {
  partition?: number;
  offset?: number;
  key?: string | Buffer | null;
  value: string | Buffer;
  timestamp?: Date;
}

function toConsumed(m: NodeMessage): ConsumedMessage {
  return { partition: m.partition ?? -1, offset: m.offset ?? -1, key: str(m.key), value: str(m.value), headers: [], timestamp: m.timestamp ? m.timestamp.getTime() : -1 };
}

async function send(bootstrap: string, topic: string, messages: CompatMessage[], codec: Codec, secure?: SecureEndpoint): Promise<void> {
  const c = client(bootstrap, secure);
  try {
    const producer = new kafka.Producer(c, { requireAcks: -1, ackTimeoutMs: 10_000, partitionerType: 0 });
    await new Promise<void>((resolve, reject) => {
      producer.once('ready', () => resolve());
      producer.once('error', reject);
    });
    const byPartition = new Map<number, CompatMessage[]>();
    for (const m of messages) byPartition.set(m.partition, [...(byPartition.get(m.partition) ?? []), m]);
    const payloads = [...byPartition].map(([partition, list]) => ({
      topic,
      partition,
      attributes: ATTRIBUTES[codec]!,
      messages: list.map((m) => new kafka.KeyedMessage(m.key, m.value)),
      // kafka-node sets one CreateTime per payload (message format v1)
      timestamp: list[0].timestamp ?? Date.now(),
    }));
    await new Promise<void>((resolve, reject) => producer.send(payloads, (err) => (err ? reject(err) : resolve())));
  } finally {
    await closeClient(c);
  }
}

async function readPartitions(bootstrap: string, topic: string, partitions: number, expected: number, secure?: SecureEndpoint): Promise<ConsumedMessage[]> {
  const c = client(bootstrap, secure);
  const out: ConsumedMessage[] = [];
  try {
    await ready(c);
    const payloads = Array.from({ length: partitions }, (_, p) => ({ topic, partition: p, offset: 0 }));
    const consumer = new kafka.Consumer(c, payloads, { autoCommit: false, fromOffset: true, encoding: 'utf8', keyEncoding: 'utf8', fetchMaxWaitMs: 200 });
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`kafka-node consumed ${out.length} of ${expected}`)), TIMEOUT_MS);
        consumer.on('message', (m) => {
          out.push(toConsumed(m as NodeMessage));
          if (out.length >= expected) {
            clearTimeout(timer);
            resolve();
          }
        });
        consumer.on('error', (e) => {
          clearTimeout(timer);
          reject(e);
        });
      });
    } finally {
      await new Promise<void>((resolve) => consumer.close(true, () => resolve()));
    }
  } finally {
    await closeClient(c);
  }
  return out;
}

export const kafkaNodeDriver: ClientDriver = {
  name: 'kafka-node',
  codecs: ['none', 'gzip'],
  hasAdmin: true,
  perMessageHeaders: false,
  setsTimestamps: false,
  groupProtocols: ['classic'],
  notApplicable: {
    headers: 'kafka-node writes message format v0/v1, which has no headers',
    timestamps: 'kafka-node sets one timestamp per produce request, not per message',
    'codec snappy': "kafka-node's snappy codec needs snappy 6's callback API (snappy 7 returns promises)",
    'codec lz4': 'kafka-node has no lz4 codec',
    'codec zstd': 'kafka-node has no zstd codec',
    'create/delete topic': 'kafka-node can create topics (used by the other scenarios) but has no DeleteTopics',
    'group consumer': 'kafka-node has no KIP-848 consumer',
    transactions: 'kafka-node has no transactional producer',
  },

  async unavailableReason() {
    return null;
  },

  async version() {
    return VERSION;
  },

  async createTopic(bootstrap, topic, partitions) {
    const c = client(bootstrap);
    try {
      await ready(c);
      const res = await new Promise<Array<{ topic: string; error?: string }>>((resolve, reject) =>
        c.createTopics([{ topic, partitions, replicationFactor: 1 }], (err, r) => (err ? reject(err) : resolve(r as never))),
      );
      const failed = res.filter((r) => r.error);
      if (failed.length) throw new Error(`createTopics: ${failed.map((f) => f.error).join('; ')}`);
    } finally {
      await closeClient(c);
    }
  },

  async deleteTopic() {
    throw new Error('kafka-node has no DeleteTopics');
  },

  produce: (bootstrap, topic, messages, codec) => send(bootstrap, topic, messages, codec),

  async secureRoundTrip(e, topic, values) {
    await send(e.bootstrap, topic, values.map((v, i) => ({ partition: 0, key: `k${i}`, value: v, headers: [], timestamp: null })), 'none', e);
    const got = await readPartitions(e.bootstrap, topic, 1, values.length, e);
    return got.sort((a, b) => a.offset - b.offset).map((m) => m.value ?? '');
  },

  consume: (bootstrap, topic, partitions, expected) => readPartitions(bootstrap, topic, partitions, expected),

  async listOffsets(bootstrap, topic, partitions) {
    const c = client(bootstrap);
    try {
      await ready(c);
      const offset = new kafka.Offset(c);
      const ask = (fn: 'fetchEarliestOffsets' | 'fetchLatestOffsets') =>
        new Promise<Record<string, Record<string, number>>>((resolve, reject) => offset[fn]([topic], (err, data) => (err ? reject(err) : resolve(data))));
      const lo = await ask('fetchEarliestOffsets');
      const hi = await ask('fetchLatestOffsets');
      const out = new Map<number, [number, number]>();
      for (let p = 0; p < partitions; p++) out.set(p, [Number(lo[topic][p]), Number(hi[topic][p])]);
      return out;
    } finally {
      await closeClient(c);
    }
  },

  async groupConsume(bootstrap, topic, group, _protocol, expected) {
    const cg = new kafka.ConsumerGroup(
      { kafkaHost: bootstrap, groupId: group, fromOffset: 'earliest', autoCommit: false, encoding: 'utf8', keyEncoding: 'utf8', fetchMaxWaitMs: 200, sessionTimeout: 10_000 },
      [topic],
    );
  const out: ConsumedMessage[] = [];
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`kafka-node group consumed ${out.length} of ${expected}`)), TIMEOUT_MS);
        cg.on('message', (m) => {
          out.push(toConsumed(m as NodeMessage));
          if (out.length >= expected) {
            clearTimeout(timer);
            resolve();
          }
        });
        cg.on('error', (e) => {
          clearTimeout(timer);
          reject(e);
        });
      });
      // OffsetCommit of the positions reached (everything consumed), before leaving.
      await new Promise<void>((resolve, reject) => cg.commit(true, (err) => (err ? reject(err) : resolve())));
    } finally {
      await new Promise<void>((resolve) => cg.close(false, () => resolve()));
    }
    return out;
  },
};
