import { expect } from 'chai';
import { ApiKey } from '../../protocol/generated/apis';
import { ErrorCode } from '../../protocol/errors';
import type { OffsetCommitResponse } from '../../protocol/generated/messages/OffsetCommitResponse';
import type { ListOffsetsResponse } from '../../protocol/generated/messages/ListOffsetsResponse';
import { OFFSETS_TOPIC } from '../../src/groups/offsetsTopicRecords';
import { TXN_STATE_TOPIC } from '../../src/txn/txnStateLog';
import { TxnStatus } from '../../src/txn/txnLogRecords';
import type { PartitionLog } from '../../storage';
import { MemoryCluster } from '../helpers/memoryCluster';
import { RawClient } from '../helpers/rawClient';
import { addPartitions, endTxn, idempotentBatch, initProducerId, produceTxn } from '../txn/helpers/wire';
import { eventually } from '../helpers/eventually';
import { coordinatorOf, fetchCommitted } from '../helpers/coordinators';

const GROUP = 'acked';

/** Sends an OffsetCommit without waiting; `answer` resolves with its error code whenever it comes. */
async function sendCommit(port: number, offset: number): Promise<{ answer: Promise<number>; close: () => void }> {
  const client = await RawClient.connect(port);
  client.send(client.encode(ApiKey.OffsetCommit, 8, {
    groupId: GROUP, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null,
    topics: [{ name: 'work', partitions: [{ partitionIndex: 0, committedOffset: BigInt(offset), committedLeaderEpoch: -1, committedMetadata: null }] }],
  }, 1));
  const answer = client.nextFrame(60_000).then((f) => client.decode<OffsetCommitResponse>(ApiKey.OffsetCommit, 8, f).body.topics[0]!.partitions[0]!.errorCode);
  return { answer, close: () => client.close() };
}

async function commit(port: number, offset: number): Promise<number> {
  const s = await sendCommit(port, offset);
  try {
    return await s.answer;
  } finally {
    s.close();
  }
}

/** Holds every append to a follower's log until released: a follower that fetched but cannot catch up. */
function holdAppends(log: PartitionLog): { held: () => number; release: () => void } {
  const original = log.append.bind(log);
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let held = 0;
  log.append = async (...args: Parameters<PartitionLog['append']>) => {
    held++;
    await gate;
    return original(...args);
  };
  return {
    held: () => held,
    release: () => {
      log.append = original;
      release();
    },
  };
}

/** A two-broker memory cluster with `work` (RF 2) and a one-partition `__consumer_offsets` led by the group's coordinator. */
async function groupCluster(config: Record<string, string> = {}): Promise<{ c: MemoryCluster; coordinator: number; follower: number }> {
  const c = await MemoryCluster.start({ brokers: 2, config: { 'offsets.topic.num.partitions': '1', ...config } });
  await c.createTopic('work', 1, 2);
  const coordinator = await coordinatorOf(c.broker(1).port, GROUP);
  await c.settled();
  const follower = coordinator === 1 ? 2 : 1;
  expect(c.state(OFFSETS_TOPIC, 0).isr).to.have.members([1, 2]);
  await eventually(() => c.broker(coordinator).services.groups?.ownsGroup(GROUP) === true, 'the coordinator serves the group');
  await eventually(() => c.broker(follower).services.logs.get(OFFSETS_TOPIC, 0) !== undefined, 'the follower keeps a replica');
  return { c, coordinator, follower };
}

describe('coordinator writes wait for the ISR (acks=all on the internal topics)', function () {
  this.timeout(60_000);
  let c: MemoryCluster | undefined;

  afterEach(async () => {
    await c?.stop();
    c = undefined;
  });

  it('answers an OffsetCommit only once the held-back follower has it, and applies it only then', async () => {
    const g = await groupCluster();
    c = g.c;
    const hold = holdAppends(c.broker(g.follower).services.logs.get(OFFSETS_TOPIC, 0)!);
    const port = c.broker(g.coordinator).port;
    const pending = await sendCommit(port, 42);
    let answered: number | null = null;
    void pending.answer.then((code) => (answered = code));
    try {
      // The commit is in the leader's log, the follower fetched it and is stuck appending it.
      await eventually(() => hold.held() > 0, 'the follower holding the commit');
      const replica = c.replication(g.coordinator).replica(OFFSETS_TOPIC, 0)!;
      expect(replica.pendingAcks).to.equal(1);
      expect(replica.log.logEndOffset).to.be.greaterThan(replica.log.highWatermark);
      expect(answered).to.equal(null);
      // Not acknowledged, so not visible either.
      expect(await fetchCommitted(port, GROUP, 'work')).to.deep.equal({ errorCode: 0, offset: -1 });
      hold.release();
      expect(await pending.answer).to.equal(ErrorCode.NONE);
      expect(c.broker(g.follower).services.logs.get(OFFSETS_TOPIC, 0)!.logEndOffset).to.equal(replica.log.logEndOffset);
      expect(await fetchCommitted(port, GROUP, 'work')).to.deep.equal({ errorCode: 0, offset: 42 });
    } finally {
      hold.release();
      pending.close();
    }
  });

  it('answers COORDINATOR_NOT_AVAILABLE after offsets.commit.timeout.ms when the follower does not catch up, and keeps the old offset', async () => {
    const g = await groupCluster({ 'offsets.commit.timeout.ms': '300' });
    c = g.c;
    const port = c.broker(g.coordinator).port;
    expect(await commit(port, 7)).to.equal(ErrorCode.NONE);
    const hold = holdAppends(c.broker(g.follower).services.logs.get(OFFSETS_TOPIC, 0)!);
    try {
      const started = Date.now();
      expect(await commit(port, 8)).to.equal(ErrorCode.COORDINATOR_NOT_AVAILABLE);
      expect(Date.now() - started).to.be.at.least(250); // answered by the timeout, not at once
      expect(hold.held()).to.be.greaterThan(0);
      expect(await fetchCommitted(port, GROUP, 'work')).to.deep.equal({ errorCode: 0, offset: 7 });
    } finally {
      hold.release();
    }
  });

  it('refuses a commit with COORDINATOR_NOT_AVAILABLE, writing nothing, when the ISR is below min.insync.replicas', async () => {
    const g = await groupCluster({ 'min.insync.replicas': '2' });
    c = g.c;
    const port = c.broker(g.coordinator).port;
    expect(await commit(port, 5)).to.equal(ErrorCode.NONE);
    await c.killBroker(g.follower);
    expect(c.state(OFFSETS_TOPIC, 0).isr).to.deep.equal([g.coordinator]);
    const log = c.broker(g.coordinator).services.logs.get(OFFSETS_TOPIC, 0)!;
    const end = log.logEndOffset;
    expect(await commit(port, 6)).to.equal(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect(log.logEndOffset).to.equal(end);
    expect(await fetchCommitted(port, GROUP, 'work')).to.deep.equal({ errorCode: 0, offset: 5 });
  });

  it('a commit acknowledged just before its coordinator dies is served by the new coordinator', async () => {
    const g = await groupCluster();
    c = g.c;
    expect(await commit(c.broker(g.coordinator).port, 99)).to.equal(ErrorCode.NONE);
    await c.killBroker(g.coordinator);
    expect(c.leaderOf(OFFSETS_TOPIC, 0)).to.equal(g.follower);
    expect(await coordinatorOf(c.broker(g.follower).port, GROUP)).to.equal(g.follower);
    const port = c.broker(g.follower).port;
    await eventually(() => c!.broker(g.follower).services.groups?.ownsGroup(GROUP) === true, 'the new coordinator serves the group');
    expect(await fetchCommitted(port, GROUP, 'work')).to.deep.equal({ errorCode: 0, offset: 99 });
  });

  it('a transaction whose commit was prepared when its coordinator died is completed by the new coordinator', async () => {
    // three brokers: __transaction_state keeps transaction.state.log.min.isr (2) in sync after one dies
    c = await MemoryCluster.start({ brokers: 3 });
    await c.createTopic('txd', 1, 2);
    const coordinator = await coordinatorOf(c.broker(1).port, 'tx-1', 1);
    await c.settled();
    await eventually(() => c!.broker(coordinator).services.txn?.coordinator.isCoordinator === true, 'the coordinator is active');
    const client = await RawClient.connect(c.broker(coordinator).port);
    const dataLeader = c.leaderOf('txd', 0);
    const data = await RawClient.connect(c.broker(dataLeader).port);
    try {
      const init = await initProducerId(client, 'tx-1');
      expect(init.errorCode).to.equal(0);
      expect(await addPartitions(client, 'tx-1', init.producerId, init.producerEpoch, 'txd', [0])).to.deep.equal([0]);
      const produced = await produceTxn(data, 'tx-1', 'txd', 0, idempotentBatch(init.producerId, init.producerEpoch, 0, ['a', 'b', 'c'], true));
      expect(produced.errorCode).to.equal(0);
      // The markers cannot be written by this coordinator: the transaction stays prepared.
      const txn = c.broker(coordinator).services.txn!;
      const markers = (txn.coordinator as unknown as { markers: { write: (...a: unknown[]) => Promise<void> } }).markers;
      markers.write = async () => {
        throw new Error('marker held back by the test');
      };
      expect(await endTxn(client, 'tx-1', init.producerId, init.producerEpoch, true)).to.equal(ErrorCode.COORDINATOR_NOT_AVAILABLE);
      expect(txn.coordinator.get('tx-1')!.status).to.equal(TxnStatus.PrepareCommit);
      // Markers go out only after the prepare is replicated: the follower has it already.
      const leaderLog = c.broker(coordinator).services.logs.get(TXN_STATE_TOPIC, 0)!;
      expect(leaderLog.highWatermark).to.equal(leaderLog.logEndOffset);
      expect(await readCommittedEnd(data)).to.equal(0);
    } finally {
      client.close();
      data.close();
    }
    await c.killBroker(coordinator);
    const other = c.leaderOf(TXN_STATE_TOPIC, 0);
    expect(other).to.be.oneOf([1, 2, 3].filter((b) => b !== coordinator));
    const txn = c.broker(other).services.txn!;
    await eventually(() => txn.coordinator.get('tx-1')?.status === TxnStatus.CompleteCommit, 'the new coordinator completed the commit');
    const reader = await RawClient.connect(c.broker(c.leaderOf('txd', 0)).port);
    try {
      // commit marker at offset 3: a read_committed consumer sees the three records
      await eventually(async () => (await readCommittedEnd(reader)) === 4, 'the LSO past the commit marker');
    } finally {
      reader.close();
    }
  });

  it('a transaction completes only once its markers are replicated: EndTxn waits for a held-back follower of the data partition', async () => {
    c = await MemoryCluster.start({ brokers: 2 });
    await c.createTopic('txm', 1, 2);
    const coordinator = await coordinatorOf(c.broker(1).port, 'tx-m', 1);
    await c.settled();
    await eventually(() => c!.broker(coordinator).services.txn?.coordinator.isCoordinator === true, 'the coordinator is active');
    const dataLeader = c.leaderOf('txm', 0);
    const dataFollower = dataLeader === 1 ? 2 : 1;
    const client = await RawClient.connect(c.broker(coordinator).port);
    const data = await RawClient.connect(c.broker(dataLeader).port);
    let hold: ReturnType<typeof holdAppends> | undefined;
    try {
      const init = await initProducerId(client, 'tx-m');
      expect(await addPartitions(client, 'tx-m', init.producerId, init.producerEpoch, 'txm', [0])).to.deep.equal([0]);
      // acks=all: the follower has the data before the marker comes
      expect((await produceTxn(data, 'tx-m', 'txm', 0, idempotentBatch(init.producerId, init.producerEpoch, 0, ['m1', 'm2'], true))).errorCode).to.equal(0);
      hold = holdAppends(c.broker(dataFollower).services.logs.get('txm', 0)!);
      const ending = endTxn(client, 'tx-m', init.producerId, init.producerEpoch, true);
      let ended: number | null = null;
      void ending.then((code) => (ended = code));
      await eventually(() => hold!.held() > 0, 'the follower holding the marker');
      const coord = c.broker(coordinator).services.txn!.coordinator;
      const leaderLog = c.broker(dataLeader).services.logs.get('txm', 0)!;
      expect(leaderLog.logEndOffset).to.equal(3);
      expect(leaderLog.highWatermark).to.equal(2);
      expect(coord.get('tx-m')!.status).to.equal(TxnStatus.PrepareCommit);
      expect(ended).to.equal(null);
      hold.release();
      expect(await ending).to.equal(ErrorCode.NONE);
      expect(coord.get('tx-m')!.status).to.equal(TxnStatus.CompleteCommit);
      expect(leaderLog.highWatermark).to.equal(3);
    } finally {
      hold?.release();
      client.close();
      data.close();
    }
  });

  it('__transaction_state gets transaction.state.log.replication.factor replicas, and below transaction.state.log.min.isr transactions wait (COORDINATOR_NOT_AVAILABLE)', async () => {
    c = await MemoryCluster.start({ brokers: 3, config: { 'transaction.state.log.replication.factor': '2' } });
    const coordinator = await coordinatorOf(c.broker(1).port, 'tx-2', 1);
    await c.settled();
    const state = c.state(TXN_STATE_TOPIC, 0);
    expect(state.replicas).to.have.length(2);
    // Kafka's rule for every topic: the topic's min.insync.replicas, which Kafka sets to transaction.state.log.min.isr
    expect(c.broker(coordinator).services.metadata.topic(TXN_STATE_TOPIC)!.configs['min.insync.replicas']).to.equal('2');
    await eventually(() => c!.broker(coordinator).services.txn?.coordinator.isCoordinator === true, 'the coordinator is active');
    const client = await RawClient.connect(c.broker(coordinator).port);
    try {
      expect((await initProducerId(client, 'tx-2')).errorCode).to.equal(0);
      await c.killBroker(state.replicas.find((r) => r !== coordinator)!);
      expect(c.state(TXN_STATE_TOPIC, 0).isr).to.deep.equal([coordinator]);
      const log = c.broker(coordinator).services.logs.get(TXN_STATE_TOPIC, 0)!;
      const end = log.logEndOffset;
      const epochBefore = c.broker(coordinator).services.txn!.coordinator.get('tx-2')!.epoch;
      const pid = c.broker(coordinator).services.txn!.coordinator.get('tx-2')!.producerId;
      await c.createTopic('txd2', 1, 1);
      expect(await addPartitions(client, 'tx-2', pid, epochBefore, 'txd2', [0])).to.deep.equal([ErrorCode.COORDINATOR_NOT_AVAILABLE]);
      expect(c.broker(coordinator).services.txn!.coordinator.get('tx-2')).to.deep.include({ status: TxnStatus.Empty, partitions: new Map() });
      expect((await initProducerId(client, 'tx-2')).errorCode).to.equal(ErrorCode.COORDINATOR_NOT_AVAILABLE);
      // nothing written, nothing changed: the producer's epoch was not bumped
      expect(log.logEndOffset).to.equal(end);
      expect(c.broker(coordinator).services.txn!.coordinator.get('tx-2')!.epoch).to.equal(epochBefore);
    } finally {
      client.close();
    }
  });
});

/** ListOffsets latest with read_committed: the last stable offset of txd-0. */
async function readCommittedEnd(client: RawClient): Promise<number> {
  const res = await client.request<ListOffsetsResponse>(ApiKey.ListOffsets, 5, {
    replicaId: -1,
    isolationLevel: 1,
    topics: [{ name: 'txd', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }],
  });
  return Number(res.topics[0]!.partitions[0]!.offset);
}
