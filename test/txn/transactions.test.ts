import { expect } from 'chai';
import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/generated/apis';
import type { ListOffsetsResponse } from '../../protocol/generated/messages/ListOffsetsResponse';
import { buildRecordBatch, decodeRecordBatches } from '../../protocol/records';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { fetchRaw, fetchRequest, produceRaw } from '../helpers/dataPath';
import { RawClient } from '../helpers/rawClient';
import { Kafka, logLevel } from 'kafkajs';
import { addOffsets, addPartitions, produceTxn, describeTxn, endTxn, idempotentBatch, initProducerId, txnOffsetCommit } from './helpers/wire';
import { eventually } from '../helpers/eventually';

async function fetchIsolated(c: RawClient, topic: string, isolationLevel: number) {
  const res = await fetchRaw(c, fetchRequest([{ topic, partition: 0, offset: 0 }], { isolationLevel }));
  const p = res.responses[0].partitions[0];
  // control records (markers) show as null
  const values = p.records && p.records.length > 0 ? decodeRecordBatches(p.records).flatMap((b) => b.records.map((r) => (b.isControl ? null : r.value!.toString()))) : [];
  return { values, lso: Number(p.lastStableOffset), hw: Number(p.highWatermark), aborted: p.abortedTransactions };
}

async function latest(c: RawClient, topic: string, isolationLevel: number): Promise<number> {
  const res = await c.request<ListOffsetsResponse>(ApiKey.ListOffsets, 7, {
    replicaId: -1,
    isolationLevel,
    topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }],
  });
  return Number(res.topics[0].partitions[0].offset);
}

describe('transactions (wire)', function () {
  this.timeout(60_000);
  let broker: TestBroker;
  let c: RawClient;

  beforeEach(async () => {
    broker = await startTestBroker({ config: { 'num.partitions': '1', 'transaction.abort.timed.out.transaction.cleanup.interval.ms': '25' } });
    await broker.services.metadata.createTopic('tx', { partitions: 1, configs: {} });
    c = await RawClient.connect(broker.port);
  });
  afterEach(async () => {
    c.close();
    await broker.destroy();
  });

  it('read_committed stops at the open transaction and skips aborted data; read_uncommitted sees everything', async () => {
    const { producerId: pid, producerEpoch: epoch, errorCode } = await initProducerId(c, 'app-1');
    expect(errorCode).to.equal(0);
    await produceRaw(c, 'tx', 0, buildRecordBatch({ records: [{ key: null, value: Buffer.from('before') }] }));
    expect(await addPartitions(c, 'app-1', pid, epoch, 'tx', [0])).to.deep.equal([0]);
    expect((await produceTxn(c, 'app-1', 'tx', 0, idempotentBatch(pid, epoch, 0, ['t1', 't2'], true))).errorCode).to.equal(0);
    await produceRaw(c, 'tx', 0, buildRecordBatch({ records: [{ key: null, value: Buffer.from('after') }] }));

    const open = await fetchIsolated(c, 'tx', 1);
    expect(open).to.deep.include({ values: ['before'], lso: 1, hw: 4 });
    // Kafka reports the partition's LSO under read_uncommitted too (lag tools compute from it), with all the data.
    expect(await fetchIsolated(c, 'tx', 0)).to.deep.include({ values: ['before', 't1', 't2', 'after'], lso: 1, hw: 4 });
    // ... also when the fetch starts at the high watermark and returns no data
    const atEnd = await fetchRaw(c, fetchRequest([{ topic: 'tx', partition: 0, offset: 4 }], { isolationLevel: 0 }));
    expect(Number(atEnd.responses[0].partitions[0].lastStableOffset)).to.equal(1);
    expect(await latest(c, 'tx', 1)).to.equal(1);
    expect(await latest(c, 'tx', 0)).to.equal(4);
    const described = await describeTxn(c, 'app-1');
    expect(described).to.deep.include({ errorCode: 0, transactionState: 'Ongoing', topics: [{ topic: 'tx', partitions: [0] }] });

    expect(await endTxn(c, 'app-1', pid, epoch, false)).to.equal(0);
    const done = await fetchIsolated(c, 'tx', 1);
    // the client drops aborted data using the list; the broker returns the batches up to the LSO
    expect(done.lso).to.equal(5);
    expect((await fetchIsolated(c, 'tx', 0)).lso, 'read_uncommitted LSO once nothing is open').to.equal(5);
    expect(done.aborted).to.deep.equal([{ producerId: pid, firstOffset: 1n }]);
    expect((await fetchIsolated(c, 'tx', 0)).values).to.deep.equal(['before', 't1', 't2', 'after', null]);
    expect((await describeTxn(c, 'app-1')).transactionState).to.equal('CompleteAbort');

    // a retried abort is fine, a commit of the aborted transaction is not
    expect(await endTxn(c, 'app-1', pid, epoch, false)).to.equal(0);
    expect(await endTxn(c, 'app-1', pid, epoch, true)).to.equal(ErrorCode.INVALID_TXN_STATE);
  });

  it('a successor with the same transactional id fences the old producer and aborts its open transaction', async () => {
    const old = await initProducerId(c, 'app-2');
    await addPartitions(c, 'app-2', old.producerId, old.producerEpoch, 'tx', [0]);
    expect((await produceTxn(c, 'app-2', 'tx', 0, idempotentBatch(old.producerId, old.producerEpoch, 0, ['zombie'], true))).errorCode).to.equal(0);
    const successor = await initProducerId(c, 'app-2');
    expect(successor.producerId).to.equal(old.producerId);
    expect(successor.producerEpoch > old.producerEpoch).to.equal(true);
    expect(await endTxn(c, 'app-2', old.producerId, old.producerEpoch, true)).to.equal(ErrorCode.PRODUCER_FENCED);
    expect((await produceTxn(c, 'app-2', 'tx', 0, idempotentBatch(old.producerId, old.producerEpoch, 1, ['late'], true))).errorCode).to.equal(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect(await addPartitions(c, 'app-2', old.producerId, old.producerEpoch, 'tx', [0])).to.deep.equal([ErrorCode.PRODUCER_FENCED]);

    await addPartitions(c, 'app-2', successor.producerId, successor.producerEpoch, 'tx', [0]);
    expect((await produceTxn(c, 'app-2', 'tx', 0, idempotentBatch(successor.producerId, successor.producerEpoch, 0, ['good'], true))).errorCode).to.equal(0);
    expect(await endTxn(c, 'app-2', successor.producerId, successor.producerEpoch, true)).to.equal(0);
    const read = await fetchIsolated(c, 'tx', 1);
    expect(read.aborted).to.deep.equal([{ producerId: old.producerId, firstOffset: 0n }]);
    const visible = recordsVisible(read);
    expect(visible).to.deep.equal(['good']);
  });

  it('aborts a transaction past its timeout and fences its producer', async () => {
    const p = await initProducerId(c, 'app-3', 300);
    await addPartitions(c, 'app-3', p.producerId, p.producerEpoch, 'tx', [0]);
    await produceTxn(c, 'app-3', 'tx', 0, idempotentBatch(p.producerId, p.producerEpoch, 0, ['slow'], true));
    const state = await eventually(async () => {
      const d = await describeTxn(c, 'app-3');
      return d.transactionState === 'CompleteAbort' && d;
    }, 'the timeout abort', 10_000);
    expect(state.producerEpoch).to.equal(p.producerEpoch + 1);
    expect(await endTxn(c, 'app-3', p.producerId, p.producerEpoch, true)).to.equal(ErrorCode.PRODUCER_FENCED);
    const read = await fetchIsolated(c, 'tx', 1);
    expect(read.lso).to.equal(2);
    expect(recordsVisible(read)).to.deep.equal([]);
  });

  it('refuses transactional data for a partition the transaction did not add, so it cannot hold the LSO back', async () => {
    const p = await initProducerId(c, 'app-5');
    const res = await produceTxn(c, 'app-5', 'tx', 0, idempotentBatch(p.producerId, p.producerEpoch, 0, ['stray'], true));
    expect(res.errorCode).to.equal(ErrorCode.INVALID_TXN_STATE);
    await produceRaw(c, 'tx', 0, buildRecordBatch({ records: [{ key: null, value: Buffer.from('plain') }] }));
    expect(await fetchIsolated(c, 'tx', 1)).to.deep.include({ values: ['plain'], lso: 1 });
  });

  it('an open transaction\'s partition takes only its own epoch\'s transactional writes, and offset lookups stop below it', async () => {
    const p = await initProducerId(c, 'app-strict');
    expect(await addPartitions(c, 'app-strict', p.producerId, p.producerEpoch, 'tx', [0])).to.deep.equal([0]);
    expect((await produceTxn(c, 'app-strict', 'tx', 0, idempotentBatch(p.producerId, p.producerEpoch, 0, ['t0'], true))).errorCode).to.equal(0);
    // Found by a tester: an epoch the coordinator never issued was taken, and then fenced the real producer here
    expect((await produceTxn(c, 'app-strict', 'tx', 0, idempotentBatch(p.producerId, p.producerEpoch + 1, 0, ['forged'], true))).errorCode).to.equal(ErrorCode.INVALID_PRODUCER_EPOCH);
    // and a plain idempotent write of the same producer went into the middle of its transaction
    expect((await produceRaw(c, 'tx', 0, idempotentBatch(p.producerId, p.producerEpoch, 1, ['plain'], false))).errorCode).to.equal(ErrorCode.INVALID_TXN_STATE);
    expect((await produceTxn(c, 'app-strict', 'tx', 0, idempotentBatch(p.producerId, p.producerEpoch, 1, ['t1'], true))).errorCode).to.equal(0);
    // read_committed lookups by time and by max timestamp find nothing inside the open transaction (LSO 0)
    const lookup = async (timestamp: bigint, isolationLevel: number) => {
      const res = await c.request<ListOffsetsResponse>(ApiKey.ListOffsets, 7, { replicaId: -1, isolationLevel, topics: [{ name: 'tx', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp }] }] });
      return Number(res.topics[0].partitions[0].offset);
    };
    expect(await lookup(0n, 1)).to.equal(-1);
    expect(await lookup(-3n, 1)).to.equal(-1);
    expect(await lookup(0n, 0)).to.equal(0);
    expect(await lookup(-3n, 0)).to.be.at.least(0);
    expect(await endTxn(c, 'app-strict', p.producerId, p.producerEpoch, true)).to.equal(0);
    expect(await lookup(0n, 1)).to.equal(0);
    expect((await fetchIsolated(c, 'tx', 1)).values.filter((v) => v !== null)).to.deep.equal(['t0', 't1']);
  });

  it('stages TxnOffsetCommit offsets: the group sees them after commit, never after abort; stale generations are refused', async () => {
    const kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'offsets', logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    const committed = async () => (await admin.fetchOffsets({ groupId: 'g-tx', topics: ['tx'] }))[0].partitions[0].offset;
    try {
      const p = await initProducerId(c, 'app-6');
      expect(await addOffsets(c, 'app-6', p.producerId, p.producerEpoch, 'g-tx')).to.equal(0);
      expect(await txnOffsetCommit(c, 'app-6', p.producerId, p.producerEpoch, 'g-tx', 'tx', 7, 5)).to.equal(ErrorCode.ILLEGAL_GENERATION);
      expect(await txnOffsetCommit(c, 'app-6', p.producerId, p.producerEpoch, 'g-tx', 'tx', 7)).to.equal(0);
      expect(await committed()).to.equal('-1');
      expect(await endTxn(c, 'app-6', p.producerId, p.producerEpoch, false)).to.equal(0);
      expect(await committed()).to.equal('-1');

      expect(await addOffsets(c, 'app-6', p.producerId, p.producerEpoch, 'g-tx')).to.equal(0);
      expect(await txnOffsetCommit(c, 'app-6', p.producerId, p.producerEpoch, 'g-tx', 'tx', 9)).to.equal(0);
      expect(await committed()).to.equal('-1');
      expect(await endTxn(c, 'app-6', p.producerId, p.producerEpoch, true)).to.equal(0);
      expect(await committed()).to.equal('9');
    } finally {
      await admin.disconnect();
    }
  });

  it('lists transactions and describes producers of a partition', async () => {
    const p = await initProducerId(c, 'app-4');
    await addPartitions(c, 'app-4', p.producerId, p.producerEpoch, 'tx', [0]);
    await produceTxn(c, 'app-4', 'tx', 0, idempotentBatch(p.producerId, p.producerEpoch, 0, ['a', 'b', 'c'], true));
    const list = await c.request<{ transactionStates: Array<{ transactionalId: string; transactionState: string }> }>(ApiKey.ListTransactions, 0, { stateFilters: ['Ongoing'], producerIdFilters: [] });
    expect(list.transactionStates.map((t) => [t.transactionalId, t.transactionState])).to.deep.equal([['app-4', 'Ongoing']]);
    const prod = await c.request<{ topics: Array<{ partitions: Array<{ activeProducers: Array<{ producerId: bigint; lastSequence: number; currentTxnStartOffset: bigint }> }> }> }>(ApiKey.DescribeProducers, 0, {
      topics: [{ name: 'tx', partitionIndexes: [0] }],
    });
    expect(prod.topics[0].partitions[0].activeProducers).to.have.length(1);
    expect(prod.topics[0].partitions[0].activeProducers[0]).to.include({ producerId: p.producerId, lastSequence: 2, currentTxnStartOffset: 0n });
  });
});

/** What a read_committed client keeps: records outside the aborted transactions (and no control records). */
function recordsVisible(read: { values: Array<string | null>; aborted: Array<{ producerId: bigint; firstOffset: bigint }> | null }): Array<string | null> {
  // these tests use one producer per aborted range, so a range ends at the next marker (null value here)
  const out: Array<string | null> = [];
  let skipping = false;
  read.values.forEach((v, i) => {
    if (read.aborted?.some((a) => Number(a.firstOffset) === i)) skipping = true;
    if (v === null) {
      skipping = false;
      return;
    }
    if (!skipping) out.push(v);
  });
  return out;
}
