import * as fs from 'fs';
import { Kafka, logLevel, type Message } from 'kafkajs';
import type { CompatMessage, ConsumedMessage, SecureEndpoint } from '../types';

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const KAFKAJS_VERSION: string = (require('kafkajs/package.json') as { version: string }).version;

const TIMEOUT_MS = 40_000;
let seq = 0;

function toKafkajs(m: CompatMessage): Message {
  return { partition: m.partition, key: m.key, value: m.value, headers: Object.fromEntries(m.headers), timestamp: m.timestamp === null ? undefined : String(m.timestamp) };
}

/** Joins the group, reads `expected` messages committing each one's next offset, leaves. */
export async function kafkajsGroupConsume(kafka: Kafka, topic: string, group: string, expected: number): Promise<ConsumedMessage[]> {
  const consumer = kafka.consumer({ groupId: group, maxWaitTimeInMs: 200 });
  const out: ConsumedMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`kafkajs group consumed ${out.length} of ${expected}`)), TIMEOUT_MS);
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            out.push({
              partition,
              offset: Number(message.offset),
              key: message.key?.toString() ?? null,
              value: message.value?.toString() ?? null,
              headers: Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)] as [string, string]),
              timestamp: Number(message.timestamp),
            });
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
}

export async function kafkajsTransaction(kafka: Kafka, topic: string, transactionalId: string, committed: CompatMessage[], aborted: CompatMessage[]): Promise<void> {
  const producer = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    const ok = await producer.transaction();
    await ok.send({ topic, acks: -1, messages: committed.map(toKafkajs) });
    await ok.commit();
    const bad = await producer.transaction();
    await bad.send({ topic, acks: -1, messages: aborted.map(toKafkajs) });
    await bad.abort();
  } finally {
    await producer.disconnect();
  }
}

export async function kafkajsSecureRoundTrip(e: SecureEndpoint, topic: string, values: string[]): Promise<string[]> {
  const kafka = new Kafka({
    clientId: 'brook-compat',
    brokers: [e.bootstrap],
    logLevel: logLevel.NOTHING,
    ssl: { ca: [fs.readFileSync(e.caFile, 'utf8')], servername: 'localhost' },
    sasl: { mechanism: 'plain', username: e.username, password: e.password },
  });
  const producer = kafka.producer();
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: values.map((v) => ({ partition: 0, value: v })) });
  } finally {
    await producer.disconnect();
  }
  const got = await kafkajsGroupConsume(kafka, topic, `compat-secure-${process.pid}-${++seq}`, values.length);
  return got.sort((a, b) => a.offset - b.offset).map((m) => m.value ?? '');
}
