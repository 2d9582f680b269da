import { expect } from 'chai';
import { ConfigResourceTypes, Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { eventually } from '../helpers/eventually';
import { memoryLogger } from '../helpers/memoryLogger';
import { readAll } from './helpers/read';

/**
 * Scheduled delivery with kafkajs: headers, topic delay, cancel, bad input. "Not readable before its due
 * time" is checked on the broker's own clock, without timing the test: the topic stamps LogAppendTime, so
 * a delivered record's timestamp is the moment it became readable, and a marker produced right after the
 * schedule must precede it in the partition.
 */
describe('scheduled delivery (kafkajs)', function () {
  this.timeout(60_000);
  let broker: TestBroker;
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  const logger = memoryLogger();

  before(async () => {
    broker = await startTestBroker({ logger });
    kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
    producer = kafka.producer();
    await producer.connect();
  });

  after(async () => {
    await producer.disconnect();
    await admin.disconnect();
    await broker.destroy();
  });

  it('a record scheduled 2 s ahead appears after the marker produced after it, appended no earlier than its due time, in order with its key', async () => {
    await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 1, configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }] }] });
    const sentAt = Date.now();
    const ack = await producer.send({
      topic: 'orders',
      messages: [
        { key: 'k1', value: 'later-1', headers: { 'brook-delay-ms': '2000' } },
        { key: 'k1', value: 'later-2', headers: { 'brook-delay-ms': '2000' } },
      ],
    });
    expect(ack[0]!.errorCode).to.equal(0);
    await producer.send({ topic: 'orders', messages: [{ key: 'k1', value: 'marker' }] });
    const got = await eventually(async () => {
      const r = await readAll(kafka, 'orders');
      return r.length >= 3 ? r : undefined;
    }, 'the scheduled records to be delivered');
    expect(got.map((r) => r.value)).to.deep.equal(['marker', 'later-1', 'later-2']);
    const later = got[1]!;
    const scheduledAt = Number(later.headers['brook-scheduled-at']);
    expect(scheduledAt).to.be.at.least(sentAt);
    // LogAppendTime: when the broker appended it, i.e. when it became readable
    expect(Number(later.timestamp)).to.be.at.least(scheduledAt + 2000);
    expect(later.key).to.equal('k1');
    expect(later.headers['brook-delay-ms']).to.equal('2000');
  });

  it('brook-deliver-at in the past is delivered at once, through the scheduler', async () => {
    await admin.createTopics({ topics: [{ topic: 'past', numPartitions: 1 }] });
    await producer.send({ topic: 'past', messages: [{ key: 'a', value: 'v', headers: { 'brook-deliver-at': String(Date.now() - 60_000) } }] });
    const got = await eventually(async () => {
      const r = await readAll(kafka, 'past');
      return r.length === 1 ? r : undefined;
    }, 'the past-due record');
    expect(got[0]!.headers['brook-scheduled-at']).to.be.a('string');
  });

  it('brook.delivery.delay.ms altered on a live topic applies from the next produce, and removing it ends the delay', async () => {
    const logAppendTime = { name: 'message.timestamp.type', value: 'LogAppendTime' };
    await admin.createTopics({ topics: [{ topic: 'redelayed', numPartitions: 1, configEntries: [logAppendTime] }] });
    const alter = (entries: Array<{ name: string; value: string }>) =>
      admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'redelayed', configEntries: entries }] });
    const nth = (n: number) =>
      eventually(async () => {
        const r = await readAll(kafka, 'redelayed');
        return r.length >= n ? r : undefined;
      }, `${n} records in redelayed`);
    await producer.send({ topic: 'redelayed', messages: [{ key: 'a', value: 'direct-1' }] });
    expect((await nth(1))[0]!.headers['brook-scheduled-at'], 'no delay configured: written directly').to.equal(undefined);
    await alter([logAppendTime, { name: 'brook.delivery.delay.ms', value: '300' }]);
    await producer.send({ topic: 'redelayed', messages: [{ key: 'a', value: 'delayed' }] });
    const delayed = (await nth(2))[1]!;
    expect(delayed.value).to.equal('delayed');
    expect(Number(delayed.timestamp)).to.be.at.least(Number(delayed.headers['brook-scheduled-at']) + 300);
    await alter([logAppendTime]);
    await producer.send({ topic: 'redelayed', messages: [{ key: 'a', value: 'direct-2' }] });
    const direct = (await nth(3))[2]!;
    expect([direct.value, direct.headers['brook-scheduled-at']]).to.deep.equal(['direct-2', undefined]);
  });

  it('brook.delivery.delay.ms delays every record of a topic', async () => {
    await admin.createTopics({ topics: [{ topic: 'delayed', numPartitions: 1, configEntries: [{ name: 'brook.delivery.delay.ms', value: '500' }, { name: 'message.timestamp.type', value: 'LogAppendTime' }] }] });
    await producer.send({ topic: 'delayed', messages: [{ key: 'a', value: 'x' }] });
    const got = await eventually(async () => {
      const r = await readAll(kafka, 'delayed');
      return r.length === 1 ? r : undefined;
    }, 'the delayed record');
    expect(Number(got[0]!.timestamp)).to.be.at.least(Number(got[0]!.headers['brook-scheduled-at']) + 500);
  });

  it('a cancelled record never appears: cancel by key and by brook-schedule-id', async () => {
    await admin.createTopics({ topics: [{ topic: 'cancels', numPartitions: 1 }] });
    await producer.send({
      topic: 'cancels',
      messages: [
        { key: 'order-1', value: 'remind-1', headers: { 'brook-delay-ms': '1500' } },
        { key: 'order-2', value: 'remind-2a', headers: { 'brook-delay-ms': '1500', 'brook-schedule-id': 'a' } },
        { key: 'order-2', value: 'remind-2b', headers: { 'brook-delay-ms': '1500', 'brook-schedule-id': 'b' } },
        // two ids: the last one names it, as for every brook- header (it was matched on the first)
        { key: 'order-2', value: 'remind-2c', headers: { 'brook-delay-ms': '1500', 'brook-schedule-id': ['x', 'c'] } },
      ],
    });
    await producer.send({ topic: 'cancels', messages: [{ key: 'order-2', value: null, headers: { 'brook-cancel': 'c' } }] });
    await producer.send({ topic: 'cancels', messages: [{ key: 'order-1', value: null, headers: { 'brook-cancel': '' } }] });
    await producer.send({ topic: 'cancels', messages: [{ key: 'order-2', value: null, headers: { 'brook-cancel': 'a' } }] });
    // a marker due after the cancelled ones: once it is there, they would have been too
    await producer.send({ topic: 'cancels', messages: [{ key: 'end', value: 'end', headers: { 'brook-delay-ms': '1600' } }] });
    const got = await eventually(async () => {
      const r = await readAll(kafka, 'cancels');
      return r.some((x) => x.value === 'end') ? r : undefined;
    }, 'the end marker');
    expect(got.map((r) => r.value)).to.deep.equal(['remind-2b', 'end']);
  });

  describe('bad input: clear errors, nothing else changes', () => {
    const cases: Array<[string, Record<string, string>, RegExp]> = [
      ['a header that is not a number', { 'brook-delay-ms': 'soon' }, /whole number/],
      ['a negative delay', { 'brook-delay-ms': '-5' }, /must not be negative/],
      ['a delay beyond the maximum', { 'brook-delay-ms': String(31 * 24 * 3_600_000) }, /beyond brook.delivery.max.delay.ms/],
      ['an unparsable deliver-at', { 'brook-deliver-at': '2026-12-04' }, /epoch milliseconds/],
      ['cancelling what does not exist', { 'brook-cancel': '' }, /no pending scheduled record/],
    ];
    for (const [what, headers, message] of cases) {
      it(what, async () => {
        const topic = `bad-${what.replace(/\W+/g, '-')}`;
        await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
        const before = broker.services.logs.get('__brook_scheduled', 0)?.logEndOffset ?? 0;
        const p = kafka.producer({ retry: { retries: 0 } });
        await p.connect();
        try {
          const err = await p.send({ topic, messages: [{ key: 'k', value: 'v', headers }, { key: 'k2', value: 'fine' }] }).then(
            () => null,
            (e: Error & { type?: string; originalError?: Error }) => e,
          );
          expect(err, 'the produce is refused').to.not.equal(null);
          const text = `${err!.message} ${String(err!.originalError?.message ?? '')} ${JSON.stringify(err)}`;
          expect(text).to.match(/INVALID_RECORD|invalid record|CORRUPT|record/i);
        } finally {
          await p.disconnect();
        }
        expect(broker.services.logs.get('__brook_scheduled', 0)?.logEndOffset ?? 0).to.equal(before);
        const offsets = await admin.fetchTopicOffsets(topic);
        expect(offsets[0]!.high).to.equal('0');
        // the reason is in the answer's error_message (Produce v8+) and in the broker's log line
        const line = logger.entries.find((e) => e.msg === 'scheduled produce refused' && e.fields.topic === topic);
        expect(String(line?.fields.reason)).to.match(message);
      });
    }
  });
});
