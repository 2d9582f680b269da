import { expect } from 'chai';
import { ApiKey } from '../../protocol/generated/apis';
import { ErrorCode } from '../../protocol/errors';
import type { FindCoordinatorResponse } from '../../protocol/generated/messages/FindCoordinatorResponse';
import type { OffsetCommitResponse } from '../../protocol/generated/messages/OffsetCommitResponse';
import type { OffsetFetchResponse } from '../../protocol/generated/messages/OffsetFetchResponse';
import { OFFSETS_TOPIC, offsetsPartitionFor } from '../../src/groups/offsetsTopicRecords';
import { MemoryCluster } from '../helpers/memoryCluster';
import { RawClient } from '../helpers/rawClient';
import { addOffsets, endTxn, initProducerId, txnOffsetCommit } from './helpers/wire';

const TOPIC = 'in';

async function coordinatorOf(c: MemoryCluster, key: string, keyType: number): Promise<number> {
  const client = await RawClient.connect(c.broker(1).port);
  try {
    const res = await client.request<FindCoordinatorResponse>(ApiKey.FindCoordinator, 1, { key, keyType });
    if (res.errorCode !== 0) throw new Error(`FindCoordinator: error ${res.errorCode}`);
    return res.nodeId;
  } finally {
    client.close();
  }
}

async function fetchStable(c: RawClient, group: string): Promise<{ errorCode: number; offset: number }> {
  const res = await c.request<OffsetFetchResponse>(ApiKey.OffsetFetch, 7, { groupId: group, topics: [{ name: TOPIC, partitionIndexes: [0] }], requireStable: true });
  const p = res.topics[0]!.partitions[0]!;
  return { errorCode: res.errorCode || p.errorCode, offset: Number(p.committedOffset) };
}

async function commitPlain(c: RawClient, group: string, offset: number): Promise<number> {
  const res = await c.request<OffsetCommitResponse>(ApiKey.OffsetCommit, 8, {
    groupId: group, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null,
    topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, committedOffset: BigInt(offset), committedLeaderEpoch: -1, committedMetadata: null }] }],
  });
  return res.topics[0]!.partitions[0]!.errorCode;
}

/** Cluster mode: the group coordinator holds the pending offsets per producer until the marker. */
describe('OffsetFetch require_stable (KIP-447), cluster mode', function () {
  this.timeout(90_000);
  let c: MemoryCluster | undefined;

  afterEach(async () => {
    await c?.stop();
    c = undefined;
  });

  for (const commit of [true, false]) {
    it(`answers UNSTABLE_OFFSET_COMMIT while the transaction is open and clears at ${commit ? 'commit (and a plain commit between staging and marker wins)' : 'abort'}`, async () => {
      c = await MemoryCluster.start({ brokers: 3, config: { 'offsets.topic.num.partitions': '3' } });
      await c.createTopic(TOPIC, 1, 3);
      const txnId = `t-${commit}`;
      const group = `g-${commit}`;
      const txnBroker = await coordinatorOf(c, txnId, 1);
      await c.settled();
      const groupBroker = await coordinatorOf(c, group, 0);
      await c.settled();
      const cluster = c;
      await c.waitFor('the group coordinator serves the group', () => cluster.broker(groupBroker).services.groups?.ownsGroup(group) === true);
      await c.waitFor('the transaction coordinator is active', () => cluster.broker(txnBroker).services.txn?.coordinator.isCoordinator === true);
      const txn = await RawClient.connect(c.broker(txnBroker).port);
      const grp = await RawClient.connect(c.broker(groupBroker).port);
      try {
        expect(await commitPlain(grp, group, 5)).to.equal(0);
        const init = await initProducerId(txn, txnId);
        expect(init.errorCode).to.equal(0);
        expect(await addOffsets(txn, txnId, init.producerId, init.producerEpoch, group)).to.equal(0);
        expect(await txnOffsetCommit(grp, txnId, init.producerId, init.producerEpoch, group, TOPIC, 42)).to.equal(0);
        expect(await fetchStable(grp, group)).to.deep.equal({ errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT, offset: -1 });
        expect(await endTxn(txn, txnId, init.producerId, init.producerEpoch, commit)).to.equal(0);
        expect(await fetchStable(grp, group)).to.deep.equal({ errorCode: 0, offset: commit ? 42 : 5 });
        if (!commit) return;
        // ordering rule: a plain commit between the staging and the marker wins
        const next = await initProducerId(txn, txnId);
        expect(await addOffsets(txn, txnId, next.producerId, next.producerEpoch, group)).to.equal(0);
        expect(await txnOffsetCommit(grp, txnId, next.producerId, next.producerEpoch, group, TOPIC, 60)).to.equal(0);
        expect(await commitPlain(grp, group, 55)).to.equal(0);
        expect(await endTxn(txn, txnId, next.producerId, next.producerEpoch, true)).to.equal(0);
        expect(await fetchStable(grp, group)).to.deep.equal({ errorCode: 0, offset: 55 });
      } finally {
        txn.close();
        grp.close();
      }
    });
  }

  it('after a group coordinator failover the replayed pending offset is still unstable, and a plain commit on the new coordinator wins at the commit', async () => {
    c = await MemoryCluster.start({ brokers: 3, config: { 'offsets.topic.num.partitions': '6' } });
    await c.createTopic(TOPIC, 1, 3);
    const txnId = 't-failover';
    const txnBroker = await coordinatorOf(c, txnId, 1);
    await c.settled();
    // a group whose coordinator is not the transaction coordinator, so killing it leaves the transaction alive
    let group = '';
    let groupBroker = -1;
    for (let i = 0; i < 50 && groupBroker < 0; i++) {
      const at = await coordinatorOf(c, `gf-${i}`, 0);
      if (at !== txnBroker) [group, groupBroker] = [`gf-${i}`, at];
    }
    expect(groupBroker).to.be.greaterThan(0);
    await c.settled();
    const cluster = c;
    const owns = (b: number) => cluster.broker(b).services.groups?.ownsGroup(group) === true;
    await c.waitFor('the group coordinator serves the group', () => owns(groupBroker));
    await c.waitFor('the transaction coordinator is active', () => cluster.broker(txnBroker).services.txn?.coordinator.isCoordinator === true);
    const txn = await RawClient.connect(c.broker(txnBroker).port);
    try {
      const grp = await RawClient.connect(c.broker(groupBroker).port);
      const init = await initProducerId(txn, txnId);
      try {
        expect(await commitPlain(grp, group, 5)).to.equal(0);
        expect(await addOffsets(txn, txnId, init.producerId, init.producerEpoch, group)).to.equal(0);
        expect(await txnOffsetCommit(grp, txnId, init.producerId, init.producerEpoch, group, TOPIC, 42)).to.equal(0);
      } finally {
        grp.close();
      }
      const partition = offsetsPartitionFor(group, c.broker(groupBroker).services.metadata.topic(OFFSETS_TOPIC)!.partitions);
      await c.killBroker(groupBroker);
      const next = c.leaderOf('__consumer_offsets', partition);
      expect(next).to.not.equal(groupBroker);
      await c.waitFor('the new group coordinator serves the group', () => owns(next));
      const grp2 = await RawClient.connect(c.broker(next).port);
      try {
        expect(await fetchStable(grp2, group)).to.deep.equal({ errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT, offset: -1 });
        expect(await commitPlain(grp2, group, 6)).to.equal(0);
        expect(await endTxn(txn, txnId, init.producerId, init.producerEpoch, true)).to.equal(0);
        expect(await fetchStable(grp2, group)).to.deep.equal({ errorCode: 0, offset: 6 });
      } finally {
        grp2.close();
      }
    } finally {
      txn.close();
    }
  });
});
