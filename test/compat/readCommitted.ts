import { Kafka, logLevel } from 'kafkajs';

let seq = 0;

/**
 * Every value a read_committed consumer (kafkajs, the reference client) sees in `topic`. To know it has read
 * past both transactions, it first appends a plain end marker to every partition and reads until it has
 * seen them all; the markers are left out of the result.
 */
export async function readCommittedValues(bootstrap: string, topic: string, partitions: number): Promise<string[]> {
  const kafka = new Kafka({ clientId: 'brook-compat-reference', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const marker = `end-marker-${Date.now()}`;
  const producer = kafka.producer();
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: Array.from({ length: partitions }, (_, p) => ({ partition: p, value: marker })) });
  } finally {
    await producer.disconnect();
  }
  const consumer = kafka.consumer({ groupId: `compat-read-committed-${process.pid}-${++seq}`, readUncommitted: false, maxWaitTimeInMs: 200 });
  const values: string[] = [];
  const ended = new Set<number>();
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read_committed consumer saw end markers of ${ended.size}/${partitions} partitions`)), 40_000);
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            const v = message.value?.toString() ?? '';
            if (v === marker) ended.add(partition);
            else values.push(v);
            if (ended.size === partitions) {
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
  return values;
}
