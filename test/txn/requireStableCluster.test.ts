import { expect } from 'chai';
import { ErrorCode } from '../../protocol/errors';
import { OFFSETS_TOPIC, offsetsPartitionFor } from '../../src/groups/offsetsTopicRecords';
import { MemoryCluster } from '../helpers/memoryCluster';
import { RawClient } from '../helpers/rawClient';
import { addOffsets, endTxn, initProducerId, txnOffsetCommit } from './helpers/wire';
import { eventually } from '../helpers/eventually';
import { commitOffset, coordinatorOf, fetchCommitted } from '../helpers/coordinators';

const TOPIC = 'in';

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
      const txnBroker = await coordinatorOf(c.broker(1).port, txnId, 1);
      await c.settled();
      const groupBroker = await coordinatorOf(c.broker(1).port, group, 0);
      await c.settled();
      const cluster = c;
      await eventually(() => cluster.broker(groupBroker).services.groups?.ownsGroup(group) === true, 'the group coordinator serves the group');
      await eventually(() => cluster.broker(txnBroker).services.txn?.coordinator.isCoordinator === true, 'the transaction coordinator is active');
      const txn = await RawClient.connect(c.broker(txnBroker).port);
      const grp = await RawClient.connect(c.broker(groupBroker).port);
      try {
        expect(await commitOffset(grp, group, TOPIC, 5)).to.equal(0);
        const init = await initProducerId(txn, txnId);
        expect(init.errorCode).to.equal(0);
        expect(await addOffsets(txn, txnId, init.producerId, init.producerEpoch, group)).to.equal(0);
        expect(await txnOffsetCommit(grp, txnId, init.producerId, init.producerEpoch, group, TOPIC, 42)).to.equal(0);
        expect(await fetchCommitted(grp, group, TOPIC, true)).to.deep.equal({ errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT, offset: -1 });
        expect(await endTxn(txn, txnId, init.producerId, init.producerEpoch, commit)).to.equal(0);
        expect(await fetchCommitted(grp, group, TOPIC, true)).to.deep.equal({ errorCode: 0, offset: commit ? 42 : 5 });
        if (!commit) return;
        // ordering rule: a plain commit between the staging and the marker wins
        const next = await initProducerId(txn, txnId);
        expect(await addOffsets(txn, txnId, next.producerId, next.producerEpoch, group)).to.equal(0);
        expect(await txnOffsetCommit(grp, txnId, next.producerId, next.producerEpoch, group, TOPIC, 60)).to.equal(0);
        expect(await commitOffset(grp, group, TOPIC, 55)).to.equal(0);
        expect(await endTxn(txn, txnId, next.producerId, next.producerEpoch, true)).to.equal(0);
        expect(await fetchCommitted(grp, group, TOPIC, true)).to.deep.equal({ errorCode: 0, offset: 55 });
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
    const txnBroker = await coordinatorOf(c.broker(1).port, txnId, 1);
    await c.settled();
    // a group whose coordinator is not the transaction coordinator, so killing it leaves the transaction alive
    let group = '';
    let groupBroker = -1;
    for (let i = 0; i < 50 && groupBroker < 0; i++) {
      const at = await coordinatorOf(c.broker(1).port, `gf-${i}`, 0);
      if (at !== txnBroker) [group, groupBroker] = [`gf-${i}`, at];
    }
    expect(groupBroker).to.be.greaterThan(0);
    await c.settled();
    const cluster = c;
    const owns = (b: number) => cluster.broker(b).services.groups?.ownsGroup(group) === true;
    await eventually(() => owns(groupBroker), 'the group coordinator serves the group');
    await eventually(() => cluster.broker(txnBroker).services.txn?.coordinator.isCoordinator === true, 'the transaction coordinator is active');
    const txn = await RawClient.connect(c.broker(txnBroker).port);
    try {
      const grp = await RawClient.connect(c.broker(groupBroker).port);
      const init = await initProducerId(txn, txnId);
      try {
        expect(await commitOffset(grp, group, TOPIC, 5)).to.equal(0);
        expect(await addOffsets(txn, txnId, init.producerId, init.producerEpoch, group)).to.equal(0);
        expect(await txnOffsetCommit(grp, txnId, init.producerId, init.producerEpoch, group, TOPIC, 42)).to.equal(0);
      } finally {
        grp.close();
      }
      const partition = offsetsPartitionFor(group, c.broker(groupBroker).services.metadata.topic(OFFSETS_TOPIC)!.partitions);
      await c.killBroker(groupBroker);
      const next = c.leaderOf('__consumer_offsets', partition);
      expect(next).to.not.equal(groupBroker);
      await eventually(() => owns(next), 'the new group coordinator serves the group');
      const grp2 = await RawClient.connect(c.broker(next).port);
      try {
        expect(await fetchCommitted(grp2, group, TOPIC, true)).to.deep.equal({ errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT, offset: -1 });
        expect(await commitOffset(grp2, group, TOPIC, 6)).to.equal(0);
        expect(await endTxn(txn, txnId, init.producerId, init.producerEpoch, true)).to.equal(0);
        expect(await fetchCommitted(grp2, group, TOPIC, true)).to.deep.equal({ errorCode: 0, offset: 6 });
      } finally {
        grp2.close();
      }
    } finally {
      txn.close();
    }
  });
});
