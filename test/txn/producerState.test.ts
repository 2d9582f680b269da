import { expect } from 'chai';
import { ErrorCode } from '../../protocol/errors';
import { ProducerStateTable, RETAINED_BATCHES, lastSequenceOf, type ProducerBatch } from '../../storage/producerState';

function batch(firstSeq: number, count: number, baseOffset: number): ProducerBatch {
  return { firstSeq, lastSeq: lastSequenceOf(firstSeq, count - 1), baseOffset, lastOffset: baseOffset + count - 1, written: null };
}

describe('producer state table', () => {
  it('accepts an unknown producer, then only the next sequence of the same epoch', () => {
    const t = new ProducerStateTable();
    expect(t.check(7n, 0, 0, 2).kind).to.equal('append');
    t.record(7n, 0, batch(0, 3, 100), 1);
    expect(t.check(7n, 0, 3, 3).kind).to.equal('append');
    const gap = t.check(7n, 0, 5, 5);
    expect(gap).to.include({ kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER });
    const dup = t.check(7n, 0, 0, 2);
    expect(dup.kind).to.equal('duplicate');
    expect(dup.kind === 'duplicate' && dup.batch.baseOffset).to.equal(100);
  });

  it('refuses older epochs and wants sequence 0 from a newer one', () => {
    const t = new ProducerStateTable();
    t.record(1n, 3, batch(0, 1, 0), 1);
    expect(t.check(1n, 2, 1, 1)).to.include({ kind: 'error', errorCode: ErrorCode.INVALID_PRODUCER_EPOCH });
    expect(t.check(1n, 4, 1, 1)).to.include({ kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER });
    expect(t.check(1n, 4, 0, 0).kind).to.equal('append');
    t.record(1n, 4, batch(0, 1, 1), 2);
    // the old epoch's batches are gone: its sequence 0 is no duplicate any more
    expect(t.get(1n)!.batches.map((b) => b.baseOffset)).to.deep.equal([1]);
    expect(t.check(1n, 3, 0, 0)).to.include({ kind: 'error', errorCode: ErrorCode.INVALID_PRODUCER_EPOCH });
  });

  it(`remembers the last ${RETAINED_BATCHES} batches only`, () => {
    const t = new ProducerStateTable();
    for (let i = 0; i < RETAINED_BATCHES + 2; i++) t.record(9n, 0, batch(i * 2, 2, i * 2), i);
    expect(t.get(9n)!.batches).to.have.length(RETAINED_BATCHES);
    expect(t.check(9n, 0, 0, 1)).to.include({ kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER });
    expect(t.check(9n, 0, 4, 5).kind).to.equal('duplicate');
  });

  it('wraps sequences at Int32.MAX', () => {
    expect(lastSequenceOf(0x7ffffffe, 2)).to.equal(0);
    const t = new ProducerStateTable();
    t.record(2n, 0, batch(0x7ffffffe, 2, 0), 1);
    expect(t.check(2n, 0, 0, 0).kind).to.equal('append');
    expect(t.check(2n, 0, 0x7fffffff + 0, 0x7fffffff).kind).to.equal('error');
  });

  it('forgets a batch whose write failed so the retry is accepted again', () => {
    const t = new ProducerStateTable();
    t.record(3n, 0, batch(0, 1, 0), 1);
    const failed = t.record(3n, 0, batch(1, 1, -1), 2);
    t.forget(3n, failed);
    expect(t.check(3n, 0, 1, 1).kind).to.equal('append');
  });

  it('expires idle producers without an open transaction', () => {
    const t = new ProducerStateTable();
    t.record(1n, 0, batch(0, 1, 0), 1_000);
    t.record(2n, 0, batch(0, 1, 1), 1_000);
    t.get(2n)!.txnFirstOffset = 1;
    t.record(3n, 0, batch(0, 1, 2), 9_000);
    expect(t.expire(10_000, 5_000)).to.equal(1);
    expect([...t.entries()].map((e) => e.producerId)).to.deep.equal([2n, 3n]);
  });
});
