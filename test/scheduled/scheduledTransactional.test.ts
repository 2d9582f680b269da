import { expect } from 'chai';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { schedulerOf } from '../../src/scheduled/services';
import { startTestBroker, tempDataDir, type TestBroker } from '../helpers/broker';
import { freePort } from '../helpers/freePort';
import { RawClient } from '../helpers/rawClient';
import { addPartitions, describeTxn, initProducerId, produceTxn } from '../txn/helpers/wire';
import { buildRecordBatch } from '../../protocol/records';
import { encodeSchedule, keyHash } from '../../src/scheduled/records';
import { eventually } from '../helpers/eventually';

/** Values of partition 0 read_committed (kafkajs' default) until `last` arrives. */
async function readUntil(kafka: Kafka, topic: string, last: string): Promise<Array<{ value: string; timestamp: number; headers: Record<string, string> }>> {
  const consumer = kafka.consumer({ groupId: `read-${topic}-${Date.now()}-${Math.random()}` });
  await consumer.connect();
  const out: Array<{ value: string; timestamp: number; headers: Record<string, string> }> = [];
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ message }) => {
            const headers: Record<string, string> = {};
            for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
            out.push({ value: message.value!.toString(), timestamp: Number(message.timestamp), headers });
            if (message.value!.toString() === last) resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return out;
}

/**
 * Scheduled records produced in a transaction (kafkajs transactional producer): `__brook_scheduled` takes part
 * in the transaction, the schedules are held until its marker, then they fall due as any other (commit) or are
 * dropped unseen (abort).
 */
describe('scheduled delivery from transactional producers (kafkajs)', function () {
  this.timeout(90_000);
  let broker: TestBroker;
  let kafka: Kafka;
  let admin: Admin;

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

  it('commit: delivered when due, not before the commit even when already due; abort: never delivered', async () => {
    await admin.createTopics({ topics: [{ topic: 'txn-sched', numPartitions: 1, configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }] }] });
    const producer = kafka.producer({ transactionalId: 'sched-tx', idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const scheduler = schedulerOf(broker.services)!;
    try {
      const t1 = await producer.transaction();
      await t1.send({ topic: 'txn-sched', messages: [{ key: 'a', value: 'due-now', headers: { 'brook-delay-ms': '0' } }] });
      await t1.send({ topic: 'txn-sched', messages: [{ key: 'a', value: 'later', headers: { 'brook-delay-ms': '1500' } }] });
      await t1.send({ topic: 'txn-sched', messages: [{ key: 'a', value: 'plain-1' }] });
      // held until the marker: not pending, so not delivered although 'due-now' is due
      expect(scheduler.producers.holds.size).to.equal(2);
      expect(scheduler.pending).to.equal(0);
      await t1.commit();
      expect(scheduler.producers.holds.size).to.equal(0);

      const t2 = await producer.transaction();
      await t2.send({ topic: 'txn-sched', messages: [{ key: 'b', value: 'aborted-now', headers: { 'brook-delay-ms': '0' } }] });
      await t2.send({ topic: 'txn-sched', messages: [{ key: 'b', value: 'aborted-later', headers: { 'brook-delay-ms': '500' } }] });
      await t2.send({ topic: 'txn-sched', messages: [{ key: 'b', value: 'plain-2' }] });
      await t2.abort();
      expect(scheduler.producers.holds.size).to.equal(0);
    } finally {
      await producer.disconnect();
    }
    // a sentinel due after everything above: once it is there, anything the abort let through would be too
    const plain = kafka.producer();
    await plain.connect();
    await plain.send({ topic: 'txn-sched', messages: [{ key: 's', value: 'sentinel', headers: { 'brook-delay-ms': '2500' } }] });
    await plain.disconnect();
    const got = await readUntil(kafka, 'txn-sched', 'sentinel');
    expect(got.map((r) => r.value)).to.deep.equal(['plain-1', 'due-now', 'later', 'sentinel']);
    const later = got[2]!;
    expect(later.timestamp).to.be.at.least(Number(later.headers['brook-scheduled-at']) + 1500);
    await eventually(async () => scheduler.pending === 0 || undefined, 'nothing pending');
    expect(scheduler.producers.sequences.size).to.equal(0);
  });

  it('a restart with a transaction open: its held schedules are replayed as held, and its commit then delivers them; an abort after a restart drops them', async () => {
    const dataDir = tempDataDir();
    const port = await freePort();
    let b = await startTestBroker({ dataDir, port });
    const k = new Kafka({ brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 100 } });
    const a = k.admin();
    await a.connect();
    await a.createTopics({ topics: [{ topic: 'txn-restart', numPartitions: 1 }] });
    await a.disconnect();
    const committer = k.producer({ transactionalId: 'restart-commit', idempotent: true, maxInFlightRequests: 1 });
    const aborter = k.producer({ transactionalId: 'restart-abort', idempotent: true, maxInFlightRequests: 1 });
    await committer.connect();
    await aborter.connect();
    try {
      const t1 = await committer.transaction();
      await t1.send({ topic: 'txn-restart', messages: [{ key: 'a', value: 'kept', headers: { 'brook-delay-ms': '0' } }] });
      const t2 = await aborter.transaction();
      await t2.send({ topic: 'txn-restart', messages: [{ key: 'b', value: 'dropped', headers: { 'brook-delay-ms': '0' } }] });
      expect(schedulerOf(b.services)!.producers.holds.size).to.equal(2);
      await b.close();
      b = await startTestBroker({ dataDir, port });
      expect(schedulerOf(b.services)!.producers.holds.size, 'held again after the replay').to.equal(2);
      expect(schedulerOf(b.services)!.pending).to.equal(0);
      await t1.commit();
      await t2.abort();
      expect(schedulerOf(b.services)!.producers.holds.size).to.equal(0);
      const plain = k.producer();
      await plain.connect();
      await plain.send({ topic: 'txn-restart', messages: [{ key: 's', value: 'sentinel', headers: { 'brook-delay-ms': '500' } }] });
      await plain.disconnect();
      expect((await readUntil(k, 'txn-restart', 'sentinel')).map((r) => r.value)).to.deep.equal(['kept', 'sentinel']);
    } finally {
      await committer.disconnect();
      await aborter.disconnect();
      await b.destroy();
    }
  });

  it('a transaction the coordinator aborts on timeout: its held schedules are dropped, and a hold of that epoch written after the abort marker is dropped at once', async () => {
    await admin.createTopics({ topics: [{ topic: 'txn-timeout', numPartitions: 1 }] });
    const scheduler = schedulerOf(broker.services)!;
    const c = await RawClient.connect(broker.port);
    try {
      const init = await initProducerId(c, 'sched-timeout', 1000);
      const [pid, epoch] = [init.producerId, init.producerEpoch];
      expect(await addPartitions(c, 'sched-timeout', pid, epoch, 'txn-timeout', [0])).to.deep.equal([0]);
      const batch = buildRecordBatch({ records: [{ key: Buffer.from('t'), value: Buffer.from('never'), headers: [{ key: 'brook-delay-ms', value: Buffer.from('0') }] }], producerId: pid, producerEpoch: epoch, baseSequence: 0, transactional: true });
      expect((await produceTxn(c, 'sched-timeout', 'txn-timeout', 0, batch)).errorCode).to.equal(0);
      expect(scheduler.producers.holds.size).to.equal(1);
      await eventually(async () => (await describeTxn(c, 'sched-timeout')).transactionState === 'CompleteAbort' || undefined, 'the coordinator aborts the timed-out transaction');
      expect(scheduler.producers.holds.size).to.equal(0);
      // a write of that transaction's schedules that lost the race against its abort marker
      const late = encodeSchedule({ due: Date.now(), scheduledAt: Date.now(), topic: 'txn-timeout', partition: 0, keyHash: keyHash('txn-timeout', null), key: null }, Buffer.from('late'), [], BigInt(Date.now()));
      const out = await scheduler.schedule([late], [], -1, 5000, { topic: 'txn-timeout', partition: 0, producerId: pid, epoch, firstSeq: 1, lastSeq: 1, transactional: true });
      expect(out.errorCode).to.equal(0);
      expect(scheduler.producers.holds.size).to.equal(0);
      expect(scheduler.pending).to.equal(0);
    } finally {
      c.close();
    }
  });
});
