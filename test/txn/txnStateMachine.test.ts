import { expect } from 'chai';
import { TXN_STATUS_NAMES, TxnStatus, decodeTxnKey, decodeTxnValue, encodeTxnKey, encodeTxnValue } from '../../src/txn/txnLogRecords';
import {
  IllegalTxnTransition,
  TxnStateMachine,
  assertTxnTransition,
  decodeTxnStateRecord,
  encodeTxnStateRecord,
  txnExpiry,
  txnTransition,
  type TxnStateRecord,
} from '../../src/txn/txnStateMachine';

const name = (s: TxnStatus | 'none') => (s === 'none' ? 'none' : TXN_STATUS_NAMES[s]);

describe('transaction state machine (records and replay)', () => {
  it('writes TransactionLogKey v0 / TransactionLogValue v0 in Kafka\'s byte layout', () => {
    const str = (x: string) => Buffer.concat([Buffer.from([0, x.length]), Buffer.from(x)]);
    const i32 = (n: number) => { const b = Buffer.alloc(4); b.writeInt32BE(n); return b; };
    const i64 = (n: bigint) => { const b = Buffer.alloc(8); b.writeBigInt64BE(n); return b; };
    expect(encodeTxnKey('tx')).to.deep.equal(Buffer.concat([Buffer.from([0, 0]), str('tx')]));
    const value = { producerId: 42n, producerEpoch: 3, timeoutMs: 60_000, status: TxnStatus.Ongoing, partitions: [{ topic: 'a', partitions: [0, 2] }], lastUpdateMs: 1000, startMs: 900 };
    const bytes = Buffer.concat([
      Buffer.from([0, 0]), i64(42n), Buffer.from([0, 3]), i32(60_000), Buffer.from([TxnStatus.Ongoing]),
      i32(1), str('a'), i32(2), i32(0), i32(2), i64(1000n), i64(900n),
    ]);
    expect(encodeTxnValue(value)).to.deep.equal(bytes);
    expect(decodeTxnValue(bytes)).to.deep.equal(value);
    expect(decodeTxnKey(encodeTxnKey('tx'))).to.deep.equal({ version: 0, transactionalId: 'tx' });
  });

  it('replays a transaction through its records, and the same records read back from the log give the same state', () => {
    const live = new TxnStateMachine();
    const written: TxnStateRecord[] = [];
    const step = (r: TxnStateRecord) => {
      written.push(r);
      live.replay(r);
    };
    step(txnTransition('t', undefined, { status: TxnStatus.Empty, producerId: 7n, epoch: 0, timeoutMs: 60_000, startMs: -1 }, 100));
    step(txnTransition('t', live.get('t'), { status: TxnStatus.Ongoing, partitions: new Map([['a', new Set([0, 1])]]), startMs: 200 }, 200));
    step({ type: 'staged-offsets', transactionalId: 't', offsets: [{ groupId: 'g', topic: 'a', partition: 0, offset: 5, leaderEpoch: -1, metadata: '' }] });
    step(txnTransition('t', live.get('t'), { status: TxnStatus.PrepareCommit }, 300));

    const meta = live.get('t')!;
    expect(meta).to.deep.include({ producerId: 7n, epoch: 0, timeoutMs: 60_000, status: TxnStatus.PrepareCommit, startMs: 200, lastUpdateMs: 300 });
    expect(meta.partitions).to.deep.equal(new Map([['a', new Set([0, 1])]]));
    expect(meta.staged.map((o) => o.offset)).to.deep.equal([5]);

    const loaded = new TxnStateMachine();
    for (const r of written) loaded.replay(decodeTxnStateRecord(encodeTxnStateRecord(r)));
    expect(loaded.get('t')).to.deep.equal(meta);
  });

  it('updates an id in place, so the coordinator may hold its state across a write', () => {
    const m = new TxnStateMachine();
    m.replay(txnTransition('t', undefined, { status: TxnStatus.Empty, producerId: 1n, epoch: 0, timeoutMs: 1000 }, 1));
    const held = m.get('t')!;
    m.replay(txnTransition('t', held, { status: TxnStatus.Ongoing, partitions: new Map([['x', new Set([2])]]), startMs: 2 }, 2));
    expect(m.get('t')).to.equal(held);
    expect(held.status).to.equal(TxnStatus.Ongoing);
  });

  it('a new transaction starts with nothing staged; a tombstone forgets the id', () => {
    const m = new TxnStateMachine();
    m.replay(txnTransition('t', undefined, { status: TxnStatus.Empty, producerId: 1n, epoch: 0, timeoutMs: 1000 }, 1));
    m.replay(txnTransition('t', m.get('t'), { status: TxnStatus.Ongoing, startMs: 2 }, 2));
    m.replay({ type: 'staged-offsets', transactionalId: 't', offsets: [{ groupId: 'g', topic: 'a', partition: 0, offset: 1, leaderEpoch: -1, metadata: '' }] });
    m.replay(txnTransition('t', m.get('t'), { status: TxnStatus.PrepareAbort }, 3));
    m.replay(txnTransition('t', m.get('t'), { status: TxnStatus.CompleteAbort, partitions: new Map() }, 4));
    m.replay(txnTransition('t', m.get('t'), { status: TxnStatus.Ongoing, startMs: 5 }, 5));
    expect(m.get('t')!.staged).to.deep.equal([]);
    m.replay(txnTransition('t', m.get('t'), { status: TxnStatus.PrepareCommit }, 6));
    m.replay(txnTransition('t', m.get('t'), { status: TxnStatus.CompleteCommit, partitions: new Map() }, 7));
    for (const r of txnExpiry(m.get('t')!)) m.replay(r);
    expect(m.get('t')).to.equal(undefined);
    expect(m.size).to.equal(0);
  });

  it('keeps staged offsets that compaction left before their id\'s state record', () => {
    const m = new TxnStateMachine();
    m.replay({ type: 'staged-offsets', transactionalId: 't', offsets: [{ groupId: 'g', topic: 'a', partition: 3, offset: 9, leaderEpoch: 0, metadata: 'm' }] });
    m.replay(txnTransition('t', undefined, { status: TxnStatus.Empty, producerId: 1n, epoch: 0, timeoutMs: 1000 }, 1));
    expect(m.get('t')!.staged.map((o) => o.partition)).to.deep.equal([3]);
  });

  it('computing a transition changes nothing until its record is replayed (a failed write reverts by not replaying)', () => {
    const m = new TxnStateMachine();
    m.replay(txnTransition('t', undefined, { status: TxnStatus.Empty, producerId: 1n, epoch: 4, timeoutMs: 1000 }, 1));
    m.replay(txnTransition('t', m.get('t'), { status: TxnStatus.Ongoing, partitions: new Map([['a', new Set([0])]]), startMs: 1 }, 1));
    const before = structuredClone(m.get('t'));
    txnTransition('t', m.get('t'), { status: TxnStatus.PrepareAbort, epoch: 5 }, 9);
    expect(m.get('t')).to.deep.equal(before);
  });

  describe('valid previous states', () => {
    const legal: Array<[TxnStatus | 'none', TxnStatus]> = [
      ['none', TxnStatus.Empty], [TxnStatus.Empty, TxnStatus.Ongoing], [TxnStatus.CompleteCommit, TxnStatus.Ongoing], [TxnStatus.CompleteAbort, TxnStatus.Empty],
      [TxnStatus.Ongoing, TxnStatus.Ongoing], [TxnStatus.Ongoing, TxnStatus.PrepareCommit], [TxnStatus.Ongoing, TxnStatus.PrepareAbort],
      [TxnStatus.PrepareCommit, TxnStatus.CompleteCommit], [TxnStatus.PrepareAbort, TxnStatus.CompleteAbort], [TxnStatus.CompleteAbort, TxnStatus.Dead],
    ];
    const illegal: Array<[TxnStatus | 'none', TxnStatus]> = [
      ['none', TxnStatus.Ongoing], [TxnStatus.Empty, TxnStatus.PrepareCommit], [TxnStatus.Empty, TxnStatus.CompleteCommit], [TxnStatus.PrepareCommit, TxnStatus.Ongoing],
      [TxnStatus.PrepareCommit, TxnStatus.PrepareAbort], [TxnStatus.PrepareAbort, TxnStatus.CompleteCommit], [TxnStatus.PrepareCommit, TxnStatus.Empty],
      [TxnStatus.Ongoing, TxnStatus.CompleteCommit], [TxnStatus.Ongoing, TxnStatus.Dead], [TxnStatus.PrepareAbort, TxnStatus.Dead],
    ];
    for (const [from, to] of legal) {
      it(`allows ${name(from)} -> ${name(to)}`, () => expect(() => assertTxnTransition('t', from, to)).not.to.throw());
    }
    for (const [from, to] of illegal) {
      it(`refuses ${name(from)} -> ${name(to)}`, () => expect(() => assertTxnTransition('t', from, to)).to.throw(IllegalTxnTransition));
    }

    it('refuses to build the record of an illegal transition', () => {
      const m = new TxnStateMachine();
      m.replay(txnTransition('t', undefined, { status: TxnStatus.Empty, producerId: 1n, epoch: 0, timeoutMs: 1000 }, 1));
      expect(() => txnTransition('t', m.get('t'), { status: TxnStatus.CompleteCommit }, 2)).to.throw(IllegalTxnTransition, /Empty -> CompleteCommit/);
      expect(() => txnExpiry({ ...m.get('t')!, status: TxnStatus.Ongoing })).to.throw(IllegalTxnTransition, /Ongoing -> Dead/);
    });
  });
});
