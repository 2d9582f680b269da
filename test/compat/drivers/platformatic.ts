import * as fs from 'fs';
import { readFileSync } from 'fs';
import * as path from 'path';
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka';
import type { ClientDriver, CompatMessage, ConsumedMessage, GroupProtocol, SecureEndpoint } from '../types';

// The package's exports do not include package.json: read it beside the resolved entry point.
function packageVersion(): string {
  let dir = path.dirname(require.resolve('@platformatic/kafka'));
  while (!fs.existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}
const VERSION = packageVersion();
const TIMEOUT_MS = 40_000;

function toRecord(topic: string, m: CompatMessage) {
  return { topic, partition: m.partition, key: m.key, value: m.value, headers: new Map(m.headers), timestamp: m.timestamp === null ? undefined : BigInt(m.timestamp) };
}

interface Options {
  bootstrap: string;
  secure?: SecureEndpoint;
}

function connection(o: Options) {
  const base = { clientId: 'brook-compat', bootstrapBrokers: [o.bootstrap] };
  if (!o.secure) return base;
  return {
    ...base,
    sasl: { mechanism: o.secure.mechanism, username: o.secure.username, password: o.secure.password },
    tls: { ca: readFileSync(o.secure.caFile), servername: 'localhost' },
  };
}

/** Joins the group, reads `expected` messages committing each, leaves. */
async function groupConsume(o: Options, topic: string, group: string, protocol: GroupProtocol, expected: number): Promise<ConsumedMessage[]> {
  const consumer = new Consumer({ ...connection(o), groupId: group, deserializers: stringDeserializers, maxWaitTime: 200, groupProtocol: protocol });
  const out: ConsumedMessage[] = [];
  try {
    const stream = await consumer.consume({ topics: [topic], mode: 'committed', fallbackMode: 'earliest', autocommit: false });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`@platformatic/kafka group consumed ${out.length} of ${expected}`)), TIMEOUT_MS);
      stream.on('data', (message) => {
        out.push({
          partition: message.partition,
          offset: Number(message.offset),
          key: message.key,
          value: message.value,
          headers: [...message.headers.entries()].map(([k, v]) => [String(k), String(v)] as [string, string]),
          timestamp: Number(message.timestamp),
        });
        const done = out.length >= expected;
        message.commit((err?: Error | null) => {
          if (err) reject(err);
          else if (done) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      stream.on('error', (e: Error) => {
        clearTimeout(timer);
        reject(e);
      });
    });
    await stream.close();
  } finally {
    await consumer.close(true);
  }
  return out;
}

let groupSeq = 0;

/** @platformatic/kafka: gzip, snappy and lz4 (its zstd needs a Node with zlib zstd, which Node 20 lacks). */
export const platformaticDriver: ClientDriver = {
  name: '@platformatic/kafka',
  codecs: ['none', 'gzip', 'snappy', 'lz4'],
  hasAdmin: true,
  perMessageHeaders: true,
  setsTimestamps: true,

  groupProtocols: ['classic', 'consumer'],

  async unavailableReason() {
    return null;
  },

  async version() {
    return VERSION;
  },

  groupConsume: (bootstrap, topic, group, protocol, expected) => groupConsume({ bootstrap }, topic, group, protocol, expected),

  async transactionalProduce(bootstrap, topic, transactionalId, committed, aborted) {
    const producer = new Producer({ ...connection({ bootstrap }), serializers: stringSerializers, autocreateTopics: false, idempotent: true, transactionalId });
    try {
      const ok = await producer.beginTransaction();
      await ok.send({ acks: -1, messages: committed.map((m) => toRecord(topic, m)) });
      await ok.commit();
      const bad = await producer.beginTransaction();
      await bad.send({ acks: -1, messages: aborted.map((m) => toRecord(topic, m)) });
      await bad.abort();
    } finally {
      await producer.close();
    }
  },

  async secureRoundTrip(secure, topic, values) {
    const o = { bootstrap: secure.bootstrap, secure };
    const producer = new Producer({ ...connection(o), serializers: stringSerializers, autocreateTopics: false });
    try {
      await producer.send({ acks: -1, messages: values.map((v) => ({ topic, partition: 0, value: v })) });
    } finally {
      await producer.close();
    }
    const got = await groupConsume(o, topic, `compat-secure-platformatic-${Date.now()}`, 'classic', values.length);
    return got.sort((a, b) => a.offset - b.offset).map((m) => m.value ?? '');
  },

  async createTopic(bootstrap, topic, partitions) {
    const admin = new Admin({ clientId: 'brook-compat', bootstrapBrokers: [bootstrap] });
    try {
      await admin.createTopics({ topics: [topic], partitions, replicas: 1 });
    } finally {
      await admin.close();
    }
  },

  async deleteTopic(bootstrap, topic) {
    const admin = new Admin({ clientId: 'brook-compat', bootstrapBrokers: [bootstrap] });
    try {
      await admin.deleteTopics({ topics: [topic] });
    } finally {
      await admin.close();
    }
  },

  async produce(bootstrap, topic, messages, codec) {
    const producer = new Producer({
      clientId: 'brook-compat',
      bootstrapBrokers: [bootstrap],
      serializers: stringSerializers,
      autocreateTopics: false,
    });
    try {
      await producer.send({
        acks: -1,
        compression: codec,
        messages: messages.map((m) => ({
          topic,
          partition: m.partition,
          key: m.key,
          value: m.value,
          headers: new Map(m.headers),
          timestamp: m.timestamp === null ? undefined : BigInt(m.timestamp),
        })),
      });
    } finally {
      await producer.close();
    }
  },

  async consume(bootstrap, topic, _partitions, expected) {
    const consumer = new Consumer({
      groupId: `compat-platformatic-${process.pid}-${++groupSeq}`,
      clientId: 'brook-compat',
      bootstrapBrokers: [bootstrap],
      deserializers: stringDeserializers,
      maxWaitTime: 200,
    });
    const out: ConsumedMessage[] = [];
    try {
      const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`@platformatic/kafka consumed ${out.length} of ${expected}`)), 40_000);
        stream.on('data', (message) => {
          out.push({
            partition: message.partition,
            offset: Number(message.offset),
            key: message.key,
            value: message.value,
            headers: [...message.headers.entries()].map(([k, v]) => [String(k), String(v)] as [string, string]),
            timestamp: Number(message.timestamp),
          });
          if (out.length >= expected) {
            clearTimeout(timer);
            resolve();
          }
        });
        stream.on('error', (e: Error) => {
          clearTimeout(timer);
          reject(e);
        });
      });
      await stream.close();
    } finally {
      await consumer.close(true);
    }
    return out;
  },

  async listOffsets(bootstrap, topic, partitions) {
    const consumer = new Consumer({ groupId: 'compat-offsets', clientId: 'brook-compat', bootstrapBrokers: [bootstrap] });
    try {
      const latest = await consumer.listOffsets({ topics: [topic] });
      const earliest = await consumer.listOffsets({ topics: [topic], timestamp: -2n });
      const out = new Map<number, [number, number]>();
      const lo = earliest.get(topic) ?? [];
      const hi = latest.get(topic) ?? [];
      for (let p = 0; p < partitions; p++) out.set(p, [Number(lo[p]), Number(hi[p])]);
      return out;
    } finally {
      await consumer.close();
    }
  },
};
