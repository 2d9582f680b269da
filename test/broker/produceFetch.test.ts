import { expect } from 'chai';
import { CompressionTypes, Kafka, logLevel } from 'kafkajs';
import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/generated/apis';
import type { ApiVersionsResponse } from '../../protocol/generated/messages/ApiVersionsResponse';
import { batchCrcValid, convertV2ToLegacy, decodeLegacyMessageSet } from '../../protocol/records';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { batchOf, fetchRaw, fetchRequest, produceRaw, recordsOf } from '../helpers/dataPath';
import { RawClient } from '../helpers/rawClient';

describe('Produce and Fetch', () => {
  let broker: TestBroker;
  let client: RawClient;
  before(async () => {
    broker = await startTestBroker({ config: { 'num.partitions': '2' } });
  });
  after(() => broker.destroy());
  beforeEach(async () => {
    client = await RawClient.connect(broker.port);
  });
  afterEach(() => client.close());

  it('round-trips kafkajs messages with keys, headers and compression, read back with Fetch v4..v17', async () => {
    const kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'pf-test', logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    try {
      await producer.send({
        topic: 'roundtrip',
        messages: [
          { key: 'k0', value: 'v0', partition: 0, headers: { h: 'one' }, timestamp: '1700000000000' },
          { key: null, value: 'v1', partition: 0 },
        ],
      });
      await producer.send({
        topic: 'roundtrip',
        compression: CompressionTypes.GZIP,
        messages: [{ key: 'k2', value: 'v2'.repeat(100), partition: 1, headers: { a: '1', b: '2' } }],
      });
    } finally {
      await producer.disconnect();
    }
    const topicId = broker.services.metadata.topic('roundtrip')!.id;
    for (const version of [4, 7, 11, 12, 13, 17]) {
      const res = await fetchRaw(
        client,
        fetchRequest([
          { topic: 'roundtrip', topicId, partition: 0, offset: 0 },
          { topic: 'roundtrip', topicId, partition: 1, offset: 0 },
        ]),
        version,
      );
      expect(res.errorCode, `v${version}`).to.equal(0);
      const [p0, p1] = res.responses[0].partitions;
      if (version >= 13) expect(res.responses[0].topicId.equals(topicId)).to.equal(true);
      else expect(res.responses[0].topic).to.equal('roundtrip');
      expect(p0.highWatermark).to.equal(2n);
      expect(p1.highWatermark).to.equal(1n);
      const r0 = recordsOf(p0.records);
      expect(r0.map((r) => [r.offset, r.key, r.value, r.headers])).to.deep.equal([
        [0, 'k0', 'v0', [['h', 'one']]],
        [1, null, 'v1', []],
      ]);
      expect(r0[0].timestamp).to.equal(1700000000000);
      const r1 = recordsOf(p1.records);
      expect(r1.map((r) => [r.offset, r.key, r.value, r.headers])).to.deep.equal([[0, 'k2', 'v2'.repeat(100), [['a', '1'], ['b', '2']]]]);
    }
  });

  it('assigns consecutive offsets across produces and reports logStartOffset', async () => {
    const first = await produceRaw(client, 'offsets', 0, batchOf([{ value: 'a' }, { value: 'b' }]));
    const second = await produceRaw(client, 'offsets', 0, batchOf([{ value: 'c' }]));
    expect([first.errorCode, first.baseOffset, second.baseOffset, second.logStartOffset]).to.deep.equal([0, 0n, 2n, 0n]);
    const res = await fetchRaw(client, fetchRequest([{ topic: 'offsets', partition: 0, offset: 2 }]), 12);
    // Whole batches are returned, so fetching from offset 2 gives the batch starting there.
    expect(recordsOf(res.responses[0].partitions[0].records).map((r) => r.value)).to.deep.equal(['c']);
  });

  it('rejects corrupt batches, oversize batches, empty records and bad acks per partition', async () => {
    const corrupt = batchOf([{ value: 'x' }]);
    corrupt[corrupt.length - 1] ^= 0xff;
    expect((await produceRaw(client, 'validate', 0, corrupt)).errorCode).to.equal(ErrorCode.CORRUPT_MESSAGE);

    await broker.services.metadata.createTopic('small', { partitions: 1, configs: { 'max.message.bytes': '200' } });
    expect((await produceRaw(client, 'small', 0, batchOf([{ value: 'y'.repeat(500) }]))).errorCode).to.equal(ErrorCode.MESSAGE_TOO_LARGE);
    expect((await produceRaw(client, 'small', 0, batchOf([{ value: 'ok' }]))).errorCode).to.equal(0);

    expect((await produceRaw(client, 'validate', 0, Buffer.alloc(0))).errorCode).to.equal(ErrorCode.INVALID_RECORD);
    expect((await produceRaw(client, 'validate', 7, batchOf([{ value: 'x' }]))).errorCode).to.equal(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect((await produceRaw(client, 'validate', 0, batchOf([{ value: 'x' }]), { acks: 2 })).errorCode).to.equal(ErrorCode.INVALID_REQUIRED_ACKS);
    expect((await produceRaw(client, 'bad name!', 0, batchOf([{ value: 'x' }]))).errorCode).to.equal(ErrorCode.INVALID_TOPIC_EXCEPTION);
    await broker.services.metadata.createTopic('__broker_only', { partitions: 1, internal: true });
    expect((await produceRaw(client, '__broker_only', 0, batchOf([{ value: 'x' }]))).errorCode).to.equal(ErrorCode.INVALID_TOPIC_EXCEPTION);
    // Nothing of the refused produces was stored.
    expect(broker.services.logs.get('validate', 0)?.logEndOffset ?? 0).to.equal(0);
  });

  it('sends nothing back for acks=0 but stores the records', async () => {
    const produce = client.encode(ApiKey.Produce, 9, {
      transactionalId: null,
      acks: 0,
      timeoutMs: 1000,
      topicData: [{ name: 'acks0', partitionData: [{ index: 0, records: batchOf([{ value: 'fire-and-forget' }]) }] }],
    }, 100);
    const versions = client.encode(ApiKey.ApiVersions, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' }, 101);
    client.send(Buffer.concat([produce, versions]));
    const next = client.decode<ApiVersionsResponse>(ApiKey.ApiVersions, 3, await client.nextFrame());
    expect(next.correlationId).to.equal(101);
    const res = await fetchRaw(client, fetchRequest([{ topic: 'acks0', partition: 0, offset: 0 }]));
    expect(recordsOf(res.responses[0].partitions[0].records).map((r) => r.value)).to.deep.equal(['fire-and-forget']);
  });

  it('converts legacy magic 0/1 produces to v2 and answers Fetch v0-v3 in the legacy format', async () => {
    const v2 = batchOf([{ key: 'lk', value: 'legacy-1', timestamp: 1700000000123 }, { value: 'legacy-2', timestamp: 1700000000124 }]);
    const magic1 = convertV2ToLegacy(v2, 1);
    const magic0 = convertV2ToLegacy(v2, 0);
    expect((await produceRaw(client, 'legacy', 0, magic0, { version: 1 })).errorCode).to.equal(0);
    const r = await produceRaw(client, 'legacy', 0, magic1, { version: 2 });
    expect([r.errorCode, r.baseOffset]).to.deep.equal([0, 2n]);

    // Stored as v2: a modern fetch sees four records with their keys.
    const modern = await fetchRaw(client, fetchRequest([{ topic: 'legacy', partition: 0, offset: 0 }]));
    expect(recordsOf(modern.responses[0].partitions[0].records).map((x) => [x.offset, x.key, x.value])).to.deep.equal([
      [0, 'lk', 'legacy-1'],
      [1, null, 'legacy-2'],
      [2, 'lk', 'legacy-1'],
      [3, null, 'legacy-2'],
    ]);
    for (const [version, magic] of [[0, 0], [1, 0], [2, 1], [3, 1]] as const) {
      const old = await fetchRaw(client, fetchRequest([{ topic: 'legacy', partition: 0, offset: 0 }]), version);
      const set = decodeLegacyMessageSet(old.responses[0].partitions[0].records!);
      expect(set.map((m) => [Number(m.offset), m.magic, m.key?.toString() ?? null, m.value?.toString()]), `v${version}`).to.deep.equal([
        [0, magic, 'lk', 'legacy-1'],
        [1, magic, null, 'legacy-2'],
        [2, magic, 'lk', 'legacy-1'],
        [3, magic, null, 'legacy-2'],
      ]);
      if (magic === 1) expect(Number(set[2].timestamp)).to.equal(1700000000123);
    }
  });

  it('returns OFFSET_OUT_OF_RANGE beyond the log end and UNKNOWN_TOPIC_ID for unknown ids', async () => {
    await produceRaw(client, 'range', 0, batchOf([{ value: 'only' }]));
    const res = await fetchRaw(client, fetchRequest([{ topic: 'range', partition: 0, offset: 5 }]), 12);
    expect(res.responses[0].partitions[0]).to.deep.include({ errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, highWatermark: 1n, logStartOffset: 0n });
    const atEnd = await fetchRaw(client, fetchRequest([{ topic: 'range', partition: 0, offset: 1 }]), 12);
    expect(atEnd.responses[0].partitions[0].errorCode).to.equal(0);
    const unknown = await fetchRaw(client, fetchRequest([{ topic: '', topicId: Buffer.alloc(16, 9), partition: 0, offset: 0 }]), 13);
    expect(unknown.responses[0].partitions[0].errorCode).to.equal(ErrorCode.UNKNOWN_TOPIC_ID);
    const unknownName = await fetchRaw(client, fetchRequest([{ topic: 'never-made', partition: 0, offset: 0 }]), 12);
    expect(unknownName.responses[0].partitions[0].errorCode).to.equal(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('honours max_bytes and partition_max_bytes but always returns the first batch whole (KIP-74)', async () => {
    const big = 'z'.repeat(4000);
    for (let i = 0; i < 3; i++) await produceRaw(client, 'limits', 0, batchOf([{ value: big + i }]));
    for (let i = 0; i < 3; i++) await produceRaw(client, 'limits', 1, batchOf([{ value: big + i }]));
    // max_bytes smaller than one batch: still one whole batch from the first partition, nothing from the second.
    const tiny = await fetchRaw(client, fetchRequest([{ topic: 'limits', partition: 0, offset: 0 }, { topic: 'limits', partition: 1, offset: 0 }], { maxBytes: 100 }));
    const [a, b] = tiny.responses[0].partitions;
    expect(recordsOf(a.records).map((r) => r.offset)).to.deep.equal([0]);
    expect(recordsOf(b.records)).to.deep.equal([]);
    for (const batch of [a.records!]) expect(batchCrcValid(batch, 0)).to.equal(true);
    // partition_max_bytes caps each partition separately.
    const capped = await fetchRaw(client, fetchRequest([{ topic: 'limits', partition: 0, offset: 0, maxBytes: 9000 }, { topic: 'limits', partition: 1, offset: 0, maxBytes: 5000 }]));
    const [c, d] = capped.responses[0].partitions;
    expect(recordsOf(c.records).map((r) => r.offset)).to.deep.equal([0, 1]);
    expect(recordsOf(d.records).map((r) => r.offset)).to.deep.equal([0]);
  });

  it('stamps LogAppendTime when the topic asks for it and reports it in the produce answer', async () => {
    await broker.services.metadata.createTopic('append-time', { partitions: 1, configs: { 'message.timestamp.type': 'LogAppendTime' } });
    const before = Date.now();
    const res = await produceRaw(client, 'append-time', 0, batchOf([{ value: 'stamped', timestamp: 1000 }]));
    expect(res.errorCode).to.equal(0);
    const stamped = Number(res.logAppendTimeMs);
    expect(stamped).to.be.at.least(before - 1);
    const fetched = await fetchRaw(client, fetchRequest([{ topic: 'append-time', partition: 0, offset: 0 }]));
    expect(recordsOf(fetched.responses[0].partitions[0].records).map((r) => r.timestamp)).to.deep.equal([stamped]);
    // A CreateTime topic leaves the producer's timestamp and answers -1.
    const plain = await produceRaw(client, 'create-time', 0, batchOf([{ value: 'own', timestamp: 1000 }]));
    expect(plain.logAppendTimeMs).to.equal(-1n);
  });
});
