import { expect } from 'chai';
import { Kafka, logLevel } from 'kafkajs';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { eventually } from '../helpers/eventually';

const HOUR = 3_600_000;

/**
 * The log scheduler's own timer, not a test calling it: passes with nothing to do (a fresh broker with no
 * multi-segment log, nothing dirty) must not stop the passes after them. They once did, and retention never ran.
 */
describe('broker: the log scheduler keeps running after idle passes', function () {
  this.timeout(60_000);
  let broker: TestBroker | null = null;

  afterEach(async () => {
    await broker?.destroy();
    broker = null;
  });

  it('retention deletes expired segments of a topic written after several idle passes (kafkajs)', async () => {
    broker = await startTestBroker();
    const logs = broker.services.logs;
    // the first pass checks for idle logs (it awaits); the ones after it have nothing to await
    await eventually(() => logs.maintenancePasses >= 3, 'three scheduler passes on an idle broker', 20_000);

    const kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'log-scheduler', logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    const producer = kafka.producer();
    await admin.connect();
    await producer.connect();
    try {
      await admin.createTopics({ topics: [{ topic: 'expiring', numPartitions: 1, configEntries: [{ name: 'segment.bytes', value: '1024' }, { name: 'retention.ms', value: '600000' }] }] });
      const timestamp = String(Date.now() - HOUR);
      for (let i = 0; i < 20; i++) await producer.send({ topic: 'expiring', acks: 1, messages: [{ value: `old-${i}-${'o'.repeat(200)}`, timestamp }] });
      const log = logs.get('expiring', 0)!;
      expect(log.segmentCount).to.be.greaterThan(2);
      // the timer's passes (1 s apart) delete every closed segment: all its records are an hour old
      await eventually(() => log.segmentCount === 1, 'retention to delete the expired closed segments', 20_000);
      expect(log.logStartOffset).to.equal(log.segmentBaseOffsets()[0]);
      const offsets = await admin.fetchTopicOffsets('expiring');
      expect(Number(offsets[0]!.low)).to.equal(log.logStartOffset).and.to.be.above(0);
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
  });
});
