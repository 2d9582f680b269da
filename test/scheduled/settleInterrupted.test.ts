import { expect } from 'chai';
import { Kafka, logLevel } from 'kafkajs';
import { buildRecordBatch } from '../../protocol/records';
import { startTestBroker, tempDataDir, type TestBroker } from '../helpers/broker';
import { schedulerOf } from '../../src/scheduled/services';
import { encodeIntent } from '../../src/scheduled/records';
import { Header } from '../../src/scheduled/policy';
import { readAll } from './helpers/read';
import { rmSync } from 'node:fs';

/**
 * The crash window of a delivery round, written by hand so the test does not depend on when a kill lands:
 * an INTENT for three schedules, two of them already appended to the target, no DELIVERED. The restart
 * must mark exactly those two delivered and keep the third pending.
 */
describe('scheduled delivery: a round cut short between the move and its confirmation', function () {
  this.timeout(60_000);
  const dataDir = tempDataDir();
  let broker: TestBroker | null = null;

  after(async () => {
    await broker?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('delivers nothing twice and loses nothing', async () => {
    broker = await startTestBroker({ dataDir });
    let kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'jobs', numPartitions: 1 }] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'jobs', messages: ['a', 'b', 'c'].map((v) => ({ key: v, value: v, headers: { 'brook-delay-ms': '600000' } })) });
    await producer.disconnect();
    const scheduler = schedulerOf(broker.services)!;
    expect(scheduler.pending).to.equal(3);
    const listed = (await scheduler.list(10)).sort((x, y) => x.offset - y.offset);
    scheduler.stop();
    const journal = broker.services.logs.get('__brook_scheduled', 0)!;
    const target = broker.services.logs.get('jobs', 0)!;
    await journal.append(buildRecordBatch({ records: [encodeIntent('jobs', 0, target.logEndOffset, listed.map((l) => l.offset))] }));
    await target.append(
      buildRecordBatch({
        records: listed.slice(0, 2).map((l) => ({ key: l.key, value: l.key, headers: [{ key: Header.SCHEDULED_OFFSET, value: Buffer.from(`0:${l.offset}`) }] })),
      }),
    );
    await broker.close();

    broker = await startTestBroker({ dataDir });
    const again = schedulerOf(broker.services)!;
    expect(again.pending).to.equal(1);
    expect((await again.list(10)).map((l) => l.key?.toString())).to.deep.equal(['c']);
    kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    expect((await readAll(kafka, 'jobs')).map((r) => r.value)).to.deep.equal(['a', 'b']);
    // and a second restart settles nothing again (the DELIVERED record is durable)
    await broker.close();
    broker = await startTestBroker({ dataDir });
    expect(schedulerOf(broker.services)!.pending).to.equal(1);
  });
});
