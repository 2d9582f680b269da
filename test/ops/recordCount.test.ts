import { expect } from 'chai';
import { buildRecordBatch, Compression, convertV2ToLegacy } from '../../protocol/records';
import { byteLength, countRecords } from '../../src/metrics/recordCount';

function batch(n: number, base = 0n, compression = Compression.None): Buffer {
  return buildRecordBatch({ baseOffset: base, compression, records: Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: `value-${i}` })) });
}

/** Every way of cutting `buf` into two or three chunks. */
function* splits(buf: Buffer): Generator<Buffer[]> {
  for (let i = 0; i <= buf.length; i++) {
    yield [buf.subarray(0, i), buf.subarray(i)];
    const j = Math.min(buf.length, i + 7);
    yield [buf.subarray(0, i), buf.subarray(i, j), buf.subarray(j)];
  }
}

describe('metrics: counting messages from batch headers', () => {
  it('reads the record count of v2 batches, compressed or not', () => {
    expect(countRecords(batch(1))).to.equal(1);
    expect(countRecords(batch(17, 0n, Compression.Gzip))).to.equal(17);
    expect(countRecords(Buffer.concat([batch(3), batch(4, 3n, Compression.Zstd), batch(5, 7n)]))).to.equal(12);
  });

  it('gives the same count however the record set is split into chunks', () => {
    const set = Buffer.concat([batch(2), batch(3, 2n)]);
    for (const chunks of splits(set)) {
      expect(countRecords(chunks), chunks.map((c) => c.length).join('+')).to.equal(5);
      expect(byteLength(chunks)).to.equal(set.length);
    }
  });

  it('does not count a batch cut short at the end (a fetch limited by max bytes)', () => {
    const set = Buffer.concat([batch(2), batch(3, 2n)]);
    expect(countRecords(set.subarray(0, set.length - 1))).to.equal(2);
    expect(countRecords(set.subarray(0, 10))).to.equal(0);
    expect(countRecords([set.subarray(0, 30), set.subarray(30, set.length - 5)])).to.equal(2);
  });

  it('counts each legacy (magic 0/1) entry once', () => {
    const v2 = Buffer.concat([batch(3), batch(2, 3n)]);
    expect(countRecords(convertV2ToLegacy(v2, 0))).to.equal(5);
    expect(countRecords(convertV2ToLegacy(v2, 1))).to.equal(5);
  });

  it('treats empty and missing record sets as nothing', () => {
    expect(countRecords(null)).to.equal(0);
    expect(countRecords(Buffer.alloc(0))).to.equal(0);
    expect(countRecords([])).to.equal(0);
    expect(byteLength(null)).to.equal(0);
  });
});
