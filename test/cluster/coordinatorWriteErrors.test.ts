import { expect } from 'chai';
import { ErrorCode } from '../../protocol/errors';
import type { ConsumerHeartbeatParams, TopicCatalog } from '../../src/groups/consumerCoordinator';
import { GroupCoordinator } from '../../src/groups/coordinator';
import { ManualClock } from '../../src/groups/clock';
import { MemoryGroupStateLog } from '../../src/groups/stateLog';
import { CoordinatorWriteError } from '../../src/internalTopics/writeErrors';
import { joinParams, makeCoordinator } from '../groups/helpers';

/** What the replicated write reports, as OffsetsTopicLog throws it in cluster mode. */
const failed = (code: number) => new CoordinatorWriteError(code, `write failed with ${code}`);

const CATALOG: TopicCatalog = {
  byName: (n) => (n === 't' ? { name: 't', id: Buffer.alloc(16, 1), partitions: 2 } : undefined),
  byId: (id) => (id.equals(Buffer.alloc(16, 1)) ? { name: 't', id, partitions: 2 } : undefined),
  names: () => ['t'],
};

describe('group coordinator: failed (unreplicated) writes answer Kafka\'s errors and change nothing', () => {
  const commitOne = (coord: ReturnType<typeof makeCoordinator>['coord'], offset: number) =>
    coord.commitOffsets({
      groupId: 'g', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1,
      offsets: [{ topic: 't', partition: 0, offset, leaderEpoch: -1, metadata: '' }],
    });
  const committed = (coord: ReturnType<typeof makeCoordinator>['coord']) => coord.fetchOffsets('g', [{ topic: 't', partitions: [0] }]).topics[0]!.partitions[0]!.offset;

  it('OffsetCommit: lost leadership is NOT_COORDINATOR, too few replicas or a timeout COORDINATOR_NOT_AVAILABLE', async () => {
    const { coord, log } = makeCoordinator();
    expect((await commitOne(coord, 1))[0]!.errorCode).to.equal(ErrorCode.NONE);
    const cases: Array<[number, number]> = [
      [ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.NOT_COORDINATOR],
      [ErrorCode.NOT_ENOUGH_REPLICAS, ErrorCode.COORDINATOR_NOT_AVAILABLE],
      [ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND, ErrorCode.COORDINATOR_NOT_AVAILABLE],
      [ErrorCode.REQUEST_TIMED_OUT, ErrorCode.COORDINATOR_NOT_AVAILABLE],
      [ErrorCode.KAFKA_STORAGE_ERROR, ErrorCode.NOT_COORDINATOR],
    ];
    for (const [written, answered] of cases) {
      log.failNext = failed(written);
      expect((await commitOne(coord, 2))[0]!.errorCode, `write error ${written}`).to.equal(answered);
      expect(committed(coord)).to.equal(1);
    }
  });

  it('DeleteGroups and OffsetDelete whose tombstones fail keep the group and its offsets', async () => {
    const { coord, log } = makeCoordinator();
    await commitOne(coord, 3);
    log.failNext = failed(ErrorCode.REQUEST_TIMED_OUT);
    expect(await coord.deleteGroup('g')).to.equal(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect(committed(coord)).to.equal(3);
    log.failNext = failed(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect((await coord.deleteOffsets('g', [{ topic: 't', partitions: [0] }])).errorCode).to.equal(ErrorCode.NOT_COORDINATOR);
    expect(committed(coord)).to.equal(3);
    expect(await coord.deleteGroup('g')).to.equal(ErrorCode.NONE);
    expect(committed(coord)).to.equal(-1);
  });

  it('SyncGroup: an assignment that is not replicated reaches no member; they get the mapped error and rejoin', async () => {
    const { coord, log } = makeCoordinator({ config: { initialRebalanceDelayMs: 0 } });
    const a = await coord.join(joinParams({ clientId: 'a' }));
    expect(a.errorCode).to.equal(ErrorCode.NONE);
    log.failNext = failed(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    const s = await coord.sync({
      groupId: 'g', generationId: a.generationId, memberId: a.memberId, groupInstanceId: null, protocolType: null, protocolName: null,
      assignments: [{ memberId: a.memberId, assignment: Buffer.from('A') }],
    });
    expect(s.errorCode).to.equal(ErrorCode.NOT_COORDINATOR);
    expect(coord.groupState('g')).to.equal('PreparingRebalance');
  });

  it('a static member\'s rejoin whose new member id is not replicated keeps the old id (the new one is unknown)', async () => {
    const { coord, log } = makeCoordinator({ config: { initialRebalanceDelayMs: 0 } });
    const a = await coord.join(joinParams({ groupInstanceId: 'ia' }));
    expect(a.errorCode).to.equal(ErrorCode.NONE);
    await coord.sync({
      groupId: 'g', generationId: a.generationId, memberId: a.memberId, groupInstanceId: 'ia', protocolType: null, protocolName: null,
      assignments: [{ memberId: a.memberId, assignment: Buffer.from('A') }],
    });
    expect(coord.groupState('g')).to.equal('Stable');
    log.failNext = failed(ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND);
    const again = await coord.join(joinParams({ groupInstanceId: 'ia' }));
    expect(again.errorCode).to.equal(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect(coord.heartbeat('g', a.memberId, 'ia', a.generationId)).to.equal(ErrorCode.NONE);
    expect(coord.describeGroup('g').members.map((m) => m.memberId)).to.deep.equal([a.memberId]);
  });

  it('ConsumerGroupHeartbeat (KIP-848): a failed write is rolled back, so the member is not in the group', async () => {
    const log = new MemoryGroupStateLog();
    const c2 = new GroupCoordinator({ clock: new ManualClock(), log, topics: CATALOG });
    const hb = (over: Partial<ConsumerHeartbeatParams>) => c2.consumerHeartbeat({
      groupId: 'cg', memberId: '', memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: 5000,
      subscribedTopicNames: ['t'], subscribedTopicRegex: null, serverAssignor: null, ownedPartitions: null,
      clientId: 'c', clientHost: '/h', ...over,
    });
    try {
      log.failNext = failed(ErrorCode.NOT_ENOUGH_REPLICAS);
      const first = await hb({});
      expect(first.errorCode).to.equal(ErrorCode.COORDINATOR_NOT_AVAILABLE);
      expect(c2.describeConsumerGroup('cg').errorCode).to.equal(ErrorCode.GROUP_ID_NOT_FOUND);
      const joined = await hb({});
      expect(joined.errorCode).to.equal(ErrorCode.NONE);
      const epoch = c2.describeConsumerGroup('cg').groupEpoch;
      // a second member whose join is not replicated leaves no trace
      log.failNext = failed(ErrorCode.NOT_LEADER_OR_FOLLOWER);
      expect((await hb({ clientId: 'other' })).errorCode).to.equal(ErrorCode.NOT_COORDINATOR);
      const view = c2.describeConsumerGroup('cg');
      expect(view.groupEpoch).to.equal(epoch);
      expect(view.members.map((m) => m.memberId)).to.deep.equal([joined.memberId]);
      expect((await hb({ memberId: joined.memberId!, memberEpoch: joined.memberEpoch })).errorCode).to.equal(ErrorCode.NONE);
    } finally {
      c2.stop();
    }
  });
});
