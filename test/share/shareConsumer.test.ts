import { expect } from 'chai';
import { Kafka, logLevel, type KafkaMessage, type Producer } from 'kafkajs';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { eventually } from '../helpers/eventually';
import { runShareClient, ensureShareClient, type RunningShareClient } from './helpers/shareClient';
import { setGroupConfigs } from './helpers/admin';

const ACCEPT = 1;
const REJECT = 3;

/** Share groups with a real share consumer: librdkafka 2.15.1's C API (test/share/shareclient.c). */
describe('share groups with the librdkafka share consumer', function () {
  this.timeout(120_000);
  let broker: TestBroker;
  let kafka: Kafka;
  let producer: Producer;
  const clients: RunningShareClient[] = [];
  const start = async (group: string, topic: string, mode: 'consume' | 'hold', conf: Record<string, string> = {}) => {
    const c = await runShareClient(broker.bootstrap, group, topic, mode, conf);
    clients.push(c);
    return c;
  };

  before(async function () {
    this.timeout(20 * 60_000); // the first run builds librdkafka into the cache
    await ensureShareClient();
    broker = await startTestBroker();
    kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    producer = kafka.producer();
    await producer.connect();
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.kill()));
  });

  after(async () => {
    await producer.disconnect();
    await broker.destroy();
  });

  async function topicWithGroup(topic: string, group: string, configs: Record<string, string>): Promise<void> {
    await broker.services.metadata.createTopic(topic, { partitions: 1 });
    await setGroupConfigs(broker.port, group, { 'share.auto.offset.reset': 'earliest', ...configs });
  }

  it('two consumers in one share group on a one-partition topic both receive work, each record accepted once', async () => {
    await topicWithGroup('shared-1p', 'g-two', {});
    const a = await start('g-two', 'shared-1p', 'consume', { 'max.poll.records': '5' });
    const b = await start('g-two', 'shared-1p', 'consume', { 'max.poll.records': '5' });
    let sent = 0;
    await eventually(async () => {
      await producer.send({ topic: 'shared-1p', messages: Array.from({ length: 5 }, () => ({ value: `w${sent++}` })) });
      return a.messages.length > 0 && b.messages.length > 0;
    }, 'both consumers to receive records');
    await eventually(() => a.acks.length + b.acks.length === sent, 'every record acknowledged');
    const accepted = [...a.acks, ...b.acks].filter((x) => x.type === ACCEPT).map((x) => x.offset);
    expect(new Set(accepted).size).to.equal(sent);
  });

  it('a RELEASEd record comes back after the redelivery back-off with delivery count 2', async () => {
    await topicWithGroup('backoff', 'g-backoff', { 'brook.share.redelivery.backoff': '1s,5s,10s,30s,1m,2m' });
    const c = await start('g-backoff', 'backoff', 'consume');
    await producer.send({ topic: 'backoff', messages: [{ value: 'release:job-1' }] });
    const first = await eventually(() => c.messages.find((m) => m.value === 'release:job-1'), 'first delivery');
    expect(first.deliveryCount).to.equal(1);
    const second = await eventually(() => c.messages.find((m) => m.value === 'release:job-1' && m.deliveryCount === 2), 'redelivery');
    // The back-off is a rule here, not a speed: the consumer's own clock saw the record again no sooner than 1 s after it first had it.
    expect(second.receivedMs - first.receivedMs).to.be.at.least(1000);
    expect(second.offset).to.equal(first.offset);
    await eventually(() => c.acks.some((x) => x.offset === first.offset && x.type === ACCEPT), 'acceptance of the redelivered record');
  });

  it('a record that is never acknowledged comes back, to another member, once its lock expires', async () => {
    await topicWithGroup('locks', 'g-lock', { 'group.share.record.lock.duration.ms': '1000' });
    const holder = await start('g-lock', 'locks', 'hold');
    await producer.send({ topic: 'locks', messages: [{ value: 'slow-job' }] });
    const held = await eventually(() => holder.messages.find((m) => m.value === 'slow-job'), 'the holder to get the record');
    expect(held.deliveryCount).to.equal(1);
    // kill -9: the holder neither acknowledges nor closes its share session, and its member stays in the group
    // for the session timeout (45 s), so only the 1 s lock can free the record within this test's 20 s wait. A
    // holder left running could acquire it again itself when the lock ends.
    await holder.kill();
    const other = await start('g-lock', 'locks', 'consume');
    const again = await eventually(() => other.messages.find((m) => m.value === 'slow-job'), 'redelivery after the lock expired');
    expect(again.deliveryCount).to.equal(2);
    expect(again.offset).to.equal(held.offset);
  });

  it('REJECT and the delivery limit send the record to the dead-letter topic with the documented headers', async () => {
    await topicWithGroup('orders', 'g-dlq', {
      'errors.deadletterqueue.topic.name': 'dlq.orders',
      'group.share.delivery.count.limit': '2',
    });
    const c = await start('g-dlq', 'orders', 'consume');
    await producer.send({ topic: 'orders', messages: [{ key: 'k1', value: 'reject:poison', headers: { app: 'x' } }, { value: 'fail:flaky' }, { value: 'fine' }] });
    await eventually(() => c.messages.filter((m) => m.value === 'fail:flaky').length === 2, 'the failing record delivered twice');
    await eventually(() => c.acks.some((x) => x.value === 'reject:poison' && x.type === REJECT), 'the rejection');
    const dead: KafkaMessage[] = [];
    const consumer = kafka.consumer({ groupId: 'dlq-reader' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'dlq.orders', fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void dead.push(message) });
    try {
      await eventually(() => dead.length >= 2, 'two records on the dead-letter topic');
    } finally {
      await consumer.disconnect();
    }
    const h = (m: KafkaMessage, k: string) => m.headers?.[k]?.toString();
    const rejected = dead.find((m) => m.value?.toString() === 'reject:poison')!;
    expect(rejected.key?.toString()).to.equal('k1');
    expect(h(rejected, 'app')).to.equal('x');
    expect(h(rejected, 'brook-dlq-topic')).to.equal('orders');
    expect(h(rejected, 'brook-dlq-partition')).to.equal('0');
    expect(h(rejected, 'brook-dlq-offset')).to.equal('0');
    expect(h(rejected, 'brook-dlq-group')).to.equal('g-dlq');
    expect(h(rejected, 'brook-dlq-delivery-count')).to.equal('1');
    expect(h(rejected, 'brook-dlq-reason')).to.equal('rejected');
    expect(Number(h(rejected, 'brook-dlq-time'))).to.be.greaterThan(0);
    const limited = dead.find((m) => m.value?.toString() === 'fail:flaky')!;
    expect(h(limited, 'brook-dlq-offset')).to.equal('1');
    expect(h(limited, 'brook-dlq-delivery-count')).to.equal('2');
    expect(h(limited, 'brook-dlq-reason')).to.equal('delivery-limit');
    expect(dead.some((m) => m.value?.toString() === 'fine')).to.equal(false);
    expect(broker.services.metadata.topic('dlq.orders')!.partitions).to.equal(1);
  });
});
