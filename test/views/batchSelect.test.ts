import { expect } from 'chai';
import { buildRecordBatch, decodeRecordBatches } from '../../protocol/records';
import { Compression } from '../../protocol/records/batchHeader';
import { selectRecords } from '../../src/views/batchSelect';
import { compileFilter } from '../../src/views/recordFilter';

const TAGS = ['paid', 'new', 'new', 'refunded', 'paid', 'new', 'paid', 'paid', 'new', 'shipped'];

function batch(compression: number): Buffer {
  return buildRecordBatch({
    baseOffset: 100n,
    compression: compression as Compression,
    records: TAGS.map((tag, i) => ({ key: null, value: Buffer.from(`v${i}`), headers: [{ key: 'brook-tag', value: Buffer.from(tag) }] })),
  });
}

const offsetsOf = (b: Buffer) => decodeRecordBatches(b).flatMap((x) => x.records.map((r) => [Number(r.offset), r.value!.toString()]));

/** The batch cutting share groups on a view use to acquire and redeliver only the matching records. */
describe('views: selectRecords', () => {
  const filter = compileFilter('paid || refunded');

  for (const [name, codec] of [
    ['uncompressed', Compression.None],
    ['gzip', Compression.Gzip],
  ] as const) {
    it(`${name}: keeps matching records from an offset on, with their source offsets, and reports them as ranges`, () => {
      const b = batch(codec);
      const kept: number[] = [];
      const out = selectRecords(b, 0, b.length, { filter, from: 103 }, kept);
      expect(kept).to.deep.equal([103, 104, 106, 107]);
      const [decoded] = decodeRecordBatches(out!);
      expect(decoded!.baseOffset).to.equal(100n);
      expect(decoded!.lastOffsetDelta).to.equal(9);
      expect(decoded!.compression).to.equal(Compression.None);
      expect(offsetsOf(out!)).to.deep.equal([
        [103, 'v3'],
        [104, 'v4'],
        [106, 'v6'],
        [107, 'v7'],
      ]);
    });

    it(`${name}: keeps the records of given offset ranges, nothing when none is in them`, () => {
      const b = batch(codec);
      const kept: number[] = [];
      const out = selectRecords(b, 0, b.length, { offsets: [90, 100, 104, 104, 108, 200] }, kept);
      expect(kept).to.deep.equal([100, 100, 104, 104, 108, 109]);
      expect(offsetsOf(out!).map((x) => x[0])).to.deep.equal([100, 104, 108, 109]);
      expect(selectRecords(b, 0, b.length, { offsets: [0, 99, 110, 120] }, [])).to.equal(null);
    });
  }

  it('an uncompressed batch that keeps every record is served as it is', () => {
    const b = batch(Compression.None);
    const out = selectRecords(b, 0, b.length, { offsets: [100, 109] }, []);
    expect(out!.buffer).to.equal(b.buffer);
    expect(out!.length).to.equal(b.length);
  });
});
