import { expect } from 'chai';
import { Kafka, logLevel } from 'kafkajs';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { brook } from '../ops/cliHarness';

/**
 * `brook scheduled list` reads `__brook_scheduled` past a transaction's commit marker (a transactional
 * producer's schedules enlist it in the transaction), and reports schedules written after it.
 */
describe('brook scheduled list after a transactional schedule (kafkajs)', function () {
  this.timeout(60_000);
  let broker: TestBroker;

  before(async () => {
    broker = await startTestBroker();
  });

  after(() => broker.destroy());

  it('lists the committed transactional schedule and the plain one written after its marker', async () => {
    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'txn-reminders', numPartitions: 1 }] });
    await admin.disconnect();
    const tx = kafka.producer({ transactionalId: 'cli-list-tx', idempotent: true, maxInFlightRequests: 1 });
    await tx.connect();
    const t = await tx.transaction();
    await t.send({ topic: 'txn-reminders', messages: [{ key: 'in-txn', value: 'a', headers: { 'brook-delay-ms': '600000' } }] });
    await t.commit();
    await tx.disconnect();
    const plain = kafka.producer();
    await plain.connect();
    await plain.send({ topic: 'txn-reminders', messages: [{ key: 'after-marker', value: 'b', headers: { 'brook-delay-ms': '600000' } }] });
    await plain.disconnect();

    const out = await brook(['scheduled', 'list', '--bootstrap-server', broker.bootstrap, '--json', '-t', 'txn-reminders']);
    expect(out.code, out.stderr).to.equal(0);
    const parsed = JSON.parse(out.stdout) as { pending: number; records: Array<{ key: string }> };
    expect(parsed.records.map((r) => r.key).sort()).to.deep.equal(['after-marker', 'in-txn']);
    expect(parsed.pending).to.equal(2);
  });
});
