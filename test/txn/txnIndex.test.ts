import { expect } from 'chai';
import { AbortedTxnIndex } from '../../storage/txnIndex';

describe('aborted transaction index', () => {
  const index = new AbortedTxnIndex();
  // [first, last] ranges in marker order
  for (const [pid, first, last] of [[1n, 0, 10], [2n, 5, 20], [3n, 30, 35], [4n, 12, 40]] as const) index.add({ producerId: pid, firstOffset: first, lastOffset: last });

  it('returns the transactions with data in a fetched range', () => {
    expect(index.overlapping(0, 4).map((t) => t.producerId)).to.deep.equal([1n]);
    expect(index.overlapping(11, 13).map((t) => t.producerId)).to.deep.equal([2n, 4n]);
    expect(index.overlapping(21, 30).map((t) => t.producerId)).to.deep.equal([4n]);
    expect(index.overlapping(36, 100).map((t) => t.producerId)).to.deep.equal([4n]);
    expect(index.overlapping(41, 100)).to.deep.equal([]);
  });

  it('drops transactions wholly below the log start', () => {
    const copy = new AbortedTxnIndex();
    for (const t of index.all()) copy.add(t);
    copy.truncateBelow(21);
    expect(copy.all().map((t) => t.producerId)).to.deep.equal([3n, 4n]);
  });
});
