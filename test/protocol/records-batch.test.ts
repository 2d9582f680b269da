import { expect } from 'chai';
import { DecodeError } from '../../protocol/codec/errors';
import { BATCH, Compression, batchCrcValid, fixBatchCrc, readRecordCount } from '../../protocol/records/batchHeader';
import {
  buildRecordBatch,
  decodeRecordBatch,
  decodeRecordBatches,
  iterateBatches,
  MIN_BATCH_LENGTH,
} from '../../protocol/records/batch';
import { buildControlBatch, ControlType, parseControlRecord } from '../../protocol/records/control';
import { CompressionError } from '../../protocol/records/compression';
import type { RecordInput } from '../../protocol/records/types';

const CODECS = [Compression.None, Compression.Gzip, Compression.Snappy, Compression.Lz4, Compression.Zstd];
const T0 = 1_700_000_000_000n;

const RECORDS: RecordInput[] = [
  { key: 'k1', value: 'v1', timestamp: T0, headers: [{ key: 'h', value: 'x' }] },
  { key: null, value: Buffer.from([0, 1, 2, 255]), timestamp: T0 + 5n },
  { key: Buffer.alloc(0), value: null, timestamp: T0 - 3n, headers: [{ key: 'ü-key', value: null }, { key: '', value: '' }] },
  { value: 'x'.repeat(5000), timestamp: T0 + 1000n, headers: [{ key: 'a', value: 'b' }, { key: 'a', value: 'c' }] },
];

function expectDecodeError(fn: () => unknown): DecodeError {
  try {
    fn();
  } catch (err) {
    expect(err, String(err)).to.be.instanceOf(DecodeError);
    return err as DecodeError;
  }
  return expect.fail('expected a DecodeError');
}

/** An uncompressed batch whose records section is replaced by `body` (CRC kept valid). */
function batchWithBody(body: Buffer, recordCount: number): Buffer {
  const shell = buildRecordBatch({ records: [], lastOffsetDelta: recordCount - 1, baseTimestamp: T0 });
  const buf = Buffer.concat([shell, body]);
  buf.writeInt32BE(buf.length - BATCH.LOG_OVERHEAD, BATCH.BATCH_LENGTH);
  buf.writeInt32BE(recordCount, BATCH.RECORD_COUNT);
  fixBatchCrc(buf);
  return buf;
}

describe('RecordBatch v2', () => {
  for (const codec of CODECS) {
    it(`round-trips keys, values, nulls, headers and timestamps with codec ${codec}`, () => {
      const buf = buildRecordBatch({
        baseOffset: 1000n,
        records: RECORDS,
        compression: codec,
        producerId: 77n,
        producerEpoch: 3,
        baseSequence: 42,
        transactional: true,
        partitionLeaderEpoch: 9,
      });
      expect(batchCrcValid(buf)).to.equal(true);
      const b = decodeRecordBatch(buf);
      expect(b).to.include({
        baseOffset: 1000n,
        magic: 2,
        compression: codec,
        producerId: 77n,
        producerEpoch: 3,
        baseSequence: 42,
        isTransactional: true,
        isControl: false,
        partitionLeaderEpoch: 9,
        recordCount: 4,
        lastOffsetDelta: 3,
        baseTimestamp: T0,
        maxTimestamp: T0 + 1000n,
        timestampType: 'create',
      });
      expect(b.batchLength).to.equal(buf.length - BATCH.LOG_OVERHEAD);
      expect(b.records.map((r) => r.offset)).to.deep.equal([1000n, 1001n, 1002n, 1003n]);
      expect(b.records.map((r) => r.timestamp)).to.deep.equal([T0, T0 + 5n, T0 - 3n, T0 + 1000n]);
      expect(b.records[2].timestampDelta).to.equal(-3n);
      expect(b.records[0].key?.toString()).to.equal('k1');
      expect(b.records[0].value?.toString()).to.equal('v1');
      expect(b.records[0].headers).to.have.length(1);
      expect(b.records[0].headers[0].key).to.equal('h');
      expect(b.records[0].headers[0].value?.toString()).to.equal('x');
      expect(b.records[1].key).to.equal(null);
      expect(b.records[1].value?.equals(Buffer.from([0, 1, 2, 255]))).to.equal(true);
      expect(b.records[2].key?.length).to.equal(0);
      expect(b.records[2].value).to.equal(null);
      expect(b.records[2].headers.map((h) => [h.key, h.value?.toString() ?? null])).to.deep.equal([
        ['ü-key', null],
        ['', ''],
      ]);
      expect(b.records[3].value?.toString()).to.equal('x'.repeat(5000));
      expect(b.records[3].headers.map((h) => h.value?.toString())).to.deep.equal(['b', 'c']);
    });
  }

  it('gives every record the batch max timestamp under log-append time', () => {
    const buf = buildRecordBatch({ records: RECORDS, timestampType: 'log-append', maxTimestamp: T0 + 99_999n });
    const b = decodeRecordBatch(buf);
    expect(b.timestampType).to.equal('log-append');
    for (const r of b.records) expect(r.timestamp).to.equal(T0 + 99_999n);
  });

  it('defaults producer fields to "none" and uses the index as offset delta', () => {
    const b = decodeRecordBatch(buildRecordBatch({ records: [{ value: 'a' }, { value: 'b' }], baseTimestamp: T0 }));
    expect(b).to.include({ producerId: -1n, producerEpoch: -1, baseSequence: -1, partitionLeaderEpoch: -1, isTransactional: false });
    expect(b.records.map((r) => r.offsetDelta)).to.deep.equal([0, 1]);
    expect(b.records.map((r) => r.timestamp)).to.deep.equal([T0, T0]);
  });

  it('builds and reads commit and abort markers', () => {
    for (const commit of [true, false]) {
      const buf = buildControlBatch({ baseOffset: 50n, producerId: 5n, producerEpoch: 2, commit, coordinatorEpoch: 17, timestamp: T0 });
      const b = decodeRecordBatch(buf);
      expect(b).to.include({ isControl: true, isTransactional: true, producerId: 5n, producerEpoch: 2, recordCount: 1, baseOffset: 50n });
      const key = b.records[0].key as Buffer;
      expect(key.readInt16BE(0)).to.equal(0);
      expect(key.readInt16BE(2)).to.equal(commit ? 1 : 0);
      expect(parseControlRecord(b.records[0])).to.deep.equal({
        type: commit ? ControlType.COMMIT : ControlType.ABORT,
        coordinatorEpoch: 17,
      });
    }
    expectDecodeError(() => parseControlRecord({ key: Buffer.from([0, 0, 0, 9]), value: Buffer.alloc(6) }));
    expectDecodeError(() => parseControlRecord({ key: Buffer.from([0, 0]), value: Buffer.alloc(6) }));
    expectDecodeError(() => parseControlRecord({ key: Buffer.from([0, 0, 0, 1]), value: null }));
  });

  it('walks several batches without decoding them and stops at a cut-off tail', () => {
    const a = buildRecordBatch({ baseOffset: 0n, records: [{ value: 'a' }] });
    const b = buildRecordBatch({ baseOffset: 1n, records: [{ value: 'b' }, { value: 'c' }], compression: Compression.Gzip });
    const c = buildRecordBatch({ baseOffset: 3n, records: [{ value: 'd' }] });
    const all = Buffer.concat([a, b, c]);
    const views = [...iterateBatches(all)];
    expect(views.map((v) => [v.position, v.size, v.baseOffset, v.recordCount, v.compression])).to.deep.equal([
      [0, a.length, 0n, 1, Compression.None],
      [a.length, b.length, 1n, 2, Compression.Gzip],
      [a.length + b.length, c.length, 3n, 1, Compression.None],
    ]);
    const cut = all.subarray(0, all.length - 5);
    expect([...iterateBatches(cut)]).to.have.length(2);
    expectDecodeError(() => [...iterateBatches(cut, { strict: true })]);
    expect([...iterateBatches(all.subarray(0, a.length + 20))]).to.have.length(1);
    expect(decodeRecordBatches(all).flatMap((x) => x.records.map((r) => r.value?.toString()))).to.deep.equal(['a', 'b', 'c', 'd']);
  });

  it('detects a CRC mismatch anywhere in the covered bytes', () => {
    const buf = buildRecordBatch({ records: RECORDS });
    for (const at of [BATCH.ATTRIBUTES + 1, BATCH.RECORD_COUNT, buf.length - 1]) {
      const bad = Buffer.from(buf);
      bad[at] ^= 0x01;
      expect(expectDecodeError(() => decodeRecordBatch(bad)).message).to.match(/CRC/);
    }
    // baseOffset and partitionLeaderEpoch are outside the CRC on purpose.
    const moved = Buffer.from(buf);
    moved.writeBigInt64BE(123n, 0);
    moved.writeInt32BE(5, BATCH.PARTITION_LEADER_EPOCH);
    expect(decodeRecordBatch(moved).baseOffset).to.equal(123n);
  });

  describe('hostile and truncated batches', () => {
    it('refuses short buffers, bad magic and lying batch lengths', () => {
      const good = buildRecordBatch({ records: RECORDS });
      expectDecodeError(() => decodeRecordBatch(good.subarray(0, 40)));
      expectDecodeError(() => decodeRecordBatch(good.subarray(0, good.length - 1)));
      const magic = Buffer.from(good);
      magic.writeInt8(3, BATCH.MAGIC);
      expectDecodeError(() => decodeRecordBatch(magic));
      const short = Buffer.from(good);
      short.writeInt32BE(MIN_BATCH_LENGTH - 1, BATCH.BATCH_LENGTH);
      expectDecodeError(() => decodeRecordBatch(short));
      const huge = Buffer.from(good);
      huge.writeInt32BE(0x7fffffff, BATCH.BATCH_LENGTH);
      expectDecodeError(() => decodeRecordBatch(huge));
    });

    it('refuses a record count that cannot fit before allocating', () => {
      const good = buildRecordBatch({ records: RECORDS });
      for (const count of [2_000_000_000, -1, 5, 3]) {
        const lie = Buffer.from(good);
        lie.writeInt32BE(count, BATCH.RECORD_COUNT);
        fixBatchCrc(lie);
        expectDecodeError(() => decodeRecordBatch(lie));
      }
      expect(readRecordCount(good)).to.equal(4);
    });

    it('refuses record lengths, key lengths and header counts larger than the bytes left', () => {
      // length 100 (zig-zag 200) but only 6 bytes follow
      expect(expectDecodeError(() => decodeRecordBatch(batchWithBody(Buffer.from([0xc8, 0x01, 0x00, 0x00, 0, 0, 0, 0]), 1))).message).to.match(/record length 100/);
      // negative record length (-3)
      expect(expectDecodeError(() => decodeRecordBatch(batchWithBody(Buffer.from([0x05, 0, 0, 0, 0, 0, 0, 0]), 1))).message).to.match(/record length -3/);
      // key length 2^30 inside an 8-byte record: attrs, tsDelta 0, offDelta 0, key varint 0x80808080 0x08
      expect(expectDecodeError(() => decodeRecordBatch(batchWithBody(Buffer.from([0x10, 0, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x08]), 1))).message).to.match(/need 1073741824 bytes/);
      // key length -5
      expect(expectDecodeError(() => decodeRecordBatch(batchWithBody(Buffer.from([0x0c, 0, 0, 0, 0x09, 1, 0]), 1))).message).to.match(/negative key length -5/);
      // header count 1 000 000 in an 8-byte record: attrs, ts, off, key null, value null, 3-byte header count
      expect(expectDecodeError(() => decodeRecordBatch(batchWithBody(Buffer.from([0x10, 0, 0, 0, 1, 1, 0x80, 0x89, 0x7a]), 1))).message).to.match(/header count 1000000/);
      // record declares 7 bytes but its fields use 6
      expect(expectDecodeError(() => decodeRecordBatch(batchWithBody(Buffer.from([0x0e, 0, 0, 0, 1, 1, 0, 0]), 1))).message).to.match(/declares 7 bytes but uses 6/);
      // a valid record followed by garbage
      expect(expectDecodeError(() => decodeRecordBatch(batchWithBody(Buffer.from([0x0c, 0, 0, 0, 1, 1, 0, 0xff]), 1))).message).to.match(/1 bytes after the last/);
      // and the minimal valid record decodes
      const ok = decodeRecordBatch(batchWithBody(Buffer.from([0x0c, 0, 0, 0, 1, 1, 0]), 1));
      expect(ok.records[0]).to.include({ key: null, value: null, offsetDelta: 0 });
    });

    it('reports an unknown codec in the attributes as a typed error', () => {
      const buf = buildRecordBatch({ records: RECORDS });
      buf.writeInt16BE(6, BATCH.ATTRIBUTES);
      fixBatchCrc(buf);
      expect(() => decodeRecordBatch(buf)).to.throw(CompressionError);
    });

    it('survives random corruption with typed errors only', () => {
      let seed = 12345;
      const rand = (n: number): number => {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        return seed % n;
      };
      let decoded = 0;
      for (const codec of CODECS) {
        const good = buildRecordBatch({ records: RECORDS, compression: codec });
        for (let i = 0; i < 300; i++) {
          const bad = Buffer.from(good);
          const flips = 1 + rand(4);
          for (let f = 0; f < flips; f++) bad[BATCH.ATTRIBUTES + rand(bad.length - BATCH.ATTRIBUTES)] = rand(256);
          fixBatchCrc(bad);
          try {
            decodeRecordBatch(bad, { maxDecompressedSize: 1 << 20 });
            decoded++;
          } catch (err) {
            if (!(err instanceof DecodeError) && !(err instanceof CompressionError)) throw err;
          }
        }
      }
      // Some mutations land in values and still decode; most are caught.
      expect(decoded).to.be.greaterThan(0);
    });
  });
});
