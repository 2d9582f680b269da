import { expect } from 'chai';
import { rmSync } from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';
import { freePort } from '../helpers/freePort';
import { tempDataDir } from '../helpers/tempDir';
import { startChildBroker, type ChildBroker } from '../txn/helpers/childBroker';

/** Values of partition 0 (read_committed, kafkajs' default) until `last` arrives. */
async function readUntil(kafka: Kafka, topic: string, last: string): Promise<string[]> {
  const consumer = kafka.consumer({ groupId: `read-${Date.now()}` });
  await consumer.connect();
  const out: string[] = [];
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ message }) => {
            out.push(message.value!.toString());
            if (message.value!.toString() === last) resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return out;
}

/**
 * kill -9 while two transactions with scheduled records are open (kafkajs transactional producers): after the
 * restart (same port, so the producers carry on) the held schedules are held again; the commit delivers its
 * record, the abort drops its own.
 */
describe('scheduled delivery from transactional producers survives kill -9', function () {
  this.timeout(180_000);
  const dataDir = tempDataDir();
  let broker: ChildBroker | null = null;

  after(async () => {
    await broker?.kill9();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('open transactions at the kill: committed afterwards, delivered once; aborted afterwards, never', async () => {
    const port = await freePort();
    broker = await startChildBroker(dataDir, {}, 90_000, ['--port', String(port)]);
    const kafka = new Kafka({ brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 200, maxRetryTime: 2000 } });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'txk', numPartitions: 1 }] });
    await admin.disconnect();
    const committer = kafka.producer({ transactionalId: 'k9-commit', idempotent: true, maxInFlightRequests: 1 });
    const aborter = kafka.producer({ transactionalId: 'k9-abort', idempotent: true, maxInFlightRequests: 1 });
    await committer.connect();
    await aborter.connect();
    try {
      const t1 = await committer.transaction();
      await t1.send({ topic: 'txk', messages: [{ key: 'a', value: 'kept', headers: { 'brook-delay-ms': '0' } }, { key: 'a', value: 'kept-later', headers: { 'brook-delay-ms': '1000' } }] });
      const t2 = await aborter.transaction();
      await t2.send({ topic: 'txk', messages: [{ key: 'b', value: 'dropped', headers: { 'brook-delay-ms': '0' } }] });
      await broker.kill9();
      broker = await startChildBroker(dataDir, {}, 90_000, ['--port', String(port)]);
      await t1.commit();
      await t2.abort();
    } finally {
      await committer.disconnect();
      await aborter.disconnect();
    }
    const plain = kafka.producer();
    await plain.connect();
    await plain.send({ topic: 'txk', acks: -1, messages: [{ key: 's', value: 'sentinel', headers: { 'brook-delay-ms': '1500' } }] });
    await plain.disconnect();
    expect(await readUntil(kafka, 'txk', 'sentinel')).to.deep.equal(['kept', 'kept-later', 'sentinel']);
  });
});
