import type { Kafka } from 'kafkajs';

export interface ReadRecord {
  offset: string;
  key: string | null;
  value: string | null;
  timestamp: string;
  headers: Record<string, string>;
}

/** Every record of every partition of `topic` from the start (an admin offset check, then a plain fetch). */
export async function readAll(kafka: Kafka, topic: string): Promise<ReadRecord[]> {
  const admin = kafka.admin();
  await admin.connect();
  let ends: Array<{ partition: number; high: string; low: string }>;
  try {
    ends = await admin.fetchTopicOffsets(topic);
  } finally {
    await admin.disconnect();
  }
  const total = ends.reduce((n, e) => n + (Number(e.high) - Number(e.low)), 0);
  if (total === 0) return [];
  const consumer = kafka.consumer({ groupId: `read-${topic}-${Date.now()}-${Math.random()}` });
  await consumer.connect();
  const out: ReadRecord[] = [];
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ message }) => {
            const headers: Record<string, string> = {};
            for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = v === undefined ? '' : String(v);
            out.push({ offset: message.offset, key: message.key?.toString() ?? null, value: message.value?.toString() ?? null, timestamp: message.timestamp, headers });
            if (out.length >= total) resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return out;
}
