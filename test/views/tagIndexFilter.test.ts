import { expect } from 'chai';
import { buildRecordBatch } from '../../protocol/records/batch';
import { BATCH, Compression } from '../../protocol/records/batchHeader';
import { hashTag, indexBatchTags, SegmentTags } from '../../storage/tagIndex';
import { compileFilter } from '../../src/views/recordFilter';
import { RecordCursor } from '../../src/views/recordScan';

const NAMES = ['brook-tag', 'TAGS', 'rocketmq_TAGS', 'other', 'brook-tagx', 'tags'];
const TAGS = ['paid', 'new', 'refunded', 'x'.repeat(200), ''];

/** Deterministic pseudo-random numbers, so a failure replays. */
function rng(seed: number): () => number {
  return () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
}

describe('views: the tag index agrees with the tag filter it serves', () => {
  it('never says "no" for a batch in which the filter keeps a record (header order, names, null values, long varints, codecs)', () => {
    const random = rng(7);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    let batchesWithMatch = 0;
    let skippable = 0;
    for (let b = 0; b < 400; b++) {
      const records = Array.from({ length: 1 + Math.floor(random() * 6) }, () => ({
        key: random() < 0.5 ? null : Buffer.from('k'.repeat(Math.floor(random() * 300))),
        value: Buffer.from('v'.repeat(Math.floor(random() * 300))),
        headers: Array.from({ length: Math.floor(random() * 4) }, () => ({ key: pick(NAMES), value: random() < 0.1 ? null : Buffer.from(pick(TAGS)) })),
      }));
      const compression = b % 3 === 0 ? Compression.Gzip : Compression.None;
      const batch = buildRecordBatch({ baseOffset: BigInt(b * 10), records, compression });
      const tags = new SegmentTags();
      indexBatchTags(tags, batch, 0, 0);
      expect(tags.coveredNext).to.equal(b * 10 + records.length);
      const plain = compression === Compression.None ? batch : buildRecordBatch({ baseOffset: BigInt(b * 10), records });
      for (const tag of TAGS) {
        const f = compileFilter(tag === '' ? 'paid' : tag);
        const c = new RecordCursor();
        c.reset(plain, BATCH.RECORDS, plain.length);
        let matches = false;
        while (c.next()) if (f.matches(c)) matches = true;
        const may = tags.batchMayHold(b * 10, f.tags!.map(hashTag));
        if (matches) {
          batchesWithMatch++;
          expect(may, `batch ${b}, tag ${f.tags![0]!.slice(0, 10)}`).to.equal(true);
        } else if (!may) {
          skippable++;
        }
      }
    }
    // the walk found both kinds, so the check above was not vacuous
    expect(batchesWithMatch).to.be.greaterThan(50);
    expect(skippable).to.be.greaterThan(50);
  });
});
