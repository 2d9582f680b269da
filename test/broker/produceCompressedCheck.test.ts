import { gzipSync } from 'node:zlib';
import { expect } from 'chai';
import { CompressionTypes, Kafka, logLevel } from 'kafkajs';
import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/generated/apis';
import type { ProduceResponse } from '../../protocol/generated/messages/ProduceResponse';
import { BATCH, Compression, buildRecordBatch, compress, encodeRecords, fixBatchCrc, type RecordInput } from '../../protocol/records';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { batchOf, PRODUCE_MAX, produceRaw } from '../helpers/dataPath';
import { eventually } from '../helpers/eventually';
import { memoryLogger, type LogEntry } from '../helpers/memoryLogger';
import { RawClient } from '../helpers/rawClient';

/**
 * A compressed batch is read through before it is stored, as Kafka's LogValidator does: a payload that does not
 * decompress (or decompresses past the 64 MiB cap), records that do not parse, a record count that disagrees with
 * the header, trailing bytes. Each is that partition's CORRUPT_MESSAGE; the connection and the request's other
 * partitions go on, and nothing of it reaches the log (where it stalled kcat and crashed kafkajs).
 */

/** A v2 batch of `count` records whose compressed payload is `payload` as given, with a valid CRC. */
function compressedBatch(payload: Buffer, count: number, codec: Compression = Compression.Gzip): Buffer {
  const header = buildRecordBatch({ records: [{ value: 'x' }], compression: codec }).subarray(0, BATCH.RECORDS);
  const out = Buffer.concat([header, payload]);
  out.writeInt32BE(out.length - BATCH.LOG_OVERHEAD, BATCH.BATCH_LENGTH);
  out.writeInt32BE(count - 1, BATCH.LAST_OFFSET_DELTA);
  out.writeInt32BE(count, BATCH.RECORD_COUNT);
  fixBatchCrc(out);
  return out;
}

function body(records: RecordInput[]): Buffer {
  return encodeRecords(records, 0n).body;
}

describe('Produce checks the records inside compressed batches', () => {
  let broker: TestBroker;
  let client: RawClient;
  const logs: LogEntry[] = [];
  before(async () => {
    broker = await startTestBroker({ logger: memoryLogger(logs) });
  });
  after(() => broker.destroy());
  beforeEach(async () => {
    client = await RawClient.connect(broker.port);
  });
  afterEach(() => client.close());

  const two = [{ key: 'a', value: 'one' }, { key: 'b', value: 'two' }];
  const cases: [string, () => Buffer][] = [
    ['garbage gzip', () => compressedBatch(Buffer.from('garbage-not-gzip'), 1)],
    ['garbage snappy', () => compressedBatch(Buffer.from('garbage-not-snappy'), 1, Compression.Snappy)],
    ['garbage lz4', () => compressedBatch(Buffer.from('garbage-not-lz4'), 1, Compression.Lz4)],
    ['garbage zstd', () => compressedBatch(Buffer.from('garbage-not-zstd'), 1, Compression.Zstd)],
    ['a gzip bomb past 64 MiB', () => compressedBatch(gzipSync(Buffer.alloc(65 * 1024 * 1024)), 1)],
    ['garbage records in valid gzip', () => compressedBatch(gzipSync(Buffer.from('\x7f\x7f\x7f garbage records')), 1)],
    ['more records declared than sent', () => compressedBatch(compress(Compression.Lz4, body(two)), 3, Compression.Lz4)],
    ['fewer records declared than sent', () => compressedBatch(compress(Compression.Zstd, body(two)), 1, Compression.Zstd)],
    ['trailing bytes after the records', () => compressedBatch(gzipSync(Buffer.concat([body(two), Buffer.from([0, 0, 0])])), 2)],
    ['an empty body declaring records', () => compressedBatch(gzipSync(Buffer.alloc(0)), 2)],
  ];
  for (const [name, make] of cases) {
    it(`${name}: CORRUPT_MESSAGE, nothing stored, the connection still answers`, async () => {
      const res = await produceRaw(client, 'bad-compressed', 0, make());
      expect(res.errorCode, res.errorMessage ?? '').to.equal(ErrorCode.CORRUPT_MESSAGE);
      expect(res.errorMessage).to.be.a('string').and.not.equal('');
      expect(broker.services.logs.get('bad-compressed', 0)?.logEndOffset ?? 0).to.equal(0);
      expect((await produceRaw(client, 'other', 0, batchOf([{ value: 'after' }]))).errorCode).to.equal(0);
    });
  }

  it('logs the refused partition', () => {
    const line = logs.find((l) => l.msg === 'produce refused' && l.fields.topic === 'bad-compressed');
    expect(line, 'a produce refused line').to.not.equal(undefined);
    expect(line!.fields.errorCode).to.equal(ErrorCode.CORRUPT_MESSAGE);
  });

  it('answers the good partition of a request whose other partition is corrupt', async () => {
    const res = await client.request<ProduceResponse>(ApiKey.Produce, PRODUCE_MAX, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 5000,
      topicData: [
        { name: 'mgood', partitionData: [{ index: 0, records: batchOf([{ key: 'k', value: 'good' }]) }] },
        { name: 'mbad', partitionData: [{ index: 0, records: compressedBatch(Buffer.from('garbage-not-gzip'), 1) }] },
      ],
    });
    const byTopic = new Map(res.responses.map((t) => [t.name, t.partitionResponses[0]!]));
    expect(byTopic.get('mgood')!.errorCode).to.equal(0);
    expect(byTopic.get('mgood')!.baseOffset).to.equal(0n);
    expect(byTopic.get('mbad')!.errorCode).to.equal(ErrorCode.CORRUPT_MESSAGE);
    expect(broker.services.logs.get('mgood', 0)!.logEndOffset).to.equal(1);
  });

  it('stores good compressed batches of every codec', async () => {
    for (const codec of [Compression.Gzip, Compression.Snappy, Compression.Lz4, Compression.Zstd]) {
      const good = buildRecordBatch({ records: two, compression: codec });
      expect((await produceRaw(client, 'codecs', 0, good)).errorCode, `codec ${codec}`).to.equal(0);
    }
    expect(broker.services.logs.get('codecs', 0)!.logEndOffset).to.equal(8);
  });

  it('kafkajs reads the stored records around refused ones', async () => {
    const kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'compressed-check', logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    try {
      await producer.send({ topic: 'mixed', compression: CompressionTypes.GZIP, messages: [{ key: 'k0', value: 'first' }] });
      // kafkajs reads gzip only (the other codecs need plugins)
      const good = buildRecordBatch({ records: [{ key: 'raw', value: 'raw gzip' }], compression: Compression.Gzip });
      expect((await produceRaw(client, 'mixed', 0, good)).errorCode).to.equal(0);
      for (const [name, make] of cases) expect((await produceRaw(client, 'mixed', 0, make())).errorCode, name).to.equal(ErrorCode.CORRUPT_MESSAGE);
      await producer.send({ topic: 'mixed', compression: CompressionTypes.GZIP, messages: [{ key: 'k1', value: 'last' }] });
    } finally {
      await producer.disconnect();
    }
    const seen: string[] = [];
    const consumer = kafka.consumer({ groupId: 'compressed-check' });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: 'mixed', fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
      await eventually(() => seen.length >= 3, `every stored record read (have ${JSON.stringify(seen)})`);
    } finally {
      await consumer.disconnect();
    }
    expect(seen).to.deep.equal(['first', 'raw gzip', 'last']);
  });

  it('Produce v3+ with two batches for one partition: INVALID_RECORD, as Kafka, before the second is checked', async () => {
    const second = batchOf([{ value: 'b' }]);
    second[second.length - 1] ^= 0xff; // its CRC no longer matches: Kafka never looks that far
    const res = await produceRaw(client, 'two-batches', 0, Buffer.concat([batchOf([{ value: 'a' }]), second]));
    expect(res.errorCode, res.errorMessage ?? '').to.equal(ErrorCode.INVALID_RECORD);
  });

  it('transactional batches without a transactional id: TRANSACTIONAL_ID_AUTHORIZATION_FAILED, as Kafka', async () => {
    const txn = buildRecordBatch({ records: [{ key: 'k', value: 'txn-no-id' }], producerId: -1n, producerEpoch: -1, baseSequence: -1, transactional: true });
    const res = await produceRaw(client, 'txn-no-id', 0, txn);
    expect(res.errorCode).to.equal(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    expect(broker.services.logs.get('txn-no-id', 0)?.logEndOffset ?? 0).to.equal(0);
  });
});
