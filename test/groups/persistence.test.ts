import { expect } from 'chai';
import { ErrorCode } from '../../protocol/errors';
import { ManualClock } from '../../src/groups/clock';
import {
  decodeGroupMetadataValue,
  decodeOffsetCommitValue,
  decodeOffsetsTopicKey,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
  offsetsPartitionFor,
} from '../../src/groups/offsetsTopicRecords';
import { flush, joinParams, makeCoordinator, subscription, track } from './helpers';

describe('__consumer_offsets record formats', () => {
  it('encodes offset commit key v1 / value v3 with Kafka byte layout', () => {
    const key = encodeOffsetCommitKey('g', 't', 3);
    // version 1, "g", "t", partition 3
    expect(key.toString('hex')).to.equal('0001' + '0001' + '67' + '0001' + '74' + '00000003');
    expect(decodeOffsetsTopicKey(key)).to.deep.equal({ kind: 'offset', group: 'g', topic: 't', partition: 3 });
    const value = encodeOffsetCommitValue({ offset: 10, leaderEpoch: 2, metadata: 'm', commitTimestamp: 5, expireTimestamp: -1 });
    expect(value.toString('hex')).to.equal('0003' + '000000000000000a' + '00000002' + '00016d' + '0000000000000005');
    expect(decodeOffsetCommitValue(value)).to.deep.equal({ offset: 10, leaderEpoch: 2, metadata: 'm', commitTimestamp: 5, expireTimestamp: -1 });
  });

  it('reads the older offset value v1 with an explicit expire timestamp', () => {
    const v1 = Buffer.from('0001' + '0000000000000007' + '0000' + '0000000000000001' + '0000000000000009', 'hex');
    expect(decodeOffsetCommitValue(v1)).to.deep.equal({ offset: 7, leaderEpoch: -1, metadata: '', commitTimestamp: 1, expireTimestamp: 9 });
  });

  it('round-trips group metadata key v2 / value v3', () => {
    expect(decodeOffsetsTopicKey(encodeGroupMetadataKey('grp'))).to.deep.equal({ kind: 'group', group: 'grp' });
    const v = {
      protocolType: 'consumer', generation: 4, protocol: 'range', leader: 'm1', currentStateTimestamp: 77,
      members: [{
        memberId: 'm1', groupInstanceId: 'i1', clientId: 'c', clientHost: '/h', rebalanceTimeoutMs: 300, sessionTimeoutMs: 100,
        subscription: Buffer.from([1, 2]), assignment: Buffer.from([3]),
      }],
    };
    expect(decodeGroupMetadataValue(encodeGroupMetadataValue(v))).to.deep.equal(v);
  });

  it('places groups on partitions with Java String.hashCode', () => {
    // "a".hashCode() = 97; "hello".hashCode() = 99162322
    expect(offsetsPartitionFor('a', 50)).to.equal(97 % 50);
    expect(offsetsPartitionFor('hello', 50)).to.equal(99162322 % 50);
    for (const g of ['x', 'group-with-a-long-name', '⚡']) {
      const p = offsetsPartitionFor(g, 50);
      expect(p).to.be.within(0, 49);
    }
  });
});

describe('coordinator restart from its log', () => {
  async function stableStaticGroup() {
    const env = makeCoordinator({ config: { initialRebalanceDelayMs: 0 } });
    const { coord } = env;
    const j = await coord.join(joinParams({ groupInstanceId: 'i1', protocols: [{ name: 'range', metadata: subscription(['t']) }] }));
    await coord.sync({
      groupId: 'g', generationId: j.generationId, memberId: j.memberId, groupInstanceId: 'i1', protocolType: null, protocolName: null,
      assignments: [{ memberId: j.memberId, assignment: Buffer.from('ASSIGN') }],
    });
    await coord.commitOffsets({
      groupId: 'g', generationId: j.generationId, memberId: j.memberId, groupInstanceId: 'i1', retentionTimeMs: -1,
      offsets: [{ topic: 't', partition: 0, offset: 100, leaderEpoch: 1, metadata: 'x' }, { topic: 't', partition: 1, offset: 5, leaderEpoch: 1, metadata: null }],
    });
    await coord.commitOffsets({
      groupId: 'g', generationId: j.generationId, memberId: j.memberId, groupInstanceId: 'i1', retentionTimeMs: -1,
      offsets: [{ topic: 't', partition: 0, offset: 120, leaderEpoch: 1, metadata: 'y' }],
    });
    return { ...env, member: j.memberId, generation: j.generationId };
  }

  it('reloads committed offsets: the latest commit per partition wins', async () => {
    const { log, coord } = await stableStaticGroup();
    coord.stop();
    const { coord: again } = makeCoordinator({ log });
    await again.start();
    expect(again.fetchOffsets('g', [{ topic: 't', partitions: [0, 1, 2] }]).topics[0].partitions.map((p) => [p.offset, p.metadata]))
      .to.deep.equal([[120, 'y'], [5, ''], [-1, '']]);
  });

  it('a static member rejoining after a restart keeps its assignment without a rebalance', async () => {
    const { log, coord, generation } = await stableStaticGroup();
    coord.stop();
    const { coord: again } = makeCoordinator({ log, config: { initialRebalanceDelayMs: 0 } });
    await again.start();
    expect(again.groupState('g')).to.equal('Stable');
    const j = await again.join(joinParams({ groupInstanceId: 'i1', protocols: [{ name: 'range', metadata: subscription(['t']) }] }));
    expect(j.errorCode).to.equal(ErrorCode.NONE);
    expect(j.generationId).to.equal(generation);
    expect(again.groupState('g')).to.equal('Stable');
    const s = await again.sync({
      groupId: 'g', generationId: generation, memberId: j.memberId, groupInstanceId: 'i1', protocolType: null, protocolName: null, assignments: [],
    });
    expect(s.assignment.toString()).to.equal('ASSIGN');
  });

  it('a group its last member left reloads Empty after a restart, so a new member is assigned at once', async () => {
    const env = makeCoordinator({ config: { initialRebalanceDelayMs: 0 } });
    const j = await env.coord.join(joinParams());
    await env.coord.sync({
      groupId: 'g', generationId: j.generationId, memberId: j.memberId, groupInstanceId: null, protocolType: null, protocolName: null,
      assignments: [{ memberId: j.memberId, assignment: Buffer.from('A') }],
    });
    env.coord.leave('g', [{ memberId: j.memberId, groupInstanceId: null }]);
    await flush();
    expect(env.coord.groupState('g')).to.equal('Empty');
    env.coord.stop();
    const { coord } = makeCoordinator({ log: env.log, config: { initialRebalanceDelayMs: 0 } });
    await coord.start();
    expect(coord.groupState('g')).to.equal('Empty');
    expect(coord.describeGroup('g').members).to.deep.equal([]);
    const next = await coord.join(joinParams({ clientId: 'next' }));
    expect(next.errorCode).to.equal(ErrorCode.NONE);
    expect(next.members.map((m) => m.memberId)).to.deep.equal([next.memberId]);
  });

  it('dynamic members restored from the log expire after their session timeout', async () => {
    const env = makeCoordinator({ config: { initialRebalanceDelayMs: 0 } });
    const j = await env.coord.join(joinParams());
    await env.coord.sync({
      groupId: 'g', generationId: 1, memberId: j.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [],
    });
    env.coord.stop();
    const clock = new ManualClock();
    const { coord } = makeCoordinator({ log: env.log, clock });
    await coord.start();
    expect(coord.groupState('g')).to.equal('Stable');
    clock.advance(1000);
    expect(coord.groupState('g')).to.not.equal('Stable');
    expect(coord.describeGroup('g').members).to.have.length(0);
  });
});

describe('offset retention, group and offset deletion', () => {
  it('expires offsets of a group empty for the retention period, then forgets the group', async () => {
    const { clock, coord, log } = makeCoordinator({ config: { initialRebalanceDelayMs: 0 } });
    await coord.start();
    const j = await coord.join(joinParams());
    await coord.sync({ groupId: 'g', generationId: 1, memberId: j.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
    await coord.commitOffsets({
      groupId: 'g', generationId: 1, memberId: j.memberId, groupInstanceId: null, retentionTimeMs: -1,
      offsets: [{ topic: 't', partition: 0, offset: 9, leaderEpoch: -1, metadata: '' }],
    });
    // While the member is alive, offsets stay even past the retention period.
    for (let i = 0; i < 70; i++) {
      clock.advance(999);
      coord.heartbeat('g', j.memberId, null, 1);
    }
    await flush();
    expect(coord.fetchOffsets('g', null).topics).to.have.length(1);
    coord.leave('g', [{ memberId: j.memberId, groupInstanceId: null }]);
    expect(coord.groupState('g')).to.equal('Empty');
    clock.advance(50_000);
    await flush();
    expect(coord.fetchOffsets('g', null).topics).to.have.length(1);
    clock.advance(20_000);
    await flush();
    expect(coord.fetchOffsets('g', null).topics).to.have.length(0);
    expect(coord.groupState('g')).to.equal(undefined);
    // The removal is durable: a restarted coordinator does not resurrect the offsets.
    const { coord: again } = makeCoordinator({ log });
    await again.start();
    expect(again.fetchOffsets('g', null).topics).to.have.length(0);
  });

  it('honours an explicit retention time from OffsetCommit v2..v4', async () => {
    const { clock, coord } = makeCoordinator();
    await coord.start();
    await coord.commitOffsets({
      groupId: 's', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: 15_000,
      offsets: [{ topic: 't', partition: 0, offset: 1, leaderEpoch: -1, metadata: '' }],
    });
    clock.advance(10_000);
    await flush();
    expect(coord.fetchOffsets('s', null).topics).to.have.length(1);
    clock.advance(10_000);
    await flush();
    expect(coord.fetchOffsets('s', null).topics).to.have.length(0);
  });

  it('DeleteGroups refuses a group with members, deletes an empty one with its offsets', async () => {
    const { coord, log } = makeCoordinator({ config: { initialRebalanceDelayMs: 0 } });
    const j = await coord.join(joinParams());
    await coord.commitOffsets({
      groupId: 'other', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1,
      offsets: [{ topic: 't', partition: 0, offset: 3, leaderEpoch: -1, metadata: '' }],
    });
    expect(await coord.deleteGroup('g')).to.equal(ErrorCode.NON_EMPTY_GROUP);
    expect(await coord.deleteGroup('nope')).to.equal(ErrorCode.GROUP_ID_NOT_FOUND);
    expect(await coord.deleteGroup('other')).to.equal(ErrorCode.NONE);
    expect(coord.fetchOffsets('other', null).topics).to.have.length(0);
    coord.leave('g', [{ memberId: j.memberId, groupInstanceId: null }]);
    expect(await coord.deleteGroup('g')).to.equal(ErrorCode.NONE);
    expect(coord.listGroups([], [])).to.deep.equal([]);
    const { coord: again } = makeCoordinator({ log });
    await again.start();
    expect(again.listGroups([], [])).to.deep.equal([]);
    expect(again.fetchOffsets('other', null).topics).to.have.length(0);
  });

  it('OffsetDelete refuses topics the live group subscribes to and deletes the others', async () => {
    const { clock, coord } = makeCoordinator();
    const j = track(coord.join(joinParams({ protocols: [{ name: 'range', metadata: subscription(['sub']) }] })));
    clock.advance(300);
    await flush();
    const m = j.value();
    await coord.sync({ groupId: 'g', generationId: 1, memberId: m.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
    await coord.commitOffsets({
      groupId: 'g', generationId: 1, memberId: m.memberId, groupInstanceId: null, retentionTimeMs: -1,
      offsets: [{ topic: 'sub', partition: 0, offset: 1, leaderEpoch: -1, metadata: '' }, { topic: 'old', partition: 0, offset: 2, leaderEpoch: -1, metadata: '' }],
    });
    const r = await coord.deleteOffsets('g', [{ topic: 'sub', partitions: [0] }, { topic: 'old', partitions: [0] }]);
    expect(r.errorCode).to.equal(ErrorCode.NONE);
    expect(r.results.map((x) => x.errorCode)).to.deep.equal([ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC, ErrorCode.NONE]);
    expect(coord.fetchOffsets('g', null).topics.map((t) => t.topic)).to.deep.equal(['sub']);
    expect((await coord.deleteOffsets('missing', [])).errorCode).to.equal(ErrorCode.GROUP_ID_NOT_FOUND);
  });

  it('ListGroups filters by state and type; DescribeGroups reports members and assignments when stable', async () => {
    const { clock, coord } = makeCoordinator();
    const j = track(coord.join(joinParams({ groupId: 'live' })));
    await coord.commitOffsets({
      groupId: 'idle', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1,
      offsets: [{ topic: 't', partition: 0, offset: 1, leaderEpoch: -1, metadata: '' }],
    });
    expect(coord.listGroups(['PreparingRebalance'], []).map((g) => g.groupId)).to.deep.equal(['live']);
    clock.advance(300);
    await flush();
    const m = j.value();
    await coord.sync({
      groupId: 'live', generationId: 1, memberId: m.memberId, groupInstanceId: null, protocolType: null, protocolName: null,
      assignments: [{ memberId: m.memberId, assignment: Buffer.from('A') }],
    });
    expect(coord.listGroups(['stable'], ['classic']).map((g) => g.groupId)).to.deep.equal(['live']);
    expect(coord.listGroups(['Empty'], []).map((g) => g.groupId)).to.deep.equal(['idle']);
    expect(coord.listGroups([], ['consumer'])).to.deep.equal([]);
    const d = coord.describeGroup('live');
    expect(d.state).to.equal('Stable');
    expect(d.protocolData).to.equal('range');
    expect(d.members[0].assignment.toString()).to.equal('A');
    expect(coord.describeGroup('unknown').state).to.equal('Dead');
  });
});
