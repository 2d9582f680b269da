import { expect } from 'chai';
import crc32 from 'buffer-crc32';
import { ErrorCode } from '../../protocol/errors';
import { ATTR, BATCH, Compression, fixBatchCrc } from '../../protocol/records/batchHeader';
import { buildRecordBatch } from '../../protocol/records/batch';
import { buildControlBatch } from '../../protocol/records/control';
import { checkProduceRecords, PRODUCE_RECORDS_OK, validateProduceRecords, type ProduceValidation } from '../../protocol/records/validate';
import { compress, decompress } from '../../protocol/records/compression';

const T0 = 1_700_000_000_000n;

function batch(n = 3, compression: Compression = Compression.None): Buffer {
  const records = Array.from({ length: n }, (_, i) => ({
    key: `k${i}`,
    value: `value-${i}`,
    timestamp: T0 + BigInt(i),
    headers: [{ key: 'h', value: i % 2 ? null : 'x' }],
  }));
  return buildRecordBatch({ records, compression, producerId: 9n, producerEpoch: 1, baseSequence: 100 });
}

function mutate(buf: Buffer, fn: (b: Buffer) => void, keepCrc = true): Buffer {
  const b = Buffer.from(buf);
  fn(b);
  if (keepCrc) fixBatchCrc(b);
  return b;
}

function expectFailure(result: ProduceValidation, code: number, message?: RegExp): void {
  expect(result.ok, JSON.stringify(result, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))).to.equal(false);
  if (result.ok) return;
  expect(result.errorCode, result.message).to.equal(code);
  if (message) expect(result.message).to.match(message);
}

/** Uncompressed batch with a hand-made records section. */
function withBody(body: number[], recordCount: number): Buffer {
  const shell = buildRecordBatch({ records: [], lastOffsetDelta: recordCount - 1, baseTimestamp: T0 });
  const b = Buffer.concat([shell, Buffer.from(body)]);
  b.writeInt32BE(b.length - BATCH.LOG_OVERHEAD, BATCH.BATCH_LENGTH);
  b.writeInt32BE(recordCount, BATCH.RECORD_COUNT);
  fixBatchCrc(b);
  return b;
}

describe('validateProduceRecords', () => {
  it('accepts valid batches of every codec and reports what the produce path needs', () => {
    const parts = [batch(3), batch(5, Compression.Gzip), batch(2, Compression.Snappy), batch(4, Compression.Lz4), batch(1, Compression.Zstd)];
    const buf = Buffer.concat(parts);
    const r = validateProduceRecords(buf);
    expect(r.ok).to.equal(true);
    if (!r.ok) return;
    let pos = 0;
    r.batches.forEach((info, i) => {
      expect(info.position).to.equal(pos);
      expect(info.size).to.equal(parts[i].length);
      pos += parts[i].length;
    });
    expect(r.batches.map((b) => [b.recordCount, b.lastOffsetDelta, b.compression])).to.deep.equal([
      [3, 2, 0],
      [5, 4, 1],
      [2, 1, 2],
      [4, 3, 3],
      [1, 0, 4],
    ]);
    expect(r.batches[0]).to.include({
      producerId: 9n,
      producerEpoch: 1,
      baseSequence: 100,
      isTransactional: false,
      baseTimestamp: T0,
      maxTimestamp: T0 + 2n,
      timestampType: 'create',
    });
  });

  it('reports transactional batches', () => {
    const b = buildRecordBatch({ records: [{ value: 'x' }], transactional: true, producerId: 4n, producerEpoch: 0, baseSequence: 0 });
    const r = validateProduceRecords(b);
    expect(r.ok && r.batches[0].isTransactional).to.equal(true);
  });

  it('accepts an empty payload with no batches and enforces one batch when asked', () => {
    const r = validateProduceRecords(Buffer.alloc(0));
    expect(r.ok && r.batches.length).to.equal(0);
    expectFailure(validateProduceRecords(Buffer.concat([batch(), batch()]), { requireSingleBatch: true }), ErrorCode.INVALID_RECORD, /exactly one/);
    // Kafka refuses the second batch before reading it (ProduceRequest.validateRecords), so not for its CRC
    const second = mutate(batch(), (x) => (x[x.length - 1] ^= 0xff), false);
    expectFailure(validateProduceRecords(Buffer.concat([batch(), second]), { requireSingleBatch: true }), ErrorCode.INVALID_RECORD, /exactly one/);
    expect(validateProduceRecords(batch(), { requireSingleBatch: true }).ok).to.equal(true);
  });

  describe('size checks (CORRUPT_MESSAGE)', () => {
    it('refuses trailing garbage after the last batch', () => {
      expectFailure(validateProduceRecords(Buffer.concat([batch(), Buffer.from([1, 2, 3])])), ErrorCode.CORRUPT_MESSAGE, /trailing/);
    });

    it('refuses a truncated header and a batch length that overruns the buffer', () => {
      const b = batch();
      expectFailure(validateProduceRecords(b.subarray(0, 40)), ErrorCode.CORRUPT_MESSAGE, /truncated batch header/);
      expectFailure(validateProduceRecords(b.subarray(0, b.length - 1)), ErrorCode.CORRUPT_MESSAGE, /only/);
      expectFailure(
        validateProduceRecords(mutate(b, (x) => x.writeInt32BE(0x7fffffff, BATCH.BATCH_LENGTH), false)),
        ErrorCode.CORRUPT_MESSAGE,
      );
    });

    it('refuses a batch length below the header size', () => {
      const b = mutate(batch(), (x) => x.writeInt32BE(10, BATCH.BATCH_LENGTH), false);
      expectFailure(validateProduceRecords(b), ErrorCode.CORRUPT_MESSAGE, /below the minimum/);
    });
  });

  it('names legacy message sets so the broker can convert them', () => {
    for (const magic of [0, 1] as const) {
      const msg = Buffer.alloc(12 + 14 + (magic ? 8 : 0));
      msg.writeInt32BE(msg.length - 12, 8);
      msg.writeInt8(magic, 16);
      msg.writeInt32BE(-1, msg.length - 8);
      msg.writeInt32BE(-1, msg.length - 4);
      msg.writeUInt32BE(crc32.unsigned(msg.subarray(16)), 12);
      const r = validateProduceRecords(msg);
      expectFailure(r, ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, /legacy/);
      expect(!r.ok && r.legacyMagic).to.equal(magic);
    }
  });

  it('refuses unknown magic values', () => {
    expectFailure(validateProduceRecords(mutate(batch(), (x) => x.writeInt8(3, BATCH.MAGIC), false)), ErrorCode.CORRUPT_MESSAGE, /magic 3/);
    expectFailure(validateProduceRecords(mutate(batch(), (x) => x.writeInt8(-1, BATCH.MAGIC), false)), ErrorCode.CORRUPT_MESSAGE, /magic/);
  });

  it('detects CRC mismatches (CORRUPT_MESSAGE)', () => {
    const b = batch();
    for (const at of [BATCH.ATTRIBUTES, BATCH.MAX_TIMESTAMP + 3, b.length - 2]) {
      expectFailure(validateProduceRecords(mutate(b, (x) => (x[at] ^= 0x40), false)), ErrorCode.CORRUPT_MESSAGE, /CRC/);
    }
  });

  it('refuses compression codecs 5-7 (UNSUPPORTED_COMPRESSION_TYPE)', () => {
    for (const codec of [5, 6, 7]) {
      const b = mutate(batch(), (x) => x.writeInt16BE(codec, BATCH.ATTRIBUTES));
      expectFailure(validateProduceRecords(b), ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
    }
  });

  it('refuses control batches from clients (INVALID_RECORD)', () => {
    const marker = buildControlBatch({ producerId: 1n, producerEpoch: 0, commit: true, coordinatorEpoch: 0 });
    expectFailure(validateProduceRecords(marker), ErrorCode.INVALID_RECORD, /control/);
    const flagged = mutate(batch(), (x) => x.writeInt16BE(ATTR.CONTROL, BATCH.ATTRIBUTES));
    expectFailure(validateProduceRecords(flagged), ErrorCode.INVALID_RECORD, /control/);
  });

  it('checks the record count against lastOffsetDelta and the bytes present', () => {
    expectFailure(validateProduceRecords(mutate(batch(), (x) => x.writeInt32BE(-1, BATCH.RECORD_COUNT))), ErrorCode.CORRUPT_MESSAGE, /negative/);
    expectFailure(validateProduceRecords(mutate(batch(), (x) => x.writeInt32BE(2, BATCH.RECORD_COUNT))), ErrorCode.INVALID_RECORD, /lastOffsetDelta/);
    expectFailure(validateProduceRecords(mutate(batch(), (x) => x.writeInt32BE(7, BATCH.LAST_OFFSET_DELTA))), ErrorCode.INVALID_RECORD, /lastOffsetDelta/);
    // Count and delta agree with each other but lie about the records present.
    const lie = mutate(batch(3), (x) => {
      x.writeInt32BE(4, BATCH.RECORD_COUNT);
      x.writeInt32BE(3, BATCH.LAST_OFFSET_DELTA);
    });
    expectFailure(validateProduceRecords(lie), ErrorCode.CORRUPT_MESSAGE, /record 3/);
    const huge = mutate(batch(3), (x) => {
      x.writeInt32BE(1_000_000_000, BATCH.RECORD_COUNT);
      x.writeInt32BE(999_999_999, BATCH.LAST_OFFSET_DELTA);
    });
    expectFailure(validateProduceRecords(huge), ErrorCode.CORRUPT_MESSAGE, /cannot fit/);
    const fewer = mutate(batch(3), (x) => {
      x.writeInt32BE(2, BATCH.RECORD_COUNT);
      x.writeInt32BE(1, BATCH.LAST_OFFSET_DELTA);
    });
    expectFailure(validateProduceRecords(fewer), ErrorCode.CORRUPT_MESSAGE, /after the last record/);
  });

  it('refuses empty batches from producers, as Kafka does (INVALID_RECORD)', () => {
    expectFailure(validateProduceRecords(buildRecordBatch({ records: [] })), ErrorCode.INVALID_RECORD, /no records/);
  });

  it('walks uncompressed record structure without decoding it', () => {
    // minimal valid record: len 6, attrs, ts, offDelta 0, key null, value null, 0 headers
    expect(validateProduceRecords(withBody([0x0c, 0, 0, 0, 1, 1, 0], 1)).ok).to.equal(true);
    // second record with offset delta 5 instead of 1
    expectFailure(validateProduceRecords(withBody([0x0c, 0, 0, 0, 1, 1, 0, 0x0c, 0, 0, 10, 1, 1, 0], 2)), ErrorCode.INVALID_RECORD, /offset delta 5/);
    // record length beyond the batch
    expectFailure(validateProduceRecords(withBody([0x7e, 0, 0, 0, 1, 1, 0], 1)), ErrorCode.CORRUPT_MESSAGE, /record length/);
    // key length 100 inside a 6-byte record
    expectFailure(validateProduceRecords(withBody([0x0c, 0, 0, 0, 0xc8, 0x01, 0], 1)), ErrorCode.CORRUPT_MESSAGE, /key/);
    // key length -2
    expectFailure(validateProduceRecords(withBody([0x0c, 0, 0, 0, 3, 1, 0], 1)), ErrorCode.CORRUPT_MESSAGE, /key/);
    // header count 3 with no header bytes
    expectFailure(validateProduceRecords(withBody([0x0c, 0, 0, 0, 1, 1, 6], 1)), ErrorCode.CORRUPT_MESSAGE, /header 0/);
    // null header key
    expectFailure(validateProduceRecords(withBody([0x10, 0, 0, 0, 1, 1, 2, 1, 1], 1)), ErrorCode.CORRUPT_MESSAGE, /header 0 key/);
    // fields end before the declared record length
    expectFailure(validateProduceRecords(withBody([0x0e, 0, 0, 0, 1, 1, 0, 0], 1)), ErrorCode.CORRUPT_MESSAGE, /declares/);
    // timestamp delta varlong running off the record
    expectFailure(validateProduceRecords(withBody([0x02, 0, 0xff], 1)), ErrorCode.CORRUPT_MESSAGE);
  });

  it('walks the records of compressed batches too, and hands back the body it decompressed once', () => {
    for (const codec of [Compression.Gzip, Compression.Snappy, Compression.Lz4, Compression.Zstd]) {
      const good = batch(3, codec);
      const check = checkProduceRecords(good, {}, Infinity);
      expect(check.ok, `codec ${codec}`).to.equal(true);
      if (!check.ok) continue;
      expect(check.bodies![0]).to.deep.equal(decompress(codec, good.subarray(BATCH.RECORDS)));
      // a body whose records do not parse, however well compressed
      const body = Buffer.from(check.bodies![0]!);
      body[0] = 0x7f; // the first record's length now runs past the end
      const bad = Buffer.concat([good.subarray(0, BATCH.RECORDS), compress(codec, body)]);
      bad.writeInt32BE(bad.length - BATCH.LOG_OVERHEAD, BATCH.BATCH_LENGTH);
      fixBatchCrc(bad);
      expectFailure(checkProduceRecords(bad, {}, Infinity) as ProduceValidation, ErrorCode.CORRUPT_MESSAGE, /record 0/);
    }
    expect(checkProduceRecords(batch(3), {}, Infinity)).to.equal(PRODUCE_RECORDS_OK);
    const garbage = Buffer.concat([batch(3, Compression.Gzip).subarray(0, BATCH.RECORDS), Buffer.from('not gzip')]);
    garbage.writeInt32BE(garbage.length - BATCH.LOG_OVERHEAD, BATCH.BATCH_LENGTH);
    fixBatchCrc(garbage);
    expectFailure(validateProduceRecords(garbage), ErrorCode.CORRUPT_MESSAGE, /gzip/);
  });

  it('never throws on random corruption', () => {
    let seed = 7;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const good = Buffer.concat([batch(4), batch(3, Compression.Gzip)]);
    let rejected = 0;
    for (let i = 0; i < 2000; i++) {
      const bad = Buffer.from(good);
      for (let f = 0; f < 1 + rand(3); f++) bad[rand(bad.length)] = rand(256);
      // Half of the cases keep the CRC right so the deeper checks run.
      if (i % 2 === 0 && bad.readInt8(BATCH.MAGIC) === 2 && bad.readInt32BE(BATCH.BATCH_LENGTH) === good.readInt32BE(BATCH.BATCH_LENGTH)) fixBatchCrc(bad);
      const r = validateProduceRecords(bad.subarray(0, good.length - rand(2) * rand(50)));
      if (!r.ok) rejected++;
    }
    expect(rejected).to.be.greaterThan(1000);
  });
});
