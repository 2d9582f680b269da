import { expect } from 'chai';
import { ApiKey } from '../../protocol/generated/apis';
import { ErrorCode } from '../../protocol/errors';
import type { OffsetCommitResponse } from '../../protocol/generated/messages/OffsetCommitResponse';
import type { OffsetFetchResponse } from '../../protocol/generated/messages/OffsetFetchResponse';
import type { ListOffsetsResponse } from '../../protocol/generated/messages/ListOffsetsResponse';
import { addPartitions, endTxn, idempotentBatch, initProducerId, produceTxn } from '../txn/helpers/wire';
import { CLUSTER_POLL, ProcessCluster } from './helpers/processCluster';
import { eventually } from '../helpers/eventually';
import { coordinatorOf, withClient } from '../helpers/coordinators';

describe('coordinator writes survive kill -9 of the coordinator (child-process brokers on etcd)', function () {
  this.timeout(120_000);
  let c: ProcessCluster | undefined;

  afterEach(async () => {
    await c?.stop();
    c = undefined;
  });

  it('every acknowledged OffsetCommit is served by the new coordinator after kill -9 right after the last answer', async () => {
    c = await ProcessCluster.start([1, 2, 3]);
    const admin = await c.adminClient();
    await admin.createTopics({ topics: [{ topic: 'kc', numPartitions: 1, replicationFactor: 3 }], waitForLeaders: true });
    const group = 'killed-coordinator';
    let coordinator = -1;
    await eventually(async () => (coordinator = await coordinatorOf(c!.brokers.get(1)!.port, group, 0)) > 0, 'a coordinator for the group', CLUSTER_POLL);
    let acked = -1;
    await withClient(c.brokers.get(coordinator)!.port, async (cl) => {
      for (let offset = 1; offset <= 200; offset++) {
        let code = -1;
        // the coordinator may still be loading its partition at first
        await eventually(async () => {
          const res = await cl.request<OffsetCommitResponse>(ApiKey.OffsetCommit, 8, {
            groupId: group, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null,
            topics: [{ name: 'kc', partitions: [{ partitionIndex: 0, committedOffset: BigInt(offset), committedLeaderEpoch: -1, committedMetadata: null }] }],
          });
          code = res.topics[0]!.partitions[0]!.errorCode;
          return code !== ErrorCode.COORDINATOR_LOAD_IN_PROGRESS && code !== ErrorCode.NOT_COORDINATOR;
        }, `commit of ${offset} answered`, CLUSTER_POLL);
        expect(code, `commit of ${offset}`).to.equal(ErrorCode.NONE);
        acked = offset;
      }
    });
    expect(acked).to.equal(200);
    await c.kill9(coordinator);
    const survivor = [...c.brokers.keys()][0]!;
    let fetched = -2;
    await eventually(async () => {
      const now = await coordinatorOf(c!.brokers.get(survivor)!.port, group, 0);
      if (now === coordinator) return false;
      const res = await withClient(c!.brokers.get(now)!.port, (cl) =>
        cl.request<OffsetFetchResponse>(ApiKey.OffsetFetch, 7, { groupId: group, topics: [{ name: 'kc', partitionIndexes: [0] }], requireStable: false }));
      if (res.errorCode !== 0) return false;
      fetched = Number(res.topics[0]!.partitions[0]!.committedOffset);
      return true;
    }, 'the new coordinator answers the committed offset', CLUSTER_POLL);
    expect(fetched).to.equal(acked);
  });

  it('a transaction committed just before kill -9 of its coordinator stays committed: read_committed sees it, the new coordinator fences from its epoch', async () => {
    c = await ProcessCluster.start([1, 2, 3]);
    const admin = await c.adminClient();
    await admin.createTopics({ topics: [{ topic: 'kt', numPartitions: 1, replicationFactor: 3 }], waitForLeaders: true });
    const id = 'killed-txn-coordinator';
    let coordinator = -1;
    await eventually(async () => (coordinator = await coordinatorOf(c!.brokers.get(1)!.port, id, 1)) > 0, 'a transaction coordinator', CLUSTER_POLL);
    const leader = (await c.partition('kt', 0)).leader;
    const { producerId, producerEpoch } = await withClient(c.brokers.get(coordinator)!.port, async (cl) => {
      let init = await initProducerId(cl, id);
      await eventually(async () => (init = await initProducerId(cl, id)).errorCode === 0, 'InitProducerId answered', CLUSTER_POLL);
      expect(await addPartitions(cl, id, init.producerId, init.producerEpoch, 'kt', [0])).to.deep.equal([0]);
      const produced = await withClient(c!.brokers.get(leader)!.port, (dl) => produceTxn(dl, id, 'kt', 0, idempotentBatch(init.producerId, init.producerEpoch, 0, ['x', 'y', 'z'], true)));
      expect(produced.errorCode).to.equal(0);
      expect(await endTxn(cl, id, init.producerId, init.producerEpoch, true)).to.equal(0);
      return init;
    });
    await c.kill9(coordinator);
    const survivor = [...c.brokers.keys()][0]!;
    // The new coordinator knows the committed transaction: the same producer id, the next epoch.
    let next: Awaited<ReturnType<typeof initProducerId>> | undefined;
    await eventually(async () => {
      const now = await coordinatorOf(c!.brokers.get(survivor)!.port, id, 1);
      if (now === coordinator) return false;
      next = await withClient(c!.brokers.get(now)!.port, (cl) => initProducerId(cl, id));
      return next.errorCode === 0;
    }, 'InitProducerId on the new coordinator', CLUSTER_POLL);
    expect(next!.producerId).to.equal(producerId);
    expect(next!.producerEpoch).to.equal(producerEpoch + 1);
    // three records and the commit marker are below the last stable offset
    await eventually(async () => {
      const now = (await c!.partition('kt', 0, [survivor])).leader;
      const res = await withClient(c!.brokers.get(now)!.port, (cl) =>
        cl.request<ListOffsetsResponse>(ApiKey.ListOffsets, 5, {
          replicaId: -1, isolationLevel: 1, topics: [{ name: 'kt', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }],
        }));
      return Number(res.topics[0]!.partitions[0]!.offset) === 4;
    }, 'read_committed end of kt-0 past the marker', CLUSTER_POLL);
  });
});
