import { expect } from 'chai';
import { ErrorCode } from '../../protocol/errors';
import { rangeAssignor, uniformAssignor, type AssignorMember, type TopicAssignment } from '../../src/groups/assignors';
import { ManualClock } from '../../src/groups/clock';
import type { CatalogTopic, ConsumerHeartbeatParams, TopicCatalog, WireTopicPartitions } from '../../src/groups/consumerCoordinator';
import { GroupCoordinator } from '../../src/groups/coordinator';
import { MemoryGroupStateLog } from '../../src/groups/stateLog';
import { flush, joinParams } from './helpers';

function catalog(topics: Record<string, number>): TopicCatalog & { add(name: string, partitions: number): void } {
  const byName = new Map<string, CatalogTopic>();
  const add = (name: string, partitions: number) => {
    const id = Buffer.alloc(16);
    id.write(name.padEnd(16, '_').slice(0, 16));
    byName.set(name, { name, id, partitions });
  };
  for (const [n, p] of Object.entries(topics)) add(n, p);
  return {
    add,
    byName: (n) => byName.get(n),
    byId: (id) => [...byName.values()].find((t) => t.id.equals(id)),
    names: () => [...byName.keys()],
  };
}

function member(memberId: string, topics: string[], current: Record<string, number[]> = {}): AssignorMember {
  return { memberId, topics: new Set(topics), current: new Map(Object.entries(current).map(([t, ps]) => [t, new Set(ps)])) };
}

const flat = (a: TopicAssignment | undefined) => [...(a ?? new Map())].flatMap(([t, s]) => [...s].sort((x, y) => x - y).map((p) => `${t}-${p}`));

describe('server-side assignors', () => {
  it('range gives contiguous ranges per topic, extra partitions to the first members', () => {
    const out = rangeAssignor.assign([member('b', ['t']), member('a', ['t']), member('c', ['t'])], new Map([['t', 7]]));
    expect(flat(out.get('a'))).to.deep.equal(['t-0', 't-1', 't-2']);
    expect(flat(out.get('b'))).to.deep.equal(['t-3', 't-4']);
    expect(flat(out.get('c'))).to.deep.equal(['t-5', 't-6']);
  });

  it('range only assigns a topic to its subscribers', () => {
    const out = rangeAssignor.assign([member('a', ['x']), member('b', ['x', 'y'])], new Map([['x', 2], ['y', 2]]));
    expect(flat(out.get('a'))).to.deep.equal(['x-0']);
    expect(flat(out.get('b'))).to.deep.equal(['x-1', 'y-0', 'y-1']);
  });

  it('uniform balances within one partition and keeps current owners when a member joins', () => {
    const first = uniformAssignor.assign([member('a', ['t']), member('b', ['t'])], new Map([['t', 7]]));
    expect(flat(first.get('a')).length + flat(first.get('b')).length).to.equal(7);
    const next = uniformAssignor.assign(
      [member('a', ['t'], { t: [...first.get('a')!.get('t')!] }), member('b', ['t'], { t: [...first.get('b')!.get('t')!] }), member('c', ['t'])],
      new Map([['t', 7]]),
    );
    const sizes = ['a', 'b', 'c'].map((m) => flat(next.get(m)).length).sort();
    expect(sizes).to.deep.equal([2, 2, 3]);
    // Only partitions that had to move for c moved: a and b kept a subset of what they had.
    for (const m of ['a', 'b']) for (const tp of flat(next.get(m))) expect(flat(first.get(m))).to.include(tp);
    const all = ['a', 'b', 'c'].flatMap((m) => flat(next.get(m))).sort();
    expect(all).to.deep.equal(Array.from({ length: 7 }, (_, i) => `t-${i}`).sort());
  });
});

describe('KIP-848 consumer group heartbeat', async () => {
  function setup(topics: Record<string, number> = { t: 6 }, log = new MemoryGroupStateLog()) {
    const clock = new ManualClock();
    const cat = catalog(topics);
    const coord = new GroupCoordinator({
      clock, log, topics: cat,
      config: { consumerSessionTimeoutMs: 3000, consumerHeartbeatIntervalMs: 500, minSessionTimeoutMs: 100, initialRebalanceDelayMs: 0 },
    });
    const hb = (over: Partial<ConsumerHeartbeatParams>) => coord.consumerHeartbeat({
      groupId: 'cg', memberId: '', memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: 5000,
      subscribedTopicNames: ['t'], subscribedTopicRegex: null, serverAssignor: null, ownedPartitions: null,
      clientId: 'c', clientHost: '/h', ...over,
    });
    const parts = (a: WireTopicPartitions[] | null) => (a ?? []).flatMap((tp) => tp.partitions);
    return { clock, cat, coord, hb, parts, log };
  }

  it('a first member joins, gets a member id, epoch 1 and every partition', async () => {
    const { hb, parts, coord } = setup();
    const r = await hb({});
    expect(r.errorCode).to.equal(ErrorCode.NONE);
    expect(r.memberId).to.be.a('string').and.not.equal('');
    expect(r.memberEpoch).to.equal(1);
    expect(r.heartbeatIntervalMs).to.equal(500);
    expect(parts(r.assignment)).to.deep.equal([0, 1, 2, 3, 4, 5]);
    expect(coord.consumerGroupState('cg')).to.equal('Stable');
  });

  it('a second member gets partitions only after the first revokes them', async () => {
    const { hb, parts, coord } = setup();
    const a = await hb({ memberId: 'A' });
    const aId = a.memberId!;
    const b = await hb({ memberId: 'B' });
    const epoch = a.memberEpoch + 1;
    expect(b.memberEpoch).to.equal(epoch);
    // Everything B should get is still owned by A: B gets nothing yet.
    expect(parts(b.assignment)).to.deep.equal([]);
    expect(coord.consumerGroupState('cg')).to.equal('Reconciling');
    // A is told to keep only its half (same epoch: a revocation).
    const a2 = await hb({ memberId: aId, memberEpoch: a.memberEpoch, ownedPartitions: a.assignment });
    expect(a2.memberEpoch).to.equal(a.memberEpoch);
    expect(parts(a2.assignment)).to.have.length(3);
    // Until A confirms, B still waits.
    expect(parts((await hb({ memberId: 'B', memberEpoch: epoch })).assignment)).to.deep.equal([]);
    const a3 = await hb({ memberId: aId, memberEpoch: a.memberEpoch, ownedPartitions: a2.assignment });
    expect(a3.memberEpoch).to.equal(epoch);
    const b2 = await hb({ memberId: 'B', memberEpoch: epoch, ownedPartitions: [] });
    expect(parts(b2.assignment)).to.have.length(3);
    expect([...parts(a2.assignment), ...parts(b2.assignment)].sort()).to.deep.equal([0, 1, 2, 3, 4, 5]);
    expect(coord.consumerGroupState('cg')).to.equal('Stable');
  });

  it('fences stale epochs and unknown members; a leave frees partitions for the others', async () => {
    const { hb, parts } = setup();
    const a = await hb({ memberId: 'A' });
    const b = await hb({ memberId: 'B' });
    const a2 = await hb({ memberId: 'A', memberEpoch: a.memberEpoch, ownedPartitions: a.assignment });
    await hb({ memberId: 'A', memberEpoch: a.memberEpoch, ownedPartitions: a2.assignment });
    expect((await hb({ memberId: 'A', memberEpoch: 99 })).errorCode).to.equal(ErrorCode.FENCED_MEMBER_EPOCH);
    expect((await hb({ memberId: 'Z', memberEpoch: 3 })).errorCode).to.equal(ErrorCode.UNKNOWN_MEMBER_ID);
    const left = await hb({ memberId: 'A', memberEpoch: -1 });
    expect(left.errorCode).to.equal(ErrorCode.NONE);
    expect(left.memberEpoch).to.equal(-1);
    const b2 = await hb({ memberId: 'B', memberEpoch: b.memberEpoch, ownedPartitions: [] });
    expect(b2.errorCode).to.equal(ErrorCode.NONE);
    expect(b2.memberEpoch).to.be.greaterThan(b.memberEpoch);
    expect(parts(b2.assignment)).to.deep.equal([0, 1, 2, 3, 4, 5]);
  });

  it('a member that stops heartbeating is removed after the session timeout', async () => {
    const { hb, parts, clock, coord } = setup();
    await hb({ memberId: 'A' });
    const b = await hb({ memberId: 'B' });
    clock.advance(2999);
    await hb({ memberId: 'B', memberEpoch: b.memberEpoch });
    clock.advance(1);
    await flush(); // the removal counts once its records are written
    expect(coord.describeConsumerGroup('cg').members.map((m) => m.memberId)).to.deep.equal(['B']);
    const b2 = await hb({ memberId: 'B', memberEpoch: b.memberEpoch, ownedPartitions: [] });
    expect(parts(b2.assignment)).to.deep.equal([0, 1, 2, 3, 4, 5]);
  });

  it('new partitions of a subscribed topic are assigned on the next heartbeat', async () => {
    const { hb, parts, cat } = setup({ t: 2 });
    const a = await hb({ memberId: 'A' });
    expect(parts(a.assignment)).to.deep.equal([0, 1]);
    cat.add('t', 4);
    const a2 = await hb({ memberId: 'A', memberEpoch: a.memberEpoch, ownedPartitions: a.assignment });
    expect(a2.memberEpoch).to.be.greaterThan(a.memberEpoch);
    expect(parts(a2.assignment)).to.deep.equal([0, 1, 2, 3]);
  });

  it('regex subscriptions match existing topics, never internal ones', async () => {
    const { hb, coord } = setup({ 'orders-eu': 1, 'orders-us': 1, payments: 1, __consumer_offsets: 1 });
    await hb({ memberId: 'A', subscribedTopicNames: [], subscribedTopicRegex: 'orders-.*|__.*' });
    const d = coord.describeConsumerGroup('cg');
    expect(d.members[0].assignment.map((a) => a.topicName).sort()).to.deep.equal(['orders-eu', 'orders-us']);
    expect((await hb({ memberId: 'B', subscribedTopicRegex: '(' })).errorCode).to.equal(ErrorCode.INVALID_REGULAR_EXPRESSION);
    expect((await hb({ memberId: 'C', serverAssignor: 'sticky' })).errorCode).to.equal(ErrorCode.UNSUPPORTED_ASSIGNOR);
  });

  it('steady heartbeats resolve no subscription again until the topics change (work counted, not timed)', async () => {
    const topics: Record<string, number> = { payments: 1 };
    for (let i = 0; i < 1000; i++) topics[`orders-${i}`] = 1;
    const cat = catalog(topics);
    let version = 0;
    let scans = 0;
    const counting: TopicCatalog = { ...cat, names: () => (scans++, cat.names()), version: () => version };
    const coord = new GroupCoordinator({
      clock: new ManualClock(), log: new MemoryGroupStateLog(), topics: counting,
      config: { consumerSessionTimeoutMs: 3000, consumerHeartbeatIntervalMs: 500, minSessionTimeoutMs: 100, initialRebalanceDelayMs: 0 },
    });
    const hb = (memberEpoch: number) => coord.consumerHeartbeat({
      groupId: 'cg', memberId: 'A', memberEpoch, instanceId: null, rackId: null, rebalanceTimeoutMs: 5000,
      subscribedTopicNames: [], subscribedTopicRegex: 'orders-.*', serverAssignor: null, ownedPartitions: null, clientId: 'c', clientHost: '/h',
    });
    const joined = await hb(0);
    expect(joined.assignment!.length).to.equal(1000);
    const before = scans;
    for (let i = 0; i < 50; i++) expect((await hb(joined.memberEpoch)).errorCode).to.equal(ErrorCode.NONE);
    expect(scans - before, 'catalog scans by 50 steady heartbeats').to.equal(0);
    cat.add('orders-new', 2);
    version++;
    const next = await hb(joined.memberEpoch);
    expect(scans - before).to.equal(1);
    expect(next.memberEpoch).to.be.greaterThan(joined.memberEpoch);
    expect(next.assignment!.length).to.equal(1001);
  });

  it('a static member leaving with epoch -2 keeps its partitions for its successor', async () => {
    const { hb, parts } = setup();
    const a = await hb({ memberId: 'A', instanceId: 'ia' });
    expect((await hb({ memberId: 'A2', instanceId: 'ia' })).errorCode).to.equal(ErrorCode.UNRELEASED_INSTANCE_ID);
    await hb({ memberId: 'A', instanceId: 'ia', memberEpoch: -2 });
    const again = await hb({ memberId: 'A2', instanceId: 'ia' });
    expect(again.errorCode).to.equal(ErrorCode.NONE);
    expect(again.memberEpoch).to.equal(a.memberEpoch);
    expect(parts(again.assignment)).to.deep.equal(parts(a.assignment));
  });

  it('members, epochs and assignments survive a coordinator restart', async () => {
    const first = setup();
    const a = await first.hb({ memberId: 'A' });
    const b = await first.hb({ memberId: 'B' });
    const a2 = await first.hb({ memberId: 'A', memberEpoch: a.memberEpoch, ownedPartitions: a.assignment });
    const a3 = await first.hb({ memberId: 'A', memberEpoch: a.memberEpoch, ownedPartitions: a2.assignment });
    const b2 = await first.hb({ memberId: 'B', memberEpoch: b.memberEpoch, ownedPartitions: [] });
    first.coord.stop();

    const second = setup({ t: 6 }, first.log);
    await second.coord.start();
    const d = second.coord.describeConsumerGroup('cg');
    expect(d.state).to.equal('Stable');
    expect(d.members.map((m) => [m.memberId, m.memberEpoch])).to.deep.equal([['A', a3.memberEpoch], ['B', b2.memberEpoch]]);
    // Members carry on with their epochs, no rejoin.
    const again = await second.hb({ memberId: 'B', memberEpoch: b2.memberEpoch, subscribedTopicNames: null });
    expect(again.errorCode).to.equal(ErrorCode.NONE);
    expect(again.memberEpoch).to.equal(b2.memberEpoch);
    expect(second.parts(b2.assignment)).to.have.length(3);
    // Restored members still expire when silent.
    second.clock.advance(2000);
    await second.hb({ memberId: 'B', memberEpoch: b2.memberEpoch, subscribedTopicNames: null });
    second.clock.advance(1000);
    await flush();
    expect(second.coord.describeConsumerGroup('cg').members.map((m) => m.memberId)).to.deep.equal(['B']);
  });

  it('offset commits from a consumer group member must carry its current epoch', async () => {
    const { hb, coord } = setup();
    const a = await hb({ memberId: 'A' });
    const commit = (epoch: number, memberId = 'A') => coord.commitOffsets({
      groupId: 'cg', generationId: epoch, memberId, groupInstanceId: null, retentionTimeMs: -1,
      offsets: [{ topic: 't', partition: 0, offset: 5, leaderEpoch: -1, metadata: null }],
    });
    expect((await commit(a.memberEpoch))[0].errorCode).to.equal(ErrorCode.NONE);
    expect((await commit(a.memberEpoch - 1))[0].errorCode).to.equal(ErrorCode.STALE_MEMBER_EPOCH);
    expect((await commit(a.memberEpoch, 'B'))[0].errorCode).to.equal(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('a group id is either classic or consumer while it has members', async () => {
    const { hb, coord } = setup();
    await hb({ memberId: 'A' });
    const j = await coord.join(joinParams({ groupId: 'cg' }));
    expect(j.errorCode).to.equal(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    await coord.join(joinParams({ groupId: 'classic' }));
    expect((await hb({ groupId: 'classic', memberId: 'X' })).errorCode).to.equal(ErrorCode.GROUP_ID_NOT_FOUND);
    expect(coord.listGroups([], ['consumer']).map((g) => g.groupId)).to.deep.equal(['cg']);
    expect(coord.listGroups([], ['classic']).map((g) => g.groupId)).to.deep.equal(['classic']);
    await hb({ memberId: 'A', memberEpoch: -1 });
    expect(await coord.deleteGroup('cg')).to.equal(ErrorCode.NONE);
    expect(coord.describeConsumerGroup('cg').errorCode).to.equal(ErrorCode.GROUP_ID_NOT_FOUND);
  });

  it('an empty regex, as librdkafka sends in every full heartbeat, is no subscription change', async () => {
    const { hb, coord, log } = setup({ t: 2 });
    // three members, two partitions: one member stays without partitions and keeps sending full heartbeats
    const ids = ['A', 'B', 'C'];
    const epochs = new Map<string, number>();
    for (const id of ids) epochs.set(id, (await hb({ memberId: id, subscribedTopicRegex: '' })).memberEpoch);
    for (let round = 0; round < 4; round++) {
      for (const id of ids) {
        const r = await hb({ memberId: id, memberEpoch: epochs.get(id)!, subscribedTopicRegex: '', ownedPartitions: [] });
        expect(r.errorCode).to.equal(ErrorCode.NONE);
        epochs.set(id, r.memberEpoch);
      }
    }
    const settled = coord.describeConsumerGroup('cg').groupEpoch;
    const written = log.records.length;
    for (let round = 0; round < 5; round++) {
      for (const id of ids) await hb({ memberId: id, memberEpoch: epochs.get(id)!, subscribedTopicRegex: '', subscribedTopicNames: ['t'], ownedPartitions: [] });
    }
    expect(coord.describeConsumerGroup('cg').groupEpoch).to.equal(settled);
    expect(log.records.length - written, 'records written by 15 steady heartbeats').to.be.at.most(3);
  });

  it('OffsetDelete refuses topics a live member subscribes to by regex (GROUP_SUBSCRIBED_TO_TOPIC)', async () => {
    const { hb, coord } = setup({ 're-a': 1, other: 1 });
    const a = await hb({ memberId: 'A', subscribedTopicNames: [], subscribedTopicRegex: 're-.*' });
    for (const topic of ['re-a', 'other']) {
      expect((await coord.commitOffsets({ groupId: 'cg', generationId: a.memberEpoch, memberId: 'A', groupInstanceId: null, retentionTimeMs: -1, offsets: [{ topic, partition: 0, offset: 1, leaderEpoch: -1, metadata: null }] }))[0]!.errorCode).to.equal(ErrorCode.NONE);
    }
    const res = await coord.deleteOffsets('cg', [{ topic: 're-a', partitions: [0] }, { topic: 'other', partitions: [0] }]);
    expect(res.results.map((r) => [r.topic, r.errorCode])).to.deep.equal([['re-a', ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC], ['other', ErrorCode.NONE]]);
    expect(coord.fetchOffsets('cg', null).topics.map((t) => t.topic)).to.deep.equal(['re-a']);
  });

  it('an empty consumer group goes once its offsets expire, as does any empty group without offsets', async () => {
    const { hb, coord, clock } = setup();
    const a = await hb({ memberId: 'A' });
    await coord.commitOffsets({ groupId: 'cg', generationId: a.memberEpoch, memberId: 'A', groupInstanceId: null, retentionTimeMs: -1, offsets: [{ topic: 't', partition: 0, offset: 1, leaderEpoch: -1, metadata: null }] });
    await hb({ memberId: 'N', subscribedTopicNames: ['t'], groupId: 'never-committed' });
    await hb({ memberId: 'A', memberEpoch: -1 });
    await hb({ memberId: 'N', memberEpoch: -1, groupId: 'never-committed' });
    expect(coord.listGroups([], ['consumer']).map((g) => g.groupId).sort()).to.deep.equal(['cg', 'never-committed']);
    clock.advance(coord.config.offsetsRetentionMs + 1);
    expect(await coord.expireOffsets()).to.equal(1);
    expect(coord.listGroups([], []).map((g) => g.groupId)).to.deep.equal([]);
  });

  it('a member epoch commit to a group that does not exist is GROUP_ID_NOT_FOUND from OffsetCommit v9', async () => {
    const { coord } = setup();
    const commit = (groupIdNotFound: boolean) => coord.commitOffsets({ groupId: 'nobody', generationId: 3, memberId: 'M', groupInstanceId: null, retentionTimeMs: -1, groupIdNotFound, offsets: [{ topic: 't', partition: 0, offset: 1, leaderEpoch: -1, metadata: null }] });
    expect((await commit(true))[0]!.errorCode).to.equal(ErrorCode.GROUP_ID_NOT_FOUND);
    expect((await commit(false))[0]!.errorCode).to.equal(ErrorCode.ILLEGAL_GENERATION);
  });
});
