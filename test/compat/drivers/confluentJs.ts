import * as fs from 'fs';
import * as path from 'path';
import type * as CK from '@confluentinc/kafka-javascript';
import type { ClientDriver, Codec, CompatMessage, ConsumedMessage, GroupProtocol, SecureEndpoint } from '../types';
import { eventually } from '../../helpers/eventually';

/**
 * @confluentinc/kafka-javascript, Confluent's Node client on librdkafka 2.15.1, through both of its APIs:
 * the KafkaJS-compatible one (`.KafkaJS`) and the node-rdkafka one (Producer, KafkaConsumer, AdminClient).
 * Loaded lazily so that a checkout whose native addon is not built still runs the other drivers.
 */
type Module = typeof CK;
let loaded: Module | null = null;
let loadError: string | null = null;

function lib(): Module {
  if (loaded) return loaded;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loaded = require('@confluentinc/kafka-javascript') as Module;
  return loaded;
}

function unavailable(): Promise<string | null> {
  if (loaded || loadError) return Promise.resolve(loadError);
  try {
    lib();
  } catch (e) {
    loadError = `@confluentinc/kafka-javascript does not load (npm install builds it): ${(e as Error).message.split('\n')[0]}`;
  }
  return Promise.resolve(loadError);
}

function version(): Promise<string> {
  const pkg = JSON.parse(fs.readFileSync(path.join(path.dirname(require.resolve('@confluentinc/kafka-javascript')), '..', 'package.json'), 'utf8')) as { version: string };
  return Promise.resolve(`${pkg.version} (librdkafka ${lib().librdkafkaVersion})`);
}

const TIMEOUT_MS = 40_000;
let seq = 0;

function headersOut(h: unknown): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  if (!h) return out;
  // KafkaJS API: { key: Buffer | string | (Buffer|string)[] }; node-rdkafka API: [{ key: Buffer }, ...]
  const entries: Array<[string, unknown]> = Array.isArray(h) ? h.flatMap((o: Record<string, unknown>) => Object.entries(o)) : Object.entries(h as Record<string, unknown>);
  for (const [k, v] of entries) {
    for (const one of Array.isArray(v) ? v : [v]) out.push([k, Buffer.isBuffer(one) ? one.toString() : String(one)]);
  }
  return out;
}

function secureConf(e: SecureEndpoint): Record<string, string> {
  return {
    'bootstrap.servers': e.bootstrap,
    'security.protocol': 'sasl_ssl',
    'sasl.mechanisms': e.mechanism,
    'sasl.username': e.username,
    'sasl.password': e.password,
    'ssl.ca.location': e.caFile,
  };
}

// ---------------------------------------------------------------- KafkaJS-compatible API

type KJS = Module['KafkaJS'];

function kafkaJs(bootstrap: string, extra: Record<string, unknown> = {}): InstanceType<KJS['Kafka']> {
  const { Kafka, logLevel } = lib().KafkaJS;
  return new Kafka({ kafkaJS: { brokers: [bootstrap], clientId: 'brook-compat', logLevel: logLevel.NOTHING }, ...extra });
}

const KJS_CODEC: Record<Codec, string> = { none: 'none', gzip: 'gzip', snappy: 'snappy', lz4: 'lz4', zstd: 'zstd' };

async function kjsSend(producer: ReturnType<InstanceType<KJS['Kafka']>['producer']>, topic: string, messages: CompatMessage[]) {
  await producer.send({
    topic,
    messages: messages.map((m) => ({
      partition: m.partition,
      key: m.key,
      value: m.value,
      headers: Object.fromEntries(m.headers),
      timestamp: m.timestamp === null ? undefined : String(m.timestamp),
    })),
  });
}

async function kjsConsume(
  consumer: ReturnType<InstanceType<KJS['Kafka']>['consumer']>,
  topic: string,
  expected: number,
): Promise<ConsumedMessage[]> {
  const out: ConsumedMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic] });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`consumed ${out.length} of ${expected}`)), TIMEOUT_MS);
      if (expected === 0) {
        clearTimeout(timer);
        resolve();
      }
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            out.push({
              partition,
              offset: Number(message.offset),
              key: message.key ? message.key.toString() : null,
              value: message.value ? message.value.toString() : null,
              headers: headersOut(message.headers),
              timestamp: Number(message.timestamp),
            });
            if (out.length >= expected) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return out;
}

export const confluentKafkaJsDriver: ClientDriver = {
  name: 'confluent-kafka-javascript (KafkaJS API)',
  codecs: ['none', 'gzip', 'snappy', 'lz4', 'zstd'],
  hasAdmin: true,
  perMessageHeaders: true,
  setsTimestamps: true,
  groupProtocols: ['classic', 'consumer'],
  unavailableReason: unavailable,
  version,

  async createTopic(bootstrap, topic, partitions) {
    const admin = kafkaJs(bootstrap).admin();
    await admin.connect();
    try {
      if (!(await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }] }))) throw new Error(`topic ${topic} already existed`);
    } finally {
      await admin.disconnect();
    }
  },

  async deleteTopic(bootstrap, topic) {
    const admin = kafkaJs(bootstrap).admin();
    await admin.connect();
    try {
      await admin.deleteTopics({ topics: [topic] });
    } finally {
      await admin.disconnect();
    }
  },

  async produce(bootstrap, topic, messages, codec) {
    const producer = kafkaJs(bootstrap).producer({ kafkaJS: { acks: -1, compression: KJS_CODEC[codec] as never }, 'linger.ms': 5 });
    await producer.connect();
    try {
      await kjsSend(producer, topic, messages);
    } finally {
      await producer.disconnect();
    }
  },

  async consume(bootstrap, topic, _partitions, expected) {
    // A fresh group reading from the beginning: the KafkaJS API has no assign().
    const consumer = kafkaJs(bootstrap).consumer({ kafkaJS: { groupId: `compat-ckjs-${process.pid}-${++seq}`, fromBeginning: true, autoCommit: false } });
    return kjsConsume(consumer, topic, expected);
  },

  async listOffsets(bootstrap, topic) {
    const admin = kafkaJs(bootstrap).admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(topic);
      return new Map(offsets.map((o) => [o.partition, [Number(o.low), Number(o.high)] as [number, number]]));
    } finally {
      await admin.disconnect();
    }
  },

  async groupConsume(bootstrap, topic, group, protocol: GroupProtocol, expected) {
    const consumer = kafkaJs(bootstrap).consumer({
      kafkaJS: { groupId: group, fromBeginning: true, autoCommit: false },
      'group.protocol': protocol,
    });
    const out: ConsumedMessage[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [topic] });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`group consumed ${out.length} of ${expected}`)), TIMEOUT_MS);
        consumer
          .run({
            eachMessage: async ({ partition, message }) => {
              out.push({
                partition,
                offset: Number(message.offset),
                key: message.key ? message.key.toString() : null,
                value: message.value ? message.value.toString() : null,
                headers: headersOut(message.headers),
                timestamp: Number(message.timestamp),
              });
              // Commit the next offset to read, as Kafka's convention wants.
              await consumer.commitOffsets([{ topic, partition, offset: String(Number(message.offset) + 1) }]);
              if (out.length >= expected) {
                clearTimeout(timer);
                resolve();
              }
            },
          })
          .catch(reject);
      });
    } finally {
      await consumer.disconnect();
    }
    return out;
  },

  async transactionalProduce(bootstrap, topic, transactionalId, committed, aborted) {
    const producer = kafkaJs(bootstrap).producer({ kafkaJS: { transactionalId, idempotent: true, maxInFlightRequests: 1 } });
    await producer.connect();
    try {
      const ok = await producer.transaction();
      await kjsSend(ok, topic, committed);
      await ok.commit();
      const bad = await producer.transaction();
      await kjsSend(bad, topic, aborted);
      await bad.abort();
    } finally {
      await producer.disconnect();
    }
  },

  async secureRoundTrip(endpoint, topic, values) {
    const { Kafka, logLevel } = lib().KafkaJS;
    const conf = secureConf(endpoint);
    delete (conf as Record<string, string | undefined>)['bootstrap.servers'];
    const kafka = new Kafka({ kafkaJS: { brokers: [endpoint.bootstrap], clientId: 'brook-compat', logLevel: logLevel.NOTHING }, ...conf });
    const producer = kafka.producer({ kafkaJS: { acks: -1 } });
    await producer.connect();
    try {
      await producer.send({ topic, messages: values.map((v) => ({ value: v, partition: 0 })) });
    } finally {
      await producer.disconnect();
    }
    const consumer = kafka.consumer({ kafkaJS: { groupId: `compat-ckjs-secure-${++seq}`, fromBeginning: true } });
    const got = await kjsConsume(consumer, topic, values.length);
    return got.filter((m) => m.partition === 0).sort((a, b) => a.offset - b.offset).map((m) => m.value ?? '');
  },
};

// ---------------------------------------------------------------- node-rdkafka API

function promised<T>(fn: (cb: (err: unknown, v: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v))));
}

async function rdProducer(conf: Record<string, unknown>): Promise<CK.Producer> {
  const p = new (lib().Producer)({ 'client.id': 'brook-compat', dr_cb: true, acks: -1, 'linger.ms': 5, ...conf } as never);
  await promised<unknown>((cb) => p.connect({}, cb as never));
  return p;
}

/** Sends and waits for every delivery report. */
async function rdSend(p: CK.Producer, topic: string, messages: CompatMessage[]): Promise<void> {
  let pending = messages.length;
  const errors: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${pending} of ${messages.length} undelivered`)), TIMEOUT_MS);
    const onReport = (err: unknown) => {
      if (err) errors.push(String(err));
      if (--pending === 0) {
        clearTimeout(timer);
        p.removeListener('delivery-report', onReport);
        p.setPollInterval(0);
        if (errors.length) reject(new Error(errors.slice(0, 3).join('; ')));
        else resolve();
      }
    };
    p.on('delivery-report', onReport);
    p.setPollInterval(20);
    for (const m of messages) {
      p.produce(topic, m.partition, Buffer.from(m.value), Buffer.from(m.key), m.timestamp ?? undefined, undefined, m.headers.map(([k, v]) => ({ [k]: Buffer.from(v) })));
    }
    if (messages.length === 0) onReport(null);
  });
}

async function rdDisconnect(c: CK.Producer | CK.KafkaConsumer): Promise<void> {
  await promised<unknown>((cb) => c.disconnect(cb as never));
}

function fromRd(m: CK.Message): ConsumedMessage {
  return {
    partition: m.partition,
    offset: m.offset,
    key: m.key === undefined || m.key === null ? null : m.key.toString(),
    value: m.value === null ? null : m.value.toString(),
    headers: headersOut(m.headers),
    timestamp: m.timestamp ?? -1,
  };
}

async function rdConsumer(conf: Record<string, unknown>): Promise<CK.KafkaConsumer> {
  const c = new (lib().KafkaConsumer)({ 'client.id': 'brook-compat', 'enable.auto.commit': false, ...conf } as never, { 'auto.offset.reset': 'earliest' });
  await promised<unknown>((cb) => c.connect({}, cb as never));
  return c;
}

/** Polls until `expected` messages arrived (or the deadline), `onMessage` seeing each. */
async function rdDrain(c: CK.KafkaConsumer, expected: number, onMessage: (m: CK.Message) => void = () => {}): Promise<ConsumedMessage[]> {
  const out: ConsumedMessage[] = [];
  // consume() itself waits up to 100 ms for messages, so no pause between calls
  return eventually(async () => {
    if (out.length >= expected) return out;
    const batch = await promised<CK.Message[]>((cb) => c.consume(100, cb as never));
    for (const m of batch) {
      out.push(fromRd(m));
      onMessage(m);
    }
    return out.length >= expected && out;
  }, `${expected} messages`, { ms: TIMEOUT_MS, intervalMs: 0 }).catch((err: Error) => {
    throw new Error(`consumed ${out.length} of ${expected} (${err.message})`);
  });
}

function rdAdmin(bootstrap: string) {
  return lib().AdminClient.create({ 'bootstrap.servers': bootstrap, 'client.id': 'brook-compat' } as never);
}

export const confluentRdkafkaDriver: ClientDriver = {
  name: 'confluent-kafka-javascript (node-rdkafka API)',
  codecs: ['none', 'gzip', 'snappy', 'lz4', 'zstd'],
  hasAdmin: true,
  perMessageHeaders: true,
  setsTimestamps: true,
  groupProtocols: ['classic', 'consumer'],
  unavailableReason: unavailable,
  version,

  async createTopic(bootstrap, topic, partitions) {
    const admin = rdAdmin(bootstrap);
    try {
      await promised<unknown>((cb) => admin.createTopic({ topic, num_partitions: partitions, replication_factor: 1 }, 15_000, cb as never));
    } finally {
      admin.disconnect();
    }
  },

  async deleteTopic(bootstrap, topic) {
    const admin = rdAdmin(bootstrap);
    try {
      await promised<unknown>((cb) => admin.deleteTopic(topic, 15_000, cb as never));
    } finally {
      admin.disconnect();
    }
  },

  async produce(bootstrap, topic, messages, codec) {
    const p = await rdProducer({ 'bootstrap.servers': bootstrap, 'compression.codec': codec });
    try {
      await rdSend(p, topic, messages);
    } finally {
      await rdDisconnect(p);
    }
  },

  async consume(bootstrap, topic, partitions, expected) {
    const c = await rdConsumer({ 'bootstrap.servers': bootstrap, 'group.id': `compat-rd-${process.pid}-${++seq}` });
    try {
      c.assign(Array.from({ length: partitions }, (_, p) => ({ topic, partition: p, offset: 0 })));
      return await rdDrain(c, expected);
    } finally {
      await rdDisconnect(c);
    }
  },

  async listOffsets(bootstrap, topic, partitions) {
    const c = await rdConsumer({ 'bootstrap.servers': bootstrap, 'group.id': `compat-rd-offsets-${++seq}` });
    try {
      const out = new Map<number, [number, number]>();
      for (let p = 0; p < partitions; p++) {
        const w = await promised<CK.WatermarkOffsets>((cb) => c.queryWatermarkOffsets(topic, p, 10_000, cb as never));
        out.set(p, [w.lowOffset, w.highOffset]);
      }
      return out;
    } finally {
      await rdDisconnect(c);
    }
  },

  async groupConsume(bootstrap, topic, group, protocol, expected) {
    // Offsets are stored as messages are consumed and committed by librdkafka when the consumer closes
    // (enable.auto.commit). An explicit commitSync() here blocked the event loop for good: its completion
    // is served on the JS thread in this binding.
    const conf: Record<string, unknown> = { 'bootstrap.servers': bootstrap, 'group.id': group, 'group.protocol': protocol, 'enable.auto.commit': true };
    const c = await rdConsumer(conf);
    try {
      c.subscribe([topic]);
      const got = await rdDrain(c, expected);
      return got;
    } finally {
      await rdDisconnect(c);
    }
  },

  async transactionalProduce(bootstrap, topic, transactionalId, committed, aborted) {
    const p = await rdProducer({ 'bootstrap.servers': bootstrap, 'transactional.id': transactionalId });
    try {
      await promised<unknown>((cb) => p.initTransactions(15_000, cb as never));
      await promised<unknown>((cb) => p.beginTransaction(cb as never));
      await rdSend(p, topic, committed);
      await promised<unknown>((cb) => p.commitTransaction(15_000, cb as never));
      await promised<unknown>((cb) => p.beginTransaction(cb as never));
      await rdSend(p, topic, aborted);
      await promised<unknown>((cb) => p.abortTransaction(15_000, cb as never));
    } finally {
      await rdDisconnect(p);
    }
  },

  async secureRoundTrip(endpoint, topic, values) {
    const conf = secureConf(endpoint);
    const p = await rdProducer(conf);
    try {
      await rdSend(p, topic, values.map((v, i) => ({ partition: 0, key: `k${i}`, value: v, headers: [], timestamp: null })));
    } finally {
      await rdDisconnect(p);
    }
    const c = await rdConsumer({ ...conf, 'group.id': `compat-rd-secure-${++seq}` });
    try {
      c.assign([{ topic, partition: 0, offset: 0 }]);
      return (await rdDrain(c, values.length)).map((m) => m.value ?? '');
    } finally {
      await rdDisconnect(c);
    }
  },
};
