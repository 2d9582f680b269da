import { expect } from 'chai';
import { ErrorCode } from '../../protocol/errors';
import { rmSync } from 'node:fs';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { decodeRecordBatches } from '../../protocol/records';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { fetchRaw, fetchRequest } from '../helpers/dataPath';
import { RawClient } from '../helpers/rawClient';
import { tempDataDir } from '../helpers/tempDir';
import { startChildBroker } from './helpers/childBroker';
import { runPython } from './helpers/python';
import { describeTxn } from './helpers/wire';
import { eventually } from '../helpers/eventually';

/** Consumes `topic` with kafkajs until `count` messages arrived (or the deadline passes); returns their values. */
async function consumeAll(kafka: Kafka, topic: string, readUncommitted: boolean, count: number, timeoutMs = 20_000): Promise<string[]> {
  const consumer: Consumer = kafka.consumer({ groupId: `check-${topic}-${readUncommitted}-${Date.now()}`, readUncommitted, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const got: string[] = [];
  let wake: () => void = () => undefined;
  const enough = new Promise<void>((resolve) => (wake = resolve));
  await consumer.run({
    eachMessage: async ({ message }) => {
      got.push(message.value!.toString());
      if (got.length >= count) wake();
    },
  });
  const timer = setTimeout(wake, timeoutMs);
  await enough;
  clearTimeout(timer);
  await consumer.disconnect();
  return got;
}

describe('transactions with real clients', function () {
  this.timeout(120_000);
  let broker: TestBroker;

  beforeEach(async () => {
    broker = await startTestBroker({ config: { 'num.partitions': '1' } });
  });
  afterEach(async () => {
    await broker.destroy();
  });

  it('kafkajs consume-transform-produce: output and consumed offsets commit together; an aborted transaction stays invisible to read_committed', async () => {
    for (const t of ['in', 'out']) await broker.services.metadata.createTopic(t, { partitions: 1, configs: {} });
    const kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'ctp', logLevel: logLevel.NOTHING });
    const plain = kafka.producer();
    await plain.connect();
    const inputs = Array.from({ length: 30 }, (_, i) => `in-${i}`);
    await plain.send({ topic: 'in', messages: inputs.map((value) => ({ value })) });
    await plain.disconnect();

    // a transaction that aborts, interleaved with the loop's output
    const junk = kafka.producer({ transactionalId: 'junk', idempotent: true, maxInFlightRequests: 1 });
    await junk.connect();
    const junkTxn = await junk.transaction();
    await junkTxn.send({ topic: 'out', messages: [{ value: 'junk-1' }, { value: 'junk-2' }] });

    const producer = kafka.producer({ transactionalId: 'ctp-loop', idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const consumer = kafka.consumer({ groupId: 'ctp', maxWaitTimeInMs: 100, maxBytesPerPartition: 200 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'in', fromBeginning: true });
    let processed = 0;
    let done: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => (done = resolve));
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const txn = await producer.transaction();
        await txn.send({ topic: 'out', messages: batch.messages.map((m) => ({ value: m.value!.toString().toUpperCase() })) });
        await txn.sendOffsets({ consumerGroupId: 'ctp', topics: [{ topic: 'in', partitions: [{ partition: 0, offset: String(Number(batch.lastOffset()) + 1) }] }] });
        await txn.commit();
        processed += batch.messages.length;
        if (processed >= inputs.length) done();
      },
    });
    await finished;
    await consumer.disconnect();
    await producer.disconnect();
    await junkTxn.abort();
    await junk.disconnect();

    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchOffsets({ groupId: 'ctp', topics: ['in'] });
    await admin.disconnect();
    expect(offsets[0].partitions[0].offset).to.equal('30');
    expect(await consumeAll(kafka, 'out', false, 30)).to.deep.equal(inputs.map((v) => v.toUpperCase()));
    const all = await consumeAll(kafka, 'out', true, 32);
    expect(all).to.have.length(32);
    expect(all.filter((v) => v.startsWith('junk'))).to.deep.equal(['junk-1', 'junk-2']);
  });

  it('kafkajs: a producer that died mid-transaction is fenced by its successor and its messages never become visible', async () => {
    await broker.services.metadata.createTopic('fence', { partitions: 1, configs: {} });
    const kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'fence', logLevel: logLevel.NOTHING, retry: { retries: 2, initialRetryTime: 20 } });
    const zombie = kafka.producer({ transactionalId: 'fence-tx', idempotent: true, maxInFlightRequests: 1 });
    await zombie.connect();
    const zombieTxn = await zombie.transaction();
    await zombieTxn.send({ topic: 'fence', messages: [{ value: 'zombie-0' }, { value: 'zombie-1' }] });
    // the zombie goes silent here; its successor takes over the transactional id
    const successor = kafka.producer({ transactionalId: 'fence-tx', idempotent: true, maxInFlightRequests: 1 });
    await successor.connect();
    const txn = await successor.transaction();
    await txn.send({ topic: 'fence', messages: [{ value: 'live-0' }] });
    await txn.commit();
    let fenced: Error | null = null;
    try {
      await zombieTxn.commit();
    } catch (err) {
      fenced = err as Error;
    }
    expect(fenced, 'the zombie commit must fail').to.include({ name: 'KafkaJSProtocolError', type: 'INVALID_PRODUCER_EPOCH', code: ErrorCode.INVALID_PRODUCER_EPOCH });
    await successor.disconnect();
    await zombie.disconnect().catch(() => undefined);
    expect(await consumeAll(kafka, 'fence', false, 1)).to.deep.equal(['live-0']);
    expect(await consumeAll(kafka, 'fence', true, 3)).to.deep.equal(['zombie-0', 'zombie-1', 'live-0']);
  });

  it('confluent-kafka (librdkafka) consume-transform-produce: output once and the group offsets committed with it', async () => {
    for (const t of ['lin', 'lout']) await broker.services.metadata.createTopic(t, { partitions: 1, configs: {} });
    const kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'lctp', logLevel: logLevel.NOTHING });
    const plain = kafka.producer();
    await plain.connect();
    const inputs = Array.from({ length: 40 }, (_, i) => `lin-${i}`);
    await plain.send({ topic: 'lin', messages: inputs.map((value) => ({ value })) });
    await plain.disconnect();
    const res = await runPython<{ ok: boolean; error: string | null }>('confluent_txn.py', { bootstrap: broker.bootstrap, group: 'lctp', txnId: 'lctp-tx', input: 'lin', output: 'lout', count: 40 }, 'ctp');
    expect(res.error).to.equal(null);
    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchOffsets({ groupId: 'lctp', topics: ['lin'] });
    await admin.disconnect();
    expect(offsets[0].partitions[0].offset).to.equal('40');
    expect(await consumeAll(kafka, 'lout', false, 40)).to.deep.equal(inputs.map((v) => v.toUpperCase()));
  });

  it('confluent-kafka (librdkafka): aborted messages are invisible to read_committed and visible to read_uncommitted', async () => {
    await broker.services.metadata.createTopic('lib', { partitions: 1, configs: {} });
    const produced = await runPython<{ ok: boolean; error?: string }>('confluent_txn.py', {
      bootstrap: broker.bootstrap,
      txnId: 'lib-tx',
      topic: 'lib',
      plan: [['c', 10, true], ['a', 10, false], ['d', 5, true]],
    }, 'produce');
    expect(produced.error ?? null).to.equal(null);
    const committed = await runPython<{ ok: boolean; error?: string; values: string[] }>('confluent_txn.py', { bootstrap: broker.bootstrap, group: 'rc', topic: 'lib', isolation: 'read_committed' }, 'consume');
    const uncommitted = await runPython<{ ok: boolean; error?: string; values: string[] }>('confluent_txn.py', { bootstrap: broker.bootstrap, group: 'ru', topic: 'lib', isolation: 'read_uncommitted' }, 'consume');
    const range = (l: string, n: number) => Array.from({ length: n }, (_, i) => `${l}-${i}`);
    expect(committed.values).to.deep.equal([...range('c', 10), ...range('d', 5)]);
    expect(uncommitted.values).to.deep.equal([...range('c', 10), ...range('a', 10), ...range('d', 5)]);
  });
});

describe('Brook killed (kill -9) mid-transaction', function () {
  this.timeout(120_000);

  it('keeps committed messages after the restart and aborts the open transaction: nothing of it becomes visible', async () => {
    const dataDir = tempDataDir();
    const props = { 'num.partitions': '1', 'auto.create.topics.enable': 'true', 'transaction.abort.timed.out.transaction.cleanup.interval.ms': '50' };
    try {
      const first = await startChildBroker(dataDir, props);
      try {
        const kafka = new Kafka({ brokers: [`127.0.0.1:${first.port}`], clientId: 'crash', logLevel: logLevel.NOTHING });
        const admin = kafka.admin();
        await admin.connect();
        await admin.createTopics({ topics: [{ topic: 'crash', numPartitions: 1 }] });
        await admin.disconnect();
        const producer = kafka.producer({ transactionalId: 'crash-tx', idempotent: true, maxInFlightRequests: 1, transactionTimeout: 2000 });
        await producer.connect();
        const committed = await producer.transaction();
        await committed.send({ topic: 'crash', messages: ['c0', 'c1', 'c2'].map((value) => ({ value })) });
        await committed.commit();
        const open = await producer.transaction();
        await open.send({ topic: 'crash', messages: ['o0', 'o1'].map((value) => ({ value })) });
        // the client never commits: Brook dies with the transaction open
      } finally {
        await first.kill9();
      }

      const second = await startChildBroker(dataDir, props);
      try {
        const c = await RawClient.connect(second.port);
        const read = async (isolationLevel: number) => {
          const res = await fetchRaw(c, fetchRequest([{ topic: 'crash', partition: 0, offset: 0 }], { isolationLevel }));
          const p = res.responses[0].partitions[0];
          const batches = p.records && p.records.length > 0 ? decodeRecordBatches(p.records) : [];
          const aborted = (p.abortedTransactions ?? []).map((a) => Number(a.firstOffset));
          // what a read_committed client keeps: data batches not inside an aborted range
          const abortedRanges = aborted.map((first) => [first, batches.find((b) => b.isControl && Number(b.baseOffset) > first)?.baseOffset ?? Infinity]);
          return batches
            .filter((b) => !b.isControl && !abortedRanges.some(([f, l]) => Number(b.baseOffset) >= Number(f) && Number(b.baseOffset) < Number(l)))
            .flatMap((b) => b.records.map((r) => r.value!.toString()));
        };
        // whether or not the timeout has fired yet, only the committed transaction is readable
        expect(await read(1)).to.deep.equal(['c0', 'c1', 'c2']);
        await eventually(async () => (await describeTxn(c, 'crash-tx')).transactionState === 'CompleteAbort', 'the open transaction aborted after the restart', 15_000);
        expect(await read(1)).to.deep.equal(['c0', 'c1', 'c2']);
        expect(await read(0)).to.deep.equal(['c0', 'c1', 'c2', 'o0', 'o1']);
        c.close();
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
