import { CompressionCodecs, CompressionTypes, Kafka, logLevel } from 'kafkajs';
import * as snappy from 'snappy';
import * as lz4 from 'lz4-napi';
import * as zstd from 'zstd-napi';
import type { ClientDriver, Codec, CompatMessage, ConsumedMessage } from '../types';
import { KAFKAJS_VERSION, kafkajsGroupConsume, kafkajsSecureRoundTrip, kafkajsTransaction } from './kafkajsScenarios';

/**
 * kafkajs ships only gzip; users plug in the other codecs. These plug-ins play
 * that role with the raw libraries (raw snappy like librdkafka, LZ4 frames,
 * zstd frames), so Brook sees what such a kafkajs producer sends.
 */
interface KafkajsEncoder {
  buffer: Buffer;
}
function registerCodecs(): void {
  CompressionCodecs[CompressionTypes.Snappy] = () => ({
    compress: async (e: KafkajsEncoder) => snappy.compressSync(e.buffer),
    decompress: async (b: Buffer) => snappy.uncompressSync(b) as Buffer,
  });
  CompressionCodecs[CompressionTypes.LZ4] = () => ({
    compress: async (e: KafkajsEncoder) => lz4.compressFrameSync(e.buffer),
    decompress: async (b: Buffer) => lz4.decompressFrameSync(b),
  });
  CompressionCodecs[CompressionTypes.ZSTD] = () => ({
    compress: async (e: KafkajsEncoder) => zstd.compress(e.buffer),
    decompress: async (b: Buffer) => zstd.decompress(b),
  });
}
registerCodecs();

const CODEC_TYPES: Record<Codec, CompressionTypes> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
};

function client(bootstrap: string): Kafka {
  return new Kafka({ clientId: 'brook-compat', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 3 } });
}

let groupSeq = 0;

export const kafkajsDriver: ClientDriver = {
  name: 'kafkajs',
  codecs: ['none', 'gzip', 'snappy', 'lz4', 'zstd'],
  hasAdmin: true,
  perMessageHeaders: true,
  setsTimestamps: true,

  groupProtocols: ['classic'],
  notApplicable: { 'group consumer': 'kafkajs 2.2 has no KIP-848 consumer (classic protocol only)' },

  async unavailableReason() {
    return null;
  },

  async version() {
    return KAFKAJS_VERSION;
  },

  groupConsume: (bootstrap, topic, group, _protocol, expected) => kafkajsGroupConsume(client(bootstrap), topic, group, expected),
  transactionalProduce: (bootstrap, topic, id, committed, aborted) => kafkajsTransaction(client(bootstrap), topic, id, committed, aborted),
  secureRoundTrip: kafkajsSecureRoundTrip,

  async createTopic(bootstrap, topic, partitions) {
    const admin = client(bootstrap).admin();
    await admin.connect();
    try {
      const created = await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
      if (!created) throw new Error(`topic ${topic} already existed`);
    } finally {
      await admin.disconnect();
    }
  },

  async deleteTopic(bootstrap, topic) {
    const admin = client(bootstrap).admin();
    await admin.connect();
    try {
      await admin.deleteTopics({ topics: [topic] });
    } finally {
      await admin.disconnect();
    }
  },

  async produce(bootstrap, topic, messages: CompatMessage[], codec) {
    const producer = client(bootstrap).producer({ allowAutoTopicCreation: false });
    await producer.connect();
    try {
      await producer.send({
        topic,
        acks: -1,
        compression: CODEC_TYPES[codec],
        messages: messages.map((m) => ({
          partition: m.partition,
          key: m.key,
          value: m.value,
          headers: Object.fromEntries(m.headers),
          timestamp: m.timestamp === null ? undefined : String(m.timestamp),
        })),
      });
    } finally {
      await producer.disconnect();
    }
  },

  async consume(bootstrap, topic, _partitions, expected) {
    const consumer = client(bootstrap).consumer({ groupId: `compat-kafkajs-${process.pid}-${++groupSeq}`, maxWaitTimeInMs: 200 });
    const out: ConsumedMessage[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`kafkajs consumed ${out.length} of ${expected}`)), 40_000);
        consumer
          .run({
            eachMessage: async ({ partition, message }) => {
              out.push({
                partition,
                offset: Number(message.offset),
                key: message.key ? message.key.toString() : null,
                value: message.value ? message.value.toString() : null,
                headers: Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)] as [string, string]),
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
  },

  async listOffsets(bootstrap, topic) {
    const admin = client(bootstrap).admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(topic);
      return new Map(offsets.map((o) => [o.partition, [Number(o.low), Number(o.high)] as [number, number]]));
    } finally {
      await admin.disconnect();
    }
  },
};
