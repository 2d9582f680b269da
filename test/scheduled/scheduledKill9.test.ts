import { expect } from 'chai';
import { rmSync } from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';
import { eventually } from '../helpers/eventually';
import { tempDataDir } from '../helpers/tempDir';
import { startChildBroker, type ChildBroker } from '../txn/helpers/childBroker';
import { brook } from '../ops/cliHarness';

const PENDING = 10_000;

async function endOffset(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return Number((await admin.fetchTopicOffsets(topic))[0]!.high);
  } finally {
    await admin.disconnect();
  }
}

async function readValues(kafka: Kafka, topic: string, count: number): Promise<string[]> {
  const consumer = kafka.consumer({ groupId: `check-${Date.now()}`, maxBytes: 10 << 20 });
  await consumer.connect();
  const values: string[] = [];
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer.run({
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) values.push(m.value!.toString());
          if (values.length >= count) resolve();
        },
      }).catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return values;
}

/** kill -9 while 10,000 scheduled records are pending, some of them being delivered: each arrives exactly once. */
describe('scheduled delivery survives kill -9', function () {
  this.timeout(240_000);
  const dataDir = tempDataDir();
  let broker: ChildBroker | null = null;

  after(async () => {
    await broker?.kill9();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('every acknowledged scheduled record is delivered exactly once after the restart', async () => {
    broker = await startChildBroker(dataDir);
    let kafka = new Kafka({ brokers: [`127.0.0.1:${broker.port}`], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'later', numPartitions: 1 }] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    // half fall due over a few seconds (the kill lands while they are being moved), half well after the restart
    const base = Date.now() + 3000;
    for (let i = 0; i < PENDING; i += 500) {
      const messages = Array.from({ length: 500 }, (_, j) => {
        const n = i + j;
        const at = n < PENDING / 2 ? base + Math.floor(n / 2) : base + 15_000;
        return { key: `k${n % 50}`, value: `v${n}`, headers: { 'brook-deliver-at': String(at) } };
      });
      await producer.send({ topic: 'later', messages, acks: -1 });
    }
    await producer.disconnect();
    // every produce above was acknowledged: kill as soon as deliveries have begun
    await eventually(async () => (await endOffset(kafka, 'later')) > 0, 'the first deliveries', 60_000);
    await broker.kill9();

    broker = await startChildBroker(dataDir);
    kafka = new Kafka({ brokers: [`127.0.0.1:${broker.port}`], logLevel: logLevel.NOTHING });
    await eventually(async () => (await endOffset(kafka, 'later')) >= PENDING, 'every scheduled record delivered', 120_000);
    const values = await readValues(kafka, 'later', PENDING);
    expect(values.length).to.equal(PENDING);
    expect(new Set(values).size).to.equal(PENDING);
    // the journal says every one is done (DELIVERED recorded), so nothing more can trickle in
    const bootstrap = ['--bootstrap-server', `127.0.0.1:${broker.port}`];
    await eventually(async () => {
      const listed = await brook(['scheduled', 'list', ...bootstrap, '--json']);
      return listed.code === 0 && (JSON.parse(listed.stdout) as { pending: number }).pending === 0;
    }, 'no schedule left pending');
    expect(await endOffset(kafka, 'later')).to.equal(PENDING);
  });
});
