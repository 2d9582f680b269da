import { expect } from 'chai';
import { rmSync } from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';
import { eventually } from '../helpers/eventually';
import { tempDataDir } from '../helpers/tempDir';
import { startChildBroker, type ChildBroker } from '../txn/helpers/childBroker';
import { ensureShareClient, runShareClient, type RunningShareClient } from './helpers/shareClient';
import { setGroupConfigs } from './helpers/admin';
import { atCrash, awaitSettledAcrossCrash } from './helpers/crashSettled';

const RECORDS = 200;

/** Share-partition state lives in __brook_share_state: kill -9 of the broker loses no answered acknowledgement. */
describe('share groups survive kill -9 of the broker', function () {
  this.timeout(180_000);
  const dataDir = tempDataDir();
  let broker: ChildBroker | null = null;
  const clients: RunningShareClient[] = [];

  before(async function () {
    this.timeout(20 * 60_000);
    await ensureShareClient();
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.kill()));
    await broker?.kill9();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('acknowledged records are never redelivered after the crash; records in flight are, with their delivery counts', async () => {
    broker = await startChildBroker(dataDir);
    const bootstrap = `127.0.0.1:${broker.port}`;
    const kafka = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'jobs', numPartitions: 1 }] });
    await admin.disconnect();
    await setGroupConfigs(broker.port, 'workers', { 'share.auto.offset.reset': 'earliest' });
    const producer = kafka.producer();
    await producer.connect();
    for (let i = 0; i < RECORDS; i += 10) {
      await producer.send({ topic: 'jobs', messages: Array.from({ length: 10 }, (_, j) => ({ value: `job-${i + j}` })) });
    }
    await producer.disconnect();

    const holder = await runShareClient(bootstrap, 'workers', 'jobs', 'hold', { 'max.poll.records': '10' });
    clients.push(holder);
    await eventually(() => holder.messages.length > 0, 'the holder to acquire a batch');
    const worker = await runShareClient(bootstrap, 'workers', 'jobs', 'consume', { 'max.poll.records': '10' });
    clients.push(worker);
    await eventually(() => worker.acks.length >= 50, 'the worker to have acknowledgements answered');

    await broker.kill9();
    // ACK lines come only after the broker's answer; what the worker got without one is in doubt (crashSettled.ts)
    const { answered, inDoubt } = atCrash(worker);
    const held = holder.messages.map((m) => m.offset);
    await Promise.all([holder.kill(), worker.kill()]);
    expect(answered.size).to.be.lessThan(RECORDS);

    broker = await startChildBroker(dataDir);
    const port = broker.port;
    const after = await runShareClient(`127.0.0.1:${port}`, 'workers', 'jobs', 'consume', { 'max.poll.records': '10' });
    clients.push(after);
    await awaitSettledAcrossCrash({ port, group: 'workers', topic: 'jobs', records: Array.from({ length: RECORDS }, (_, i) => i), end: BigInt(RECORDS), crash: { answered, inDoubt }, after });
    const redelivered = after.messages.filter((m) => answered.has(m.offset)).map((m) => m.offset);
    expect(redelivered, 'acknowledged before the crash but delivered again').to.deep.equal([]);
    // What the holder had in flight comes back, its first delivery remembered.
    for (const offset of held) {
      const m = after.messages.find((x) => x.offset === offset);
      expect(m, `held offset ${offset} redelivered`).to.not.equal(undefined);
      expect(m!.deliveryCount).to.equal(2);
    }
  });
});
