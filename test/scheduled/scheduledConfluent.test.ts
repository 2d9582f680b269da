import { expect } from 'chai';
import * as path from 'node:path';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { eventually } from '../helpers/eventually';
import { runPython } from '../helpers/python';

const CLIENT = path.join(__dirname, 'helpers', 'scheduledClient.py');

interface Report {
  error: string | null;
  reason: string | null;
  offset: number;
}
interface Read {
  offset: number;
  key: string | null;
  value: string | null;
  timestamp: number;
  headers: Record<string, string | null>;
}

async function py<T>(args: string[]): Promise<T[]> {
  const out = await runPython([CLIENT, ...args]);
  if (out.code !== 0) throw new Error(`python client failed (${out.code}): ${out.err}`);
  return out.out
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .map((l) => JSON.parse(l) as T);
}

/** Scheduled delivery with confluent-kafka (librdkafka) through /usr/bin/python3. */
describe('scheduled delivery (confluent-kafka)', function () {
  this.timeout(90_000);
  let broker: TestBroker;
  let admin: Admin;
  let kafka: Kafka;

  before(async () => {
    broker = await startTestBroker();
    kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
  });

  after(async () => {
    await admin.disconnect();
    await broker.destroy();
  });

  async function high(topic: string): Promise<number> {
    return Number((await admin.fetchTopicOffsets(topic))[0]!.high);
  }

  it('a record scheduled 2 s ahead comes after the marker produced after it, appended no earlier than due, in key order; a cancelled one never appears', async () => {
    await admin.createTopics({ topics: [{ topic: 'py-orders', numPartitions: 1, configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }] }] });
    const sentAt = Date.now();
    const reports = await py<Report>([
      broker.bootstrap,
      'produce',
      'py-orders',
      JSON.stringify([
        { key: 'k', value: 'first', headers: { 'brook-delay-ms': '2000' } },
        { key: 'gone', value: 'cancelled', headers: { 'brook-delay-ms': '1000' } },
        { key: 'gone', value: null, headers: { 'brook-cancel': '' } },
        { key: 'k', value: 'marker' },
        { key: 'k', value: 'second', headers: { 'brook-delay-ms': '2000' } },
      ]),
    ]);
    expect(reports.map((r) => r.error)).to.deep.equal([null, null, null, null, null]);
    await eventually(async () => (await high('py-orders')) >= 3, 'the scheduled records delivered');
    const got = await py<Read>([broker.bootstrap, 'read', 'py-orders', '3']);
    expect(got.map((r) => r.value)).to.deep.equal(['marker', 'first', 'second']);
    for (const r of got.slice(1)) {
      expect(r.key).to.equal('k');
      const scheduledAt = Number(r.headers['brook-scheduled-at']);
      expect(scheduledAt).to.be.at.least(sentAt);
      expect(r.timestamp).to.be.at.least(scheduledAt + 2000);
    }
    expect(await high('py-orders')).to.equal(3);
  });

  it('bad input is refused with INVALID_RECORD and changes nothing', async () => {
    await admin.createTopics({ topics: [{ topic: 'py-bad', numPartitions: 1 }] });
    const journalEnd = broker.services.logs.get('__brook_scheduled', 0)?.logEndOffset ?? 0;
    const reports = await py<Report>([
      broker.bootstrap,
      'produce',
      'py-bad',
      JSON.stringify([
        { key: 'a', value: 'x', headers: { 'brook-delay-ms': 'abc' } },
        { key: 'a', value: 'x', headers: { 'brook-delay-ms': '-1' } },
        { key: 'a', value: 'x', headers: { 'brook-deliver-at': String(Date.now() + 40 * 24 * 3_600_000) } },
        { key: 'nobody', value: null, headers: { 'brook-cancel': '' } },
      ]),
    ]);
    expect(reports.map((r) => r.error)).to.deep.equal(['INVALID_RECORD', 'INVALID_RECORD', 'INVALID_RECORD', 'INVALID_RECORD']);
    expect(await high('py-bad')).to.equal(0);
    expect(broker.services.logs.get('__brook_scheduled', 0)?.logEndOffset ?? 0).to.equal(journalEnd);
  });
});
