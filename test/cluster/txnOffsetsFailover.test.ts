import { expect } from 'chai';
import { ErrorCode } from '../../protocol/errors';
import { buildControlBatch, buildRecordBatch, decodeRecordBatches } from '../../protocol/records';
import { OFFSETS_TOPIC, offsetsPartitionFor, encodeOffsetCommitKey, encodeOffsetCommitValue, decodeOffsetCommitValue } from '../../src/groups/offsetsTopicRecords';
import { replayOffsetsLog, type PendingTxnRecords } from '../../src/groups/replayOffsetsLog';
import type { GroupLogRecord } from '../../src/groups/stateLog';
import { LogManager } from '../../storage';
import { MemoryCluster } from '../helpers/memoryCluster';
import { RawClient } from '../helpers/rawClient';
import { tempDataDir } from '../helpers/tempDir';
import { addOffsets, endTxn, initProducerId, txnOffsetCommit } from '../txn/helpers/wire';
import { eventually } from '../helpers/eventually';
import { commitOffset, coordinatorOf, fetchCommitted } from '../helpers/coordinators';

const TOPIC = 'input';

const ownsGroup = (c: MemoryCluster, broker: number, group: string) =>
  c.broker(broker).services.groups?.ownsGroup(group) === true;

/**
 * Three brokers (so __transaction_state keeps its min ISR of 2 after one dies),
 * a group whose coordinator is not the transaction coordinator, offset 5
 * committed plainly, then a transaction that stages offset 42 for the group.
 */
async function stagedTransaction(txnId: string): Promise<{ c: MemoryCluster; txnBroker: number; groupBroker: number; group: string; pid: bigint; epoch: number }> {
  const c = await MemoryCluster.start({ brokers: 3, config: { 'offsets.topic.num.partitions': '6' } });
  try {
    await c.createTopic(TOPIC, 1, 3);
    const txnBroker = await coordinatorOf(c.broker(1).port, txnId, 1);
    await c.settled();
    let group = '';
    let groupBroker = -1;
    for (let i = 0; i < 50 && groupBroker < 0; i++) {
      const at = await coordinatorOf(c.broker(1).port, `g-${i}`, 0);
      if (at !== txnBroker) [group, groupBroker] = [`g-${i}`, at];
    }
    expect(groupBroker).to.be.greaterThan(0);
    await c.settled();
    await eventually(() => ownsGroup(c, groupBroker, group), 'the group coordinator serves the group');
    await eventually(() => c.broker(txnBroker).services.txn?.coordinator.isCoordinator === true, 'the transaction coordinator is active');
    expect(await commitOffset(c.broker(groupBroker).port, group, TOPIC, 5)).to.equal(ErrorCode.NONE);

    const txn = await RawClient.connect(c.broker(txnBroker).port);
    const grp = await RawClient.connect(c.broker(groupBroker).port);
    try {
      const init = await initProducerId(txn, txnId);
      expect(init.errorCode).to.equal(0);
      expect(await addOffsets(txn, txnId, init.producerId, init.producerEpoch, group)).to.equal(0);
      const state = c.state(OFFSETS_TOPIC, partitionOfGroup(c, groupBroker, group));
      const leaderLog = c.broker(groupBroker).services.logs.get(OFFSETS_TOPIC, state.partition)!;
      const before = leaderLog.logEndOffset;
      expect(await txnOffsetCommit(grp, txnId, init.producerId, init.producerEpoch, group, TOPIC, 42)).to.equal(0);
      // Answered: the transactional batch is in every replica of the group's partition already.
      expect(leaderLog.logEndOffset).to.equal(before + 1);
      expect(leaderLog.highWatermark).to.equal(leaderLog.logEndOffset);
      for (const r of state.isr) expect(c.broker(r).services.logs.get(OFFSETS_TOPIC, state.partition)!.logEndOffset).to.equal(leaderLog.logEndOffset);
      // Not visible before the commit.
      expect(await fetchCommitted(c.broker(groupBroker).port, group, TOPIC)).to.deep.equal({ errorCode: 0, offset: 5 });
      return { c, txnBroker, groupBroker, group, pid: init.producerId, epoch: init.producerEpoch };
    } finally {
      txn.close();
      grp.close();
    }
  } catch (err) {
    await c.stop();
    throw err;
  }
}

function partitionOfGroup(c: MemoryCluster, broker: number, group: string): number {
  return offsetsPartitionFor(group, c.broker(broker).services.metadata.topic(OFFSETS_TOPIC)!.partitions);
}

/** Kills the group coordinator's broker; resolves with the broker that took the group over. */
async function failOverGroup(c: MemoryCluster, groupBroker: number, group: string): Promise<number> {
  const partition = partitionOfGroup(c, groupBroker, group);
  await c.killBroker(groupBroker);
  const next = c.leaderOf(OFFSETS_TOPIC, partition);
  expect(next).to.not.equal(groupBroker);
  expect(await coordinatorOf(c.broker(next).port, group, 0)).to.equal(next);
  await eventually(() => ownsGroup(c, next, group), 'the new group coordinator serves the group');
  return next;
}

describe('transactional offset commits survive a group coordinator failover', function () {
  this.timeout(90_000);
  let c: MemoryCluster | undefined;

  afterEach(async () => {
    await c?.stop();
    c = undefined;
  });

  it('a transaction committed after its group coordinator died gives the new coordinator its offsets', async () => {
    const s = await stagedTransaction('tx-commit');
    c = s.c;
    const next = await failOverGroup(c, s.groupBroker, s.group);
    // Still pending on the new coordinator: the old offset is what the group has.
    expect(await fetchCommitted(c.broker(next).port, s.group, TOPIC)).to.deep.equal({ errorCode: 0, offset: 5 });
    const txn = await RawClient.connect(c.broker(s.txnBroker).port);
    try {
      expect(await endTxn(txn, 'tx-commit', s.pid, s.epoch, true)).to.equal(ErrorCode.NONE);
    } finally {
      txn.close();
    }
    expect(await fetchCommitted(c.broker(next).port, s.group, TOPIC)).to.deep.equal({ errorCode: 0, offset: 42 });

    // The next transaction of the same id bumps the epoch; the partition then fences the old one (a zombie).
    const txn2 = await RawClient.connect(c.broker(s.txnBroker).port);
    const grp = await RawClient.connect(c.broker(next).port);
    try {
      const init = await initProducerId(txn2, 'tx-commit');
      expect(init.producerEpoch).to.be.greaterThan(s.epoch);
      expect(await addOffsets(txn2, 'tx-commit', init.producerId, init.producerEpoch, s.group)).to.equal(0);
      expect(await txnOffsetCommit(grp, 'tx-commit', init.producerId, init.producerEpoch, s.group, TOPIC, 50)).to.equal(0);
      expect(await txnOffsetCommit(grp, 'tx-commit', s.pid, s.epoch, s.group, TOPIC, 99)).to.equal(ErrorCode.PRODUCER_FENCED);
      expect(await endTxn(txn2, 'tx-commit', init.producerId, init.producerEpoch, true)).to.equal(ErrorCode.NONE);
    } finally {
      txn2.close();
      grp.close();
    }
    expect(await fetchCommitted(c.broker(next).port, s.group, TOPIC)).to.deep.equal({ errorCode: 0, offset: 50 });
  });

  it('a transaction aborted after its group coordinator died leaves the old offsets', async () => {
    const s = await stagedTransaction('tx-abort');
    c = s.c;
    const next = await failOverGroup(c, s.groupBroker, s.group);
    const txn = await RawClient.connect(c.broker(s.txnBroker).port);
    try {
      expect(await endTxn(txn, 'tx-abort', s.pid, s.epoch, false)).to.equal(ErrorCode.NONE);
    } finally {
      txn.close();
    }
    expect(await fetchCommitted(c.broker(next).port, s.group, TOPIC)).to.deep.equal({ errorCode: 0, offset: 5 });
    // The newest record of the key is the committed offset again, not the aborted one (what compaction keeps).
    const log = c.broker(next).services.logs.get(OFFSETS_TOPIC, partitionOfGroup(c, next, s.group))!;
    const read = await log.read(log.logStartOffset, 1 << 20, { minOneBatch: true });
    const batches = decodeRecordBatches(Buffer.concat(read.chunks));
    const last = batches[batches.length - 1]!;
    expect(last.isTransactional || last.isControl).to.equal(false);
    expect(decodeOffsetCommitValue(Buffer.from(last.records[0]!.value!)).offset).to.equal(5);
    // and a later plain commit still works on the new coordinator
    expect(await commitOffset(c.broker(next).port, s.group, TOPIC, 6)).to.equal(ErrorCode.NONE);
    expect(await fetchCommitted(c.broker(next).port, s.group, TOPIC)).to.deep.equal({ errorCode: 0, offset: 6 });
  });
});

describe('replayOffsetsLog (transactional records of __consumer_offsets)', () => {
  const record = (group: string, offset: number): GroupLogRecord => ({
    key: encodeOffsetCommitKey(group, TOPIC, 0),
    value: encodeOffsetCommitValue({ offset, leaderEpoch: -1, metadata: '', commitTimestamp: 1, expireTimestamp: -1 }),
  });
  const txnBatch = (pid: bigint, recs: GroupLogRecord[]) =>
    buildRecordBatch({ records: recs.map((r) => ({ key: r.key, value: r.value })), producerId: pid, producerEpoch: 0, transactional: true });
  const marker = (pid: bigint, commit: boolean) => buildControlBatch({ producerId: pid, producerEpoch: 0, commit, coordinatorEpoch: 0, timestamp: 1n });

  it('applies a producer\'s offsets at its commit marker, drops them at abort, and leaves those with no marker pending', async () => {
    const logs = new LogManager({ dataDir: tempDataDir('brook-replay-offsets-'), schedulerIntervalMs: 0 });
    try {
      await logs.open();
      const log = await logs.create(OFFSETS_TOPIC, 0, { cleanupPolicy: 'compact' });
      await log.append(buildRecordBatch({ records: [record('plain', 1)] }));
      await log.append(txnBatch(7n, [record('committed', 10)]));
      await log.append(txnBatch(8n, [record('aborted', 20)]));
      await log.append(txnBatch(9n, [record('open', 30)]));
      await log.append(buildRecordBatch({ records: [record('plain', 2)] }));
      await log.append(marker(8n, false));
      await log.append(marker(7n, true));
      const pending: PendingTxnRecords = new Map();
      const seen: string[] = [];
      for await (const r of replayOffsetsLog(log, pending)) seen.push(`${r.key.subarray(4, 4 + r.key.readInt16BE(2)).toString()}:${decodeOffsetCommitValue(r.value!).offset}`);
      expect(seen).to.deep.equal(['plain:1', 'plain:2', 'committed:10']);
      expect([...pending.keys()]).to.deep.equal([9n]);
      expect(decodeOffsetCommitValue(pending.get(9n)![0]!.value!).offset).to.equal(30);
    } finally {
      await logs.close();
    }
  });
});
