import { expect } from 'chai';
import { rmSync } from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';
import { eventually } from '../helpers/eventually';
import { tempDataDir } from '../helpers/tempDir';
import { startChildBroker, type ChildBroker } from '../txn/helpers/childBroker';
import { ensureShareClient, runShareClient, type RunningShareClient } from '../share/helpers/shareClient';
import { setGroupConfigs } from '../share/helpers/admin';
import { atCrash, awaitSettledAcrossCrash } from '../share/helpers/crashSettled';

const RECORDS = 300;
/** Every third source record matches the view; batches 5 and 6 (offsets 50-69) match nothing at all. */
const tagOf = (i: number) => (i % 3 === 0 && (i < 50 || i >= 70) ? 'paid' : 'new');

/** A share group on a filtered view keeps its share-partition state in __brook_share_state like any other: kill -9 loses nothing. */
describe('views: a share group on a view survives kill -9 of the broker', function () {
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

  it('acknowledged matching records are never redelivered after the crash; those in flight are, with their delivery counts; others never', async () => {
    broker = await startChildBroker(dataDir);
    const bootstrap = `127.0.0.1:${broker.port}`;
    const kafka = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'jobs', numPartitions: 1 }] });
    await admin.createTopics({ topics: [{ topic: 'jobs.paid', configEntries: [{ name: 'brook.view.of', value: 'jobs' }, { name: 'brook.view.filter', value: 'paid' }] }] });
    await admin.disconnect();
    await setGroupConfigs(broker.port, 'workers', { 'share.auto.offset.reset': 'earliest' });
    const producer = kafka.producer();
    await producer.connect();
    for (let i = 0; i < RECORDS; i += 10) {
      await producer.send({ topic: 'jobs', messages: Array.from({ length: 10 }, (_, j) => ({ value: `job-${i + j}`, headers: { 'brook-tag': tagOf(i + j) } })) });
    }
    await producer.disconnect();
    const matching = Array.from({ length: RECORDS }, (_, i) => i).filter((i) => tagOf(i) === 'paid');

    const holder = await runShareClient(bootstrap, 'workers', 'jobs.paid', 'hold', { 'max.poll.records': '5' });
    clients.push(holder);
    await eventually(() => holder.messages.length > 0, 'the holder to acquire records');
    const worker = await runShareClient(bootstrap, 'workers', 'jobs.paid', 'consume', { 'max.poll.records': '5' });
    clients.push(worker);
    await eventually(() => worker.acks.length >= 30, 'the worker to have acknowledgements answered');

    await broker.kill9();
    // ACK lines come only after the broker's answer; what the worker got without one is in doubt (crashSettled.ts)
    const { answered, inDoubt } = atCrash(worker);
    const held = holder.messages.map((m) => m.offset);
    await Promise.all([holder.kill(), worker.kill()]);
    expect(answered.size).to.be.lessThan(matching.length);

    broker = await startChildBroker(dataDir);
    const port = broker.port;
    const after = await runShareClient(`127.0.0.1:${port}`, 'workers', 'jobs.paid', 'consume', { 'max.poll.records': '5' });
    clients.push(after);
    await awaitSettledAcrossCrash({ port, group: 'workers', topic: 'jobs.paid', records: matching, end: BigInt(matching[matching.length - 1]! + 1), crash: { answered, inDoubt }, after });
    const redelivered = after.messages.filter((m) => answered.has(m.offset)).map((m) => m.offset);
    expect(redelivered, 'acknowledged before the crash but delivered again').to.deep.equal([]);
    for (const offset of held) {
      const m = after.messages.find((x) => x.offset === offset);
      expect(m, `held offset ${offset} redelivered`).to.not.equal(undefined);
      expect(m!.deliveryCount).to.equal(2);
    }
    // only matching records, each under its source offset, were ever delivered
    for (const m of [...holder.messages, ...worker.messages, ...after.messages]) {
      expect(tagOf(m.offset), `offset ${m.offset}`).to.equal('paid');
      expect(m.value).to.equal(`job-${m.offset}`);
    }
  });
});
