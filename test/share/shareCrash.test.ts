import { expect } from 'chai';
import { rmSync } from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';
import { eventually } from '../helpers/eventually';
import { fetchRaw, fetchRequest, recordsOf } from '../helpers/dataPath';
import { RawClient } from '../helpers/rawClient';
import { tempDataDir } from '../helpers/tempDir';
import { startChildBroker, type ChildBroker } from '../txn/helpers/childBroker';
import { ensureShareClient, runShareClient, type RunningShareClient } from './helpers/shareClient';
import { setGroupConfigs, shareStartOffset } from './helpers/admin';
import { atCrash, awaitSettledAcrossCrash } from './helpers/crashSettled';

const RECORDS = 200;

/** Share-partition state lives in __brook_share_state: kill -9 of the broker loses no answered acknowledgement. */
/** A child broker on its own data dir and the share clients run against it, all stopped after the suite. */
function crashSuite(): { dataDir: string; broker: ChildBroker | null; clients: RunningShareClient[] } {
  const suite = { dataDir: tempDataDir(), broker: null as ChildBroker | null, clients: [] as RunningShareClient[] };
  before(async function () {
    this.timeout(20 * 60_000);
    await ensureShareClient();
  });
  after(async () => {
    await Promise.all(suite.clients.map((c) => c.kill()));
    await suite.broker?.kill9();
    rmSync(suite.dataDir, { recursive: true, force: true });
  });
  return suite;
}

describe('share groups survive kill -9 of the broker', function () {
  this.timeout(180_000);
  const s = crashSuite();

  it('acknowledged records are never redelivered after the crash; records in flight are, with their delivery counts', async () => {
    s.broker = await startChildBroker(s.dataDir);
    const bootstrap = `127.0.0.1:${s.broker.port}`;
    const kafka = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'jobs', numPartitions: 1 }] });
    await admin.disconnect();
    await setGroupConfigs(s.broker.port, 'workers', { 'share.auto.offset.reset': 'earliest' });
    const producer = kafka.producer();
    await producer.connect();
    for (let i = 0; i < RECORDS; i += 10) {
      await producer.send({ topic: 'jobs', messages: Array.from({ length: 10 }, (_, j) => ({ value: `job-${i + j}` })) });
    }
    await producer.disconnect();

    const holder = await runShareClient(bootstrap, 'workers', 'jobs', 'hold', { 'max.poll.records': '10' });
    s.clients.push(holder);
    await eventually(() => holder.messages.length > 0, 'the holder to acquire a batch');
    const worker = await runShareClient(bootstrap, 'workers', 'jobs', 'consume', { 'max.poll.records': '10' });
    s.clients.push(worker);
    await eventually(() => worker.acks.length >= 50, 'the worker to have acknowledgements answered');

    await s.broker.kill9();
    // ACK lines come only after the broker's answer; what the worker got without one is in doubt (crashSettled.ts)
    const { answered, inDoubt } = atCrash(worker);
    const held = holder.messages.map((m) => m.offset);
    await Promise.all([holder.kill(), worker.kill()]);
    expect(answered.size).to.be.lessThan(RECORDS);

    s.broker = await startChildBroker(s.dataDir);
    const port = s.broker.port;
    const after = await runShareClient(`127.0.0.1:${port}`, 'workers', 'jobs', 'consume', { 'max.poll.records': '10' });
    s.clients.push(after);
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

/**
 * A crash voids acquisitions but keeps their delivery counts; a record held at the delivery limit when the broker
 * died is done, as if its holder had released it: archived and dead-lettered, never delivered once more.
 */
describe('share groups: the delivery limit holds across kill -9 of the broker', function () {
  this.timeout(120_000);
  const s = crashSuite();

  it('records held at the limit when the broker died are archived to the dead-letter topic, not delivered a third time', async () => {
    s.broker = await startChildBroker(s.dataDir);
    const kafka = new Kafka({ brokers: [`127.0.0.1:${s.broker.port}`], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'jobs', numPartitions: 1 }] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'jobs', messages: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] });
    await producer.disconnect();
    await setGroupConfigs(s.broker.port, 'limited', {
      'share.auto.offset.reset': 'earliest',
      'group.share.delivery.count.limit': '2',
      'group.share.record.lock.duration.ms': '1000',
      'errors.deadletterqueue.topic.name': 'dead.jobs',
    });

    // 1st delivery ends by lock expiry (the holder is killed), the 2nd is still held when the broker dies.
    const first = await runShareClient(`127.0.0.1:${s.broker.port}`, 'limited', 'jobs', 'hold');
    s.clients.push(first);
    await eventually(() => first.messages.length === 3, 'the first delivery');
    await first.kill();
    await setGroupConfigs(s.broker.port, 'limited', { 'group.share.record.lock.duration.ms': '60000' });
    const second = await runShareClient(`127.0.0.1:${s.broker.port}`, 'limited', 'jobs', 'hold');
    s.clients.push(second);
    await eventually(() => second.messages.length === 3, 'the second delivery');
    expect(second.messages.map((m) => m.deliveryCount)).to.deep.equal([2, 2, 2]);
    await s.broker.kill9();
    await second.kill();

    s.broker = await startChildBroker(s.dataDir);
    const port = s.broker.port;
    const after = await runShareClient(`127.0.0.1:${port}`, 'limited', 'jobs', 'consume');
    s.clients.push(after);
    await eventually(async () => (await shareStartOffset(port, 'limited', 'jobs')) === 3n, 'every record settled', { ms: 20_000, retryErrors: true });
    expect(after.messages.map((m) => `${m.offset}@${m.deliveryCount}`), 'delivered past the limit').to.deep.equal([]);

    // The copies are written before the archive, so they are there once the start offset moved.
    const raw = await RawClient.connect(port);
    try {
      const res = await fetchRaw(raw, fetchRequest([{ topic: 'dead.jobs', partition: 0, offset: 0 }]));
      const dead = recordsOf(res.responses[0]!.partitions[0]!.records);
      const h = (r: (typeof dead)[number], k: string) => r.headers.find(([key]) => key === k)?.[1];
      expect(dead.map((r) => [r.value, h(r, 'brook-dlq-offset'), h(r, 'brook-dlq-delivery-count'), h(r, 'brook-dlq-reason')])).to.deep.equal([
        ['a', '0', '2', 'delivery-limit'],
        ['b', '1', '2', 'delivery-limit'],
        ['c', '2', '2', 'delivery-limit'],
      ]);
    } finally {
      raw.close();
    }
  });
});
