import { expect } from 'chai';
import { Compression } from '../../protocol/records/batchHeader';
import { buildRecordBatch, decodeRecordBatch } from '../../protocol/records/batch';
import { buildControlBatch } from '../../protocol/records/control';
import { validateProduceRecords } from '../../protocol/records/validate';
import {
  installKafkajsCodecs,
  kjsBuildBatch,
  kjsDecodeBatch,
  kjsLong,
  restoreKafkajsCodecs,
} from './records-kafkajs-helpers';

const CODECS = [Compression.None, Compression.Gzip, Compression.Snappy, Compression.Lz4, Compression.Zstd];
const T0 = 1_700_000_000_000;

describe('record batches interoperate with kafkajs', () => {
  before(installKafkajsCodecs);
  after(restoreKafkajsCodecs);

  for (const codec of CODECS) {
    it(`codec ${codec}: a kafkajs-built batch validates and decodes`, async () => {
      const records = [
        { offsetDelta: 0, timestampDelta: 0, key: 'key-0', value: 'value-0', headers: { trace: 'abc', multi: ['1', '2'] } },
        { offsetDelta: 1, timestampDelta: 7, key: null, value: Buffer.alloc(3000, 0x61) },
        { offsetDelta: 2, timestampDelta: -2, key: Buffer.from([1, 2]), value: null },
      ];
      const buf = await kjsBuildBatch(
        {
          compression: codec,
          firstOffset: kjsLong.fromValue(0),
          firstTimestamp: T0,
          maxTimestamp: T0 + 7,
          lastOffsetDelta: 2,
          producerId: kjsLong.fromValue(1234),
          producerEpoch: 5,
          firstSequence: 10,
          transactional: true,
        },
        records,
      );
      const v = validateProduceRecords(buf);
      expect(v.ok, JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? String(x) : x))).to.equal(true);
      if (!v.ok) return;
      expect(v.batches).to.have.length(1);
      expect(v.batches[0]).to.include({
        size: buf.length,
        recordCount: 3,
        lastOffsetDelta: 2,
        compression: codec,
        producerId: 1234n,
        producerEpoch: 5,
        baseSequence: 10,
        isTransactional: true,
        maxTimestamp: BigInt(T0 + 7),
      });
      const b = decodeRecordBatch(buf);
      expect(b.records.map((r) => r.timestamp)).to.deep.equal([BigInt(T0), BigInt(T0 + 7), BigInt(T0 - 2)]);
      expect(b.records.map((r) => r.offset)).to.deep.equal([0n, 1n, 2n]);
      expect(b.records[0].key?.toString()).to.equal('key-0');
      expect(b.records[0].value?.toString()).to.equal('value-0');
      expect(b.records[0].headers.map((h) => [h.key, h.value?.toString()])).to.deep.equal([
        ['trace', 'abc'],
        ['multi', '1'],
        ['multi', '2'],
      ]);
      expect(b.records[1].key).to.equal(null);
      expect(b.records[1].value?.equals(Buffer.alloc(3000, 0x61))).to.equal(true);
      expect(b.records[2].key?.equals(Buffer.from([1, 2]))).to.equal(true);
      expect(b.records[2].value).to.equal(null);
    });

    it(`codec ${codec}: a Brook-built batch decodes in kafkajs`, async () => {
      const buf = buildRecordBatch({
        baseOffset: 500n,
        compression: codec,
        producerId: 88n,
        producerEpoch: 2,
        baseSequence: 3,
        records: [
          { key: 'a', value: 'first', timestamp: T0, headers: [{ key: 'h1', value: 'v1' }] },
          { key: null, value: Buffer.alloc(70_000, 0x62), timestamp: T0 + 10 },
          { key: 'c', value: null, timestamp: T0 + 4 },
        ],
      });
      const b = await kjsDecodeBatch(buf);
      expect(b).to.include({ firstOffset: '500', producerId: '88', producerEpoch: 2, firstSequence: 3, lastOffsetDelta: 2 });
      expect(b.records.map((r) => [r.offset, r.timestamp])).to.deep.equal([
        ['500', String(T0)],
        ['501', String(T0 + 10)],
        ['502', String(T0 + 4)],
      ]);
      expect(b.records[0].key?.toString()).to.equal('a');
      expect(b.records[0].value?.toString()).to.equal('first');
      expect(String(b.records[0].headers.h1)).to.equal('v1');
      expect(b.records[1].key).to.equal(null);
      expect(b.records[1].value?.equals(Buffer.alloc(70_000, 0x62))).to.equal(true);
      expect(b.records[2].value).to.equal(null);
    });
  }

  it('kafkajs recognises Brook-built transaction markers as control records', async () => {
    const b = await kjsDecodeBatch(buildControlBatch({ producerId: 3n, producerEpoch: 1, commit: true, coordinatorEpoch: 4 }));
    expect(b.isControlBatch).to.equal(true);
    expect(b.inTransaction).to.equal(true);
    expect(b.records[0].isControlRecord).to.equal(true);
  });
});
