/**
 * Times far apart in scheduled delivery. Found by a user:
 * - records delivered in one round whose timestamps lay more than 2^31 ms (24.8 days) apart came out with
 *   corrupted timestamps (the timestamp delta was zigzag-encoded in 32 bits; it is a varlong);
 * - a schedule more than 24.8 days ahead (the maximum delay is 30 days) set a timer Node cannot hold, which it
 *   turns into 1 ms: the scheduler woke about 850 times a second, each time with a TimeoutOverflowWarning.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { eventually } from '../helpers/eventually';

const run = promisify(execFile);
const DAY = 86_400_000;

describe('scheduled delivery: times far apart', function () {
  this.timeout(60_000);
  let broker: TestBroker;
  const kafka = () => new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });

  before(async () => {
    broker = await startTestBroker();
    const admin = kafka().admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'ts-wide', numPartitions: 1 }, { topic: 'far-ahead', numPartitions: 1 }] });
    await admin.disconnect();
  });
  after(async () => broker?.destroy());

  it('keeps each producer timestamp when one round delivers timestamps weeks apart (kafkajs in, kcat out)', async () => {
    const now = Date.now();
    const sent = [now - 30 * DAY, now, 1000];
    const producer = kafka().producer();
    await producer.connect();
    await producer.send({ topic: 'ts-wide', messages: sent.map((ts, i) => ({ key: `k${i}`, value: `v${i}`, timestamp: String(ts), headers: { 'brook-deliver-at': String(now + 300) } })) });
    await producer.disconnect();
    const lines = await eventually(async () => {
      const { stdout } = await run('kcat', ['-C', '-b', broker.bootstrap, '-t', 'ts-wide', '-e', '-q', '-f', '%k %T\\n'], { timeout: 20_000 });
      const l = stdout.split('\n').filter((x) => x !== '');
      return l.length === 3 && l;
    }, 'the three records delivered', { intervalMs: 200 });
    expect(lines).to.deep.equal(sent.map((ts, i) => `k${i} ${ts}`));
  });

  it('holds a schedule 25 days ahead without a timer Node cannot set', async () => {
    const overflows: string[] = [];
    const onWarning = (w: Error) => {
      if (w.name === 'TimeoutOverflowWarning') overflows.push(w.message);
    };
    process.on('warning', onWarning);
    try {
      const producer = kafka().producer();
      await producer.connect();
      await producer.send({ topic: 'far-ahead', messages: [{ key: 'far', value: 'far', headers: { 'brook-delay-ms': String(25 * DAY) } }] });
      // a schedule due now, sent after it: its delivery is a round run after the far one set the timer
      await producer.send({ topic: 'far-ahead', messages: [{ key: 'now', value: 'now', headers: { 'brook-delay-ms': '0' } }] });
      await producer.disconnect();
      await eventually(async () => {
        const { stdout } = await run('kcat', ['-C', '-b', broker.bootstrap, '-t', 'far-ahead', '-e', '-q', '-f', '%k\\n'], { timeout: 20_000 });
        return stdout.trim() === 'now';
      }, 'the due schedule delivered', { intervalMs: 200 });
      // a warning is emitted on the tick after the timer is set, long before the later schedule's delivery
      expect(overflows).to.deep.equal([]);
    } finally {
      process.off('warning', onWarning);
    }
  });
});
