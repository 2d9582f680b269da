import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { nodeFs } from '../../storage/fs';
import { collectAborted, encodeTxnIndex, loadSegmentTxnIndex, parseTxnIndex, SegmentTxnIndex, type AbortedTxn } from '../../storage/txnIndex';
import { removeDir, tempDir } from '../storage/helpers';

// [producer, first, last (marker), LSO after the abort], in marker order
const ENTRIES: AbortedTxn[] = (
  [
    [1n, 0, 10, 5],
    [2n, 5, 20, 12],
    [3n, 30, 35, 12],
    [4n, 12, 40, 41],
  ] as const
).map(([producerId, firstOffset, lastOffset, lastStableOffset]) => ({ producerId, firstOffset, lastOffset, lastStableOffset }));

function collect(from: number, to: number): { ids: bigint[]; complete: boolean } {
  const out: AbortedTxn[] = [];
  const complete = collectAborted(ENTRIES, from, to, out);
  return { ids: out.map((t) => t.producerId), complete };
}

describe('aborted transaction index (.txnindex)', () => {
  it('collects the transactions with data in a fetched range', () => {
    expect(collect(0, 4)).to.deep.equal({ ids: [1n], complete: true });
    expect(collect(11, 13)).to.deep.equal({ ids: [2n, 4n], complete: true });
    expect(collect(21, 30)).to.deep.equal({ ids: [4n], complete: true });
    expect(collect(41, 100)).to.deep.equal({ ids: [], complete: false });
  });

  it('stops at the first entry whose LSO reached the end of the range, and not before', () => {
    // producer 3's abort left the LSO at 12 (producer 4 still open), so the search must go on to producer 4
    expect(collect(13, 20)).to.deep.equal({ ids: [2n, 4n], complete: true });
    const out: AbortedTxn[] = [];
    expect(collectAborted(ENTRIES.slice(0, 3), 13, 20, out), 'entries so far cannot rule out a later abort').to.equal(false);
  });

  it('round-trips Kafka\'s 34-byte entries and refuses torn or out-of-segment files', () => {
    const buf = encodeTxnIndex(ENTRIES);
    expect(buf.length).to.equal(4 * 34);
    expect(parseTxnIndex(buf, 0, 41)).to.deep.equal(ENTRIES);
    expect(parseTxnIndex(buf.subarray(0, buf.length - 3), 0, 41), 'torn tail').to.equal(null);
    expect(parseTxnIndex(buf, 0, 40), 'marker past the segment end').to.equal(null);
    expect(parseTxnIndex(buf, 11, 41), 'marker before the segment base').to.equal(null);
    const unordered = Buffer.concat([buf.subarray(34, 68), buf.subarray(0, 34)]);
    expect(parseTxnIndex(unordered, 0, 41)).to.equal(null);
  });

  describe('on disk', () => {
    let dir: string;
    beforeEach(() => {
      dir = tempDir('brook-txnindex-');
    });
    afterEach(() => removeDir(dir));

    it('a closed segment\'s entries leave memory once written and are read back from the file', async () => {
      const idx = new SegmentTxnIndex();
      for (const e of ENTRIES) idx.add(e);
      await idx.persist(nodeFs, dir, 'x.txnindex', true);
      expect(fs.readFileSync(path.join(dir, 'x.txnindex'))).to.deep.equal(encodeTxnIndex(ENTRIES));
      expect(() => idx.add(ENTRIES[0]!), 'no longer in memory').to.throw('txn index of a closed segment cannot take entries');
      expect(await idx.read(nodeFs, path.join(dir, 'x.txnindex'))).to.deep.equal(ENTRIES);
      expect(idx.count).to.equal(4);
    });

    it('an untrusted index removes a stale file instead of writing', async () => {
      fs.writeFileSync(path.join(dir, 'y.txnindex'), encodeTxnIndex(ENTRIES));
      await new SegmentTxnIndex(false).persist(nodeFs, dir, 'y.txnindex', true);
      expect(fs.existsSync(path.join(dir, 'y.txnindex'))).to.equal(false);
    });

    it('trusts a file at start only below the recovery point and only when it fits the segment', async () => {
      const file = path.join(dir, 'z.txnindex');
      fs.writeFileSync(file, encodeTxnIndex(ENTRIES));
      const good = await loadSegmentTxnIndex(nodeFs, file, 0, 41, true, false);
      expect([good.trusted, good.count]).to.deep.equal([true, 4]);
      expect((await loadSegmentTxnIndex(nodeFs, file, 0, 41, false, false)).trusted, 'at or past the recovery point').to.equal(false);
      expect((await loadSegmentTxnIndex(nodeFs, path.join(dir, 'missing'), 0, 41, true, false)).trusted).to.equal(false);
      fs.writeFileSync(file, encodeTxnIndex(ENTRIES).subarray(0, 50));
      expect((await loadSegmentTxnIndex(nodeFs, file, 0, 41, true, false)).trusted, 'torn').to.equal(false);
    });
  });
});
