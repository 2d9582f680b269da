import { Admin, Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka';
import type { ClientDriver, ConsumedMessage } from '../types';

let groupSeq = 0;

/** @platformatic/kafka: gzip, snappy and lz4 (its zstd needs a Node with zlib zstd, which Node 20 lacks). */
export const platformaticDriver: ClientDriver = {
  name: '@platformatic/kafka',
  codecs: ['none', 'gzip', 'snappy', 'lz4'],
  hasAdmin: true,
  perMessageHeaders: true,
  setsTimestamps: true,

  async unavailableReason() {
    return null;
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
