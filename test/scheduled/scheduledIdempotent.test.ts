import { expect } from 'chai';
import * as path from 'node:path';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { ApiKey } from '../../protocol/generated/apis';
import { buildRecordBatch } from '../../protocol/records';
import { StorageError } from '../../storage/errors';
import { ErrorCode } from '../../protocol/errors';
import { partitionLog } from '../../src/metadata/partitionLogs';
import { schedulerOf } from '../../src/scheduled/services';
import { startTestBroker, tempDataDir, type TestBroker } from '../helpers/broker';
import { eventually } from '../helpers/eventually';
import { runPython } from '../helpers/python';
import { RawClient } from '../helpers/rawClient';
import { initProducerId } from '../txn/helpers/wire';

interface Rec {
  offset: number;
  key: string | null;
  value: string;
  headers: Record<string, string>;
}

/** Exactly `count` records of partition 0 from the start (counted by records: a sequence batch takes offsets, not records). */
export async function readRecords(kafka: Kafka, topic: string, count: number): Promise<Rec[]> {
  const consumer = kafka.consumer({ groupId: `read-${topic}-${Date.now()}-${Math.random()}`, maxBytes: 10 << 20 });
  await consumer.connect();
  const out: Rec[] = [];
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachBatch: async ({ batch }) => {
            for (const m of batch.messages) {
              const headers: Record<string, string> = {};
              for (const [k, v] of Object.entries(m.headers ?? {})) headers[k] = v === undefined ? '' : String(v);
              out.push({ offset: Number(m.offset), key: m.key?.toString() ?? null, value: m.value!.toString(), headers });
            }
            if (out.length >= count) resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return out;
}

type ProduceAnswer = { responses: Array<{ partitionResponses: Array<{ errorCode: number; baseOffset: bigint; errorMessage: string | null }> }> };

/** One Produce of an idempotent batch, as a client's retry sends it again: same producer id, epoch and sequence. */
async function produceRaw(c: RawClient, topic: string, batch: Buffer) {
  const res = await c.request<ProduceAnswer>(ApiKey.Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }] });
  return res.responses[0]!.partitionResponses[0]!;
}

function scheduledBatch(pid: bigint, seq: number, values: string[], delayMs: number): Buffer {
  return buildRecordBatch({ records: values.map((v) => ({ key: Buffer.from('k'), value: Buffer.from(v), headers: [{ key: 'brook-delay-ms', value: Buffer.from(String(delayMs)) }] })), producerId: pid, producerEpoch: 0, baseSequence: seq });
}

function plainBatch(pid: bigint, seq: number, values: string[]): Buffer {
  return buildRecordBatch({ records: values.map((v) => ({ key: Buffer.from('k'), value: Buffer.from(v) })), producerId: pid, producerEpoch: 0, baseSequence: seq });
}

/**
 * Scheduled delivery from idempotent producers (the default of Java clients since Kafka 3.0 and of
 * franz-go): the batch's sequences are taken in its partition by a batch without records, so the producer's
 * next batches are in sequence, and a retry of the scheduled batch is a duplicate, scheduled once.
 */
describe('scheduled delivery from idempotent producers', function () {
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

  it('kafkajs idempotent: a record scheduled 2 s ahead, then plain records to the same partition: no sequence error, plain ones first, the scheduled one when due', async () => {
    await admin.createTopics({ topics: [{ topic: 'idem', numPartitions: 1, configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }] }] });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      const sentAt = Date.now();
      const a = await producer.send({ topic: 'idem', acks: -1, messages: [{ key: 'k', value: 'later', headers: { 'brook-delay-ms': '2000' } }] });
      expect(a[0]!.errorCode).to.equal(0);
      for (const v of ['now-1', 'now-2']) expect((await producer.send({ topic: 'idem', acks: -1, messages: [{ key: 'k', value: v }] }))[0]!.errorCode).to.equal(0);
      const got = await readRecords(kafka, 'idem', 3);
      expect(got.map((r) => r.value)).to.deep.equal(['now-1', 'now-2', 'later']);
      expect(Number(got[2]!.headers['brook-scheduled-at'])).to.be.at.least(sentAt);
    } finally {
      await producer.disconnect();
    }
  });

  it('kafkajs idempotent to a topic with brook.delivery.delay.ms: accepted and delivered in order', async () => {
    await admin.createTopics({ topics: [{ topic: 'idem-delayed', numPartitions: 1, configEntries: [{ name: 'brook.delivery.delay.ms', value: '300' }] }] });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      for (let i = 0; i < 5; i++) await producer.send({ topic: 'idem-delayed', acks: -1, messages: [{ key: 'k', value: `d${i}` }] });
    } finally {
      await producer.disconnect();
    }
    const got = await readRecords(kafka, 'idem-delayed', 5);
    expect(got.map((r) => r.value)).to.deep.equal(['d0', 'd1', 'd2', 'd3', 'd4']);
  });

  it('a retried scheduled batch (same producer id, epoch, sequence) is answered as a duplicate and scheduled once, also when both copies arrive together', async () => {
    await admin.createTopics({ topics: [{ topic: 'idem-retry', numPartitions: 1 }] });
    const c1 = await RawClient.connect(broker.port);
    const c2 = await RawClient.connect(broker.port);
    try {
      const pid = (await initProducerId(c1)).producerId;
      const first = scheduledBatch(pid, 0, ['s0', 's1'], 1500);
      expect((await produceRaw(c1, 'idem-retry', first)).errorCode).to.equal(0);
      expect((await produceRaw(c1, 'idem-retry', first)).errorCode).to.equal(0);
      // both copies in flight at once: the second waits for the first's outcome
      const second = scheduledBatch(pid, 2, ['s2'], 1500);
      const both = await Promise.all([produceRaw(c1, 'idem-retry', second), produceRaw(c2, 'idem-retry', second)]);
      expect(both.map((r) => r.errorCode)).to.deep.equal([0, 0]);
      expect(schedulerOf(broker.services)!.pending).to.equal(3);
      const plain = await produceRaw(c1, 'idem-retry', plainBatch(pid, 3, ['p3']));
      expect(plain.errorCode).to.equal(0);
      // a gap is still refused as for any idempotent batch
      expect((await produceRaw(c1, 'idem-retry', scheduledBatch(pid, 9, ['gap'], 0))).errorCode).to.equal(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
      const got = await readRecords(kafka, 'idem-retry', 4);
      expect(got.map((r) => r.value)).to.deep.equal(['p3', 's0', 's1', 's2']);
      await eventually(async () => schedulerOf(broker.services)!.pending === 0 || undefined, 'nothing pending');
      expect(schedulerOf(broker.services)!.producers.sequences.size).to.equal(0);
    } finally {
      c1.close();
      c2.close();
    }
  });

  it('the sequences cannot be written after the schedule was (a failed append): the retry is a duplicate in the scheduler, delivered once', async () => {
    await admin.createTopics({ topics: [{ topic: 'idem-fail', numPartitions: 1 }] });
    const log = (await partitionLog(broker.services, broker.services.metadata.topic('idem-fail')!, 0)).log!;
    const append = log.append.bind(log);
    let failures = 1;
    log.append = (records, opts) => {
      if (records.readInt32BE(57) === 0 && failures-- > 0) return Promise.reject(new StorageError(ErrorCode.KAFKA_STORAGE_ERROR, 'injected'));
      return append(records, opts);
    };
    const c = await RawClient.connect(broker.port);
    try {
      const pid = (await initProducerId(c)).producerId;
      const batch = scheduledBatch(pid, 0, ['once'], 0);
      expect((await produceRaw(c, 'idem-fail', batch)).errorCode).to.equal(ErrorCode.KAFKA_STORAGE_ERROR);
      expect((await produceRaw(c, 'idem-fail', batch)).errorCode).to.equal(0);
      expect((await produceRaw(c, 'idem-fail', plainBatch(pid, 1, ['after']))).errorCode).to.equal(0);
      const got = await readRecords(kafka, 'idem-fail', 2);
      expect(got.map((r) => r.value).sort()).to.deep.equal(['after', 'once']);
      await eventually(async () => schedulerOf(broker.services)!.pending === 0 || undefined, 'nothing pending');
      // nothing more arrives: the scheduler has resolved everything, and the log holds exactly these two records
      expect((await readRecords(kafka, 'idem-fail', 2)).length).to.equal(2);
    } finally {
      log.append = append;
      c.close();
    }
  });

  it('a restart between the schedule and its sequences: the replayed journal writes the sequences, the retry is a duplicate, delivered once', async () => {
    const dataDir = tempDataDir();
    let b = await startTestBroker({ dataDir });
    try {
      await b.services.metadata.createTopic('idem-restart', { partitions: 1 });
      const log = (await partitionLog(b.services, b.services.metadata.topic('idem-restart')!, 0)).log!;
      log.append = () => Promise.reject(new StorageError(ErrorCode.KAFKA_STORAGE_ERROR, 'injected'));
      let c = await RawClient.connect(b.port);
      const pid = (await initProducerId(c)).producerId;
      const batch = scheduledBatch(pid, 0, ['once'], 1000);
      expect((await produceRaw(c, 'idem-restart', batch)).errorCode).to.equal(ErrorCode.KAFKA_STORAGE_ERROR);
      c.close();
      expect(schedulerOf(b.services)!.producers.sequences.size).to.equal(1);
      schedulerOf(b.services)!.stop(); // no repair before the restart: the journal holds PRODUCED without SEQUENCED
      await b.close();
      b = await startTestBroker({ dataDir });
      expect(schedulerOf(b.services)!.producers.sequences.size).to.equal(0);
      c = await RawClient.connect(b.port);
      try {
        expect((await produceRaw(c, 'idem-restart', batch)).errorCode).to.equal(0);
        expect((await produceRaw(c, 'idem-restart', plainBatch(pid, 1, ['after']))).errorCode).to.equal(0);
      } finally {
        c.close();
      }
      const k = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING });
      expect((await readRecords(k, 'idem-restart', 2)).map((r) => r.value)).to.deep.equal(['after', 'once']);
      await eventually(async () => schedulerOf(b.services)!.pending === 0 || undefined, 'nothing pending');
    } finally {
      await b.destroy();
    }
  });

  it('confluent-kafka (enable.idempotence=True): scheduled 2 s ahead and plain records to the same partition, all in flight together: no sequence error, every record once', async () => {
    await admin.createTopics({ topics: [{ topic: 'idem-py', numPartitions: 1 }] });
    const messages = [
      ...[0, 1, 2].map((i) => ({ key: 'k', value: `later-${i}`, headers: { 'brook-delay-ms': '2000' } })),
      ...[0, 1, 2, 3].map((i) => ({ key: 'k', value: `now-${i}` })),
    ];
    const script = path.join(__dirname, 'helpers', 'idempotentClient.py');
    const produced = await runPython([script, broker.bootstrap, 'produce', 'idem-py', JSON.stringify(messages)]);
    expect(produced.code, produced.err).to.equal(0);
    const reports = produced.out.trim().split('\n').map((l) => JSON.parse(l) as { error: string | null; value: string });
    expect(reports.filter((r) => r.error !== null)).to.deep.equal([]);
    expect(reports.length).to.equal(7);
    const read = await runPython([script, broker.bootstrap, 'read', 'idem-py', '7']);
    expect(read.code, read.err).to.equal(0);
    const values = read.out.trim().split('\n').map((l) => (JSON.parse(l) as { value: string }).value);
    // plain records as produced, the scheduled ones when due, in their production order
    expect(values).to.deep.equal(['now-0', 'now-1', 'now-2', 'now-3', 'later-0', 'later-1', 'later-2']);
  });
});

