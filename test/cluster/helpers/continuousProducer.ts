import { Kafka, logLevel, type Producer } from 'kafkajs';

/**
 * An idempotent acks=all kafkajs producer writing numbered values to one
 * partition until stopped; `acked` holds exactly the values the broker
 * acknowledged, in order (one message in flight at a time).
 */
export class ContinuousProducer {
  readonly acked: string[] = [];
  readonly errors: string[] = [];
  private running = true;
  private readonly loop: Promise<void>;
  private readonly producer: Producer;

  private constructor(producer: Producer, topic: string, partition: number, valueBytes: number) {
    this.producer = producer;
    const pad = 'x'.repeat(Math.max(0, valueBytes - 12));
    this.loop = (async () => {
      for (let i = 0; this.running; i++) {
        const value = `v${String(i).padStart(10, '0')}${pad}`;
        try {
          await producer.send({ topic, acks: -1, timeout: 30_000, messages: [{ partition, value }] });
          this.acked.push(value);
        } catch (err) {
          this.errors.push((err as Error).message);
        }
      }
    })();
  }

  static async start(bootstrap: string[], topic: string, partition = 0, valueBytes = 100): Promise<ContinuousProducer> {
    const kafka = new Kafka({ clientId: 'reassign-producer', brokers: bootstrap, logLevel: logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 } });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    return new ContinuousProducer(producer, topic, partition, valueBytes);
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    await this.producer.disconnect();
  }
}

/** Reads one topic from the start with a kafkajs consumer until every value of `expected` arrived (or the deadline). */
export async function readAll(bootstrap: string[], topic: string, expected: readonly string[], ms = 60_000): Promise<string[]> {
  const missing = new Set(expected);
  const kafka = new Kafka({ clientId: 'reassign-reader', brokers: bootstrap, logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
  const consumer = kafka.consumer({ groupId: `reader-${topic}-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const read: string[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${read.length}; ${missing.size} of ${expected.length} acknowledged values missing`)), ms);
      void consumer.run({
        eachMessage: async ({ message }) => {
          const value = message.value!.toString();
          read.push(value);
          missing.delete(value);
          if (missing.size === 0) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return read;
}
