import { expect } from 'chai';
import { ErrorCode } from '../../protocol/errors';
import { flush, joinParams, makeCoordinator, subscription, track } from './helpers';

describe('classic group membership', () => {
  it('hands out a member id with MEMBER_ID_REQUIRED, then forms generation 1 after the initial delay', async () => {
    const { clock, coord } = makeCoordinator();
    const first = await coord.join(joinParams({ requireKnownMemberId: true }));
    expect(first.errorCode).to.equal(ErrorCode.MEMBER_ID_REQUIRED);
    expect(first.memberId).to.match(/^c-/);
    const second = track(coord.join(joinParams({ requireKnownMemberId: true, memberId: first.memberId })));
    await flush();
    expect(second.done()).to.equal(false);
    expect(coord.groupState('g')).to.equal('PreparingRebalance');
    clock.advance(299);
    await flush();
    expect(second.done()).to.equal(false);
    clock.advance(1);
    await flush();
    const r = second.value();
    expect(r.errorCode).to.equal(ErrorCode.NONE);
    expect(r.generationId).to.equal(1);
    expect(r.leader).to.equal(first.memberId);
    expect(r.protocolName).to.equal('range');
    expect(r.members.map((m) => m.memberId)).to.deep.equal([first.memberId]);
    expect(coord.groupState('g')).to.equal('CompletingRebalance');
  });

  it('an unknown member id that was never handed out is rejected', async () => {
    const { coord } = makeCoordinator();
    const r = await coord.join(joinParams({ memberId: 'nobody' }));
    expect(r.errorCode).to.equal(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('rejects session timeouts outside the broker range', async () => {
    const { coord } = makeCoordinator();
    expect((await coord.join(joinParams({ sessionTimeoutMs: 50 }))).errorCode).to.equal(ErrorCode.INVALID_SESSION_TIMEOUT);
  });

  it('members arriving during the initial delay share one rebalance; followers wait for the leader sync', async () => {
    const { clock, coord } = makeCoordinator();
    const a = track(coord.join(joinParams({ clientId: 'a' })));
    clock.advance(200);
    const b = track(coord.join(joinParams({ clientId: 'b' })));
    clock.advance(200);
    await flush();
    // b arrived within the delay, so the delay was extended.
    expect(a.done()).to.equal(false);
    // The first delay ended at 300 with a newcomer, so another 300 ms window runs until 600.
    clock.advance(199);
    await flush();
    expect(a.done()).to.equal(false);
    clock.advance(1);
    await flush();
    expect(a.done() && b.done()).to.equal(true);
    const ra = a.value();
    const rb = b.value();
    expect(ra.generationId).to.equal(1);
    expect(rb.generationId).to.equal(1);
    expect(ra.leader).to.equal(rb.leader);
    const leader = ra.leader === ra.memberId ? ra : rb;
    const follower = leader === ra ? rb : ra;
    expect(leader.members).to.have.length(2);
    expect(follower.members).to.have.length(0);

    const fs = track(coord.sync({
      groupId: 'g', generationId: 1, memberId: follower.memberId, groupInstanceId: null,
      protocolType: 'consumer', protocolName: 'range', assignments: [],
    }));
    await flush();
    expect(fs.done()).to.equal(false);
    const ls = await coord.sync({
      groupId: 'g', generationId: 1, memberId: leader.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range',
      assignments: [
        { memberId: leader.memberId, assignment: Buffer.from('L') },
        { memberId: follower.memberId, assignment: Buffer.from('F') },
      ],
    });
    await flush();
    expect(ls.assignment.toString()).to.equal('L');
    expect(fs.value().errorCode).to.equal(ErrorCode.NONE);
    expect(fs.value().assignment.toString()).to.equal('F');
    expect(coord.groupState('g')).to.equal('Stable');
    expect(coord.heartbeat('g', follower.memberId, null, 1)).to.equal(ErrorCode.NONE);
    expect(coord.heartbeat('g', follower.memberId, null, 0)).to.equal(ErrorCode.ILLEGAL_GENERATION);
    expect(coord.heartbeat('g', 'ghost', null, 1)).to.equal(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  async function stableGroupOfTwo() {
    const env = makeCoordinator({ config: { initialRebalanceDelayMs: 0 } });
    const { coord } = env;
    const a = await coord.join(joinParams({ clientId: 'a' }));
    // With no initial delay the first member completes alone; the second triggers generation 2.
    const b = track(coord.join(joinParams({ clientId: 'b' })));
    await flush();
    expect(coord.heartbeat('g', a.memberId, null, 1)).to.equal(ErrorCode.REBALANCE_IN_PROGRESS);
    const a2 = await coord.join(joinParams({ clientId: 'a', memberId: a.memberId }));
    await flush();
    const rb = b.value();
    expect(a2.generationId).to.equal(2);
    expect(rb.generationId).to.equal(2);
    expect(a2.leader).to.equal(a.memberId);
    const fsync = coord.sync({
      groupId: 'g', generationId: 2, memberId: rb.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [],
    });
    await coord.sync({
      groupId: 'g', generationId: 2, memberId: a.memberId, groupInstanceId: null, protocolType: null, protocolName: null,
      assignments: [{ memberId: a.memberId, assignment: Buffer.from('A') }, { memberId: rb.memberId, assignment: Buffer.from('B') }],
    });
    await fsync;
    expect(coord.groupState('g')).to.equal('Stable');
    return { ...env, a: a.memberId, b: rb.memberId };
  }

  it('a member whose session times out is evicted and the survivor rebalances alone', async () => {
    const { clock, coord, a, b } = await stableGroupOfTwo();
    clock.advance(500);
    expect(coord.heartbeat('g', a, null, 2)).to.equal(ErrorCode.NONE);
    clock.advance(499);
    expect(coord.heartbeat('g', a, null, 2)).to.equal(ErrorCode.NONE);
    expect(coord.groupState('g')).to.equal('Stable');
    // b never heartbeated since its sync at t=0; its 1 s session ends now.
    clock.advance(1);
    expect(coord.heartbeat('g', b, null, 2)).to.equal(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(coord.groupState('g')).to.equal('PreparingRebalance');
    expect(coord.heartbeat('g', a, null, 2)).to.equal(ErrorCode.REBALANCE_IN_PROGRESS);
    const r = await coord.join(joinParams({ clientId: 'a', memberId: a }));
    expect(r.generationId).to.equal(3);
    expect(r.members.map((m) => m.memberId)).to.deep.equal([a]);
  });

  it('a member that does not rejoin within the rebalance timeout is dropped', async () => {
    const { clock, coord, a, b } = await stableGroupOfTwo();
    // b keeps heartbeating (so its session lives) but never rejoins.
    const joined = track(coord.join(joinParams({ clientId: 'a', memberId: a, protocols: [{ name: 'range', metadata: subscription(['t', 'u']) }] })));
    for (let i = 0; i < 9; i++) {
      clock.advance(500);
      expect(coord.heartbeat('g', b, null, 2)).to.equal(ErrorCode.REBALANCE_IN_PROGRESS);
    }
    clock.advance(499);
    await flush();
    expect(joined.done()).to.equal(false);
    clock.advance(1);
    await flush();
    expect(joined.value().generationId).to.equal(3);
    expect(joined.value().members.map((m) => m.memberId)).to.deep.equal([a]);
    expect(coord.heartbeat('g', b, null, 2)).to.equal(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('a rebalance during CompletingRebalance answers parked syncs with REBALANCE_IN_PROGRESS', async () => {
    const { coord } = makeCoordinator({ config: { initialRebalanceDelayMs: 0 } });
    const a = await coord.join(joinParams({ clientId: 'a' }));
    const s = track(coord.sync({
      groupId: 'g', generationId: 1, memberId: a.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [],
    }));
    // The leader's sync goes through right away (persisted), so start over with a follower case.
    await flush();
    expect(s.value().errorCode).to.equal(ErrorCode.NONE);
    const b = track(coord.join(joinParams({ clientId: 'b' })));
    await coord.join(joinParams({ clientId: 'a', memberId: a.memberId }));
    await flush();
    const bId = b.value().memberId;
    const followerSync = track(coord.sync({
      groupId: 'g', generationId: 2, memberId: bId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [],
    }));
    await flush();
    expect(followerSync.done()).to.equal(false);
    const c = track(coord.join(joinParams({ clientId: 'c' })));
    await flush();
    expect(followerSync.value().errorCode).to.equal(ErrorCode.REBALANCE_IN_PROGRESS);
    expect(c.done()).to.equal(false);
    expect(coord.groupState('g')).to.equal('PreparingRebalance');
  });

  it('selects the protocol every member supports, by vote, and refuses members with none in common', async () => {
    const { clock, coord } = makeCoordinator();
    const meta = Buffer.from('m');
    const a = track(coord.join(joinParams({ clientId: 'a', protocols: [{ name: 'range', metadata: meta }, { name: 'roundrobin', metadata: meta }] })));
    const b = track(coord.join(joinParams({ clientId: 'b', protocols: [{ name: 'roundrobin', metadata: meta }] })));
    const bad = await coord.join(joinParams({ clientId: 'x', protocols: [{ name: 'sticky', metadata: meta }] }));
    expect(bad.errorCode).to.equal(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const badType = await coord.join(joinParams({ clientId: 'y', protocolType: 'connect' }));
    expect(badType.errorCode).to.equal(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    clock.advance(600);
    await flush();
    expect(a.value().protocolName).to.equal('roundrobin');
    expect(b.value().protocolName).to.equal('roundrobin');
  });

  it('batch leave (v3+) removes members by id or instance id and reports unknown ones', async () => {
    const { coord, a, b } = await stableGroupOfTwo();
    const r = coord.leave('g', [
      { memberId: b, groupInstanceId: null },
      { memberId: 'ghost', groupInstanceId: null },
      { memberId: '', groupInstanceId: 'no-such-instance' },
    ]);
    expect(r.members.map((m) => m.errorCode)).to.deep.equal([
      ErrorCode.NONE, ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.UNKNOWN_MEMBER_ID,
    ]);
    expect(coord.heartbeat('g', a, null, 2)).to.equal(ErrorCode.REBALANCE_IN_PROGRESS);
    const rejoin = await coord.join(joinParams({ clientId: 'a', memberId: a }));
    expect(rejoin.members).to.have.length(1);
    // a is parked in its join; leaving completes the rebalance with nobody left.
    coord.leave('g', [{ memberId: a, groupInstanceId: null }]);
    expect(coord.groupState('g')).to.equal('Empty');
  });

  it('the last member leaving empties the group with a new generation', async () => {
    const { coord } = makeCoordinator({ config: { initialRebalanceDelayMs: 0 } });
    const a = await coord.join(joinParams());
    expect(coord.leave('g', [{ memberId: a.memberId, groupInstanceId: null }]).members[0].errorCode).to.equal(ErrorCode.NONE);
    expect(coord.groupState('g')).to.equal('Empty');
    expect(coord.describeGroup('g').members).to.have.length(0);
  });
});

describe('static membership', () => {
  async function stableStaticPair() {
    const env = makeCoordinator();
    const { clock, coord } = env;
    const a = track(coord.join(joinParams({ clientId: 'a', groupInstanceId: 'ia', requireKnownMemberId: true })));
    const b = track(coord.join(joinParams({ clientId: 'b', groupInstanceId: 'ib', requireKnownMemberId: true })));
    clock.advance(600);
    await flush();
    const ra = a.value();
    const rb = b.value();
    expect(ra.errorCode).to.equal(ErrorCode.NONE);
    const leader = ra.leader;
    const fs = coord.sync({
      groupId: 'g', generationId: 1, memberId: rb.memberId, groupInstanceId: 'ib', protocolType: null, protocolName: null, assignments: [],
    });
    await coord.sync({
      groupId: 'g', generationId: 1, memberId: leader, groupInstanceId: leader === ra.memberId ? 'ia' : 'ib', protocolType: null,
      protocolName: null,
      assignments: [{ memberId: ra.memberId, assignment: Buffer.from('A') }, { memberId: rb.memberId, assignment: Buffer.from('B') }],
    });
    await fs;
    return { ...env, a: ra.memberId, b: rb.memberId };
  }

  it('a restarted static member gets a new id and its old assignment without a rebalance; the old id is fenced', async () => {
    const { coord, b } = await stableStaticPair();
    const again = await coord.join(joinParams({ clientId: 'b', groupInstanceId: 'ib', requireKnownMemberId: true }));
    expect(again.errorCode).to.equal(ErrorCode.NONE);
    expect(again.memberId).to.not.equal(b);
    expect(again.generationId).to.equal(1);
    expect(coord.groupState('g')).to.equal('Stable');
    const s = await coord.sync({
      groupId: 'g', generationId: 1, memberId: again.memberId, groupInstanceId: 'ib', protocolType: null, protocolName: null, assignments: [],
    });
    expect(s.assignment.toString()).to.equal('B');
    expect(coord.heartbeat('g', b, 'ib', 1)).to.equal(ErrorCode.FENCED_INSTANCE_ID);
    expect(coord.heartbeat('g', again.memberId, 'ib', 1)).to.equal(ErrorCode.NONE);
  });

  it('a static member that misses a rebalance keeps its seat; only its session timeout removes it', async () => {
    const { clock, coord, a, b } = await stableStaticPair();
    const rejoin = track(coord.join(joinParams({
      clientId: 'b', memberId: b, groupInstanceId: 'ib', protocols: [{ name: 'range', metadata: subscription(['t', 'u']) }],
    })));
    // a keeps heartbeating but never rejoins; the join phase ends at the 5 s rebalance timeout.
    for (let i = 0; i < 10; i++) {
      clock.advance(500);
      coord.heartbeat('g', a, 'ia', 1);
    }
    await flush();
    const r = rejoin.value();
    expect(r.generationId).to.equal(2);
    expect(r.leader).to.equal(b);
    expect(r.members.map((m) => m.memberId).sort()).to.deep.equal([a, b].sort());
    await coord.sync({
      groupId: 'g', generationId: 2, memberId: b, groupInstanceId: 'ib', protocolType: null, protocolName: null, assignments: [],
    });
    // Now a goes silent: after its 1 s session it is removed and the group rebalances.
    clock.advance(999);
    expect(coord.heartbeat('g', b, 'ib', 2)).to.equal(ErrorCode.NONE);
    expect(coord.describeGroup('g').members).to.have.length(2);
    clock.advance(1);
    expect(coord.describeGroup('g').members.map((m) => m.memberId)).to.deep.equal([b]);
    expect(coord.groupState('g')).to.equal('PreparingRebalance');
  });
});

describe('offset commit and fetch', () => {
  it('commits with the current generation and fetches them back; unknown partitions read -1', async () => {
    const { coord } = makeCoordinator({ config: { initialRebalanceDelayMs: 0 } });
    const a = await coord.join(joinParams());
    await coord.sync({ groupId: 'g', generationId: 1, memberId: a.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
    const res = await coord.commitOffsets({
      groupId: 'g', generationId: 1, memberId: a.memberId, groupInstanceId: null, retentionTimeMs: -1,
      offsets: [{ topic: 't', partition: 0, offset: 42, leaderEpoch: 3, metadata: 'meta' }],
    });
    expect(res).to.deep.equal([{ topic: 't', partition: 0, errorCode: ErrorCode.NONE }]);
    const f = coord.fetchOffsets('g', [{ topic: 't', partitions: [0, 1] }]);
    expect(f.topics[0].partitions).to.deep.equal([
      { partition: 0, offset: 42, leaderEpoch: 3, metadata: 'meta', errorCode: 0 },
      { partition: 1, offset: -1, leaderEpoch: -1, metadata: '', errorCode: 0 },
    ]);
    expect(coord.fetchOffsets('g', null).topics).to.have.length(1);
  });

  it('rejects commits from stale generations, unknown members and during CompletingRebalance', async () => {
    const { coord } = makeCoordinator({ config: { initialRebalanceDelayMs: 0 } });
    const a = await coord.join(joinParams());
    const commit = (generationId: number, memberId: string) => coord.commitOffsets({
      groupId: 'g', generationId, memberId, groupInstanceId: null, retentionTimeMs: -1,
      offsets: [{ topic: 't', partition: 0, offset: 1, leaderEpoch: -1, metadata: null }],
    });
    expect((await commit(1, a.memberId))[0].errorCode).to.equal(ErrorCode.REBALANCE_IN_PROGRESS);
    await coord.sync({ groupId: 'g', generationId: 1, memberId: a.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
    expect((await commit(0, a.memberId))[0].errorCode).to.equal(ErrorCode.ILLEGAL_GENERATION);
    expect((await commit(1, 'ghost'))[0].errorCode).to.equal(ErrorCode.UNKNOWN_MEMBER_ID);
    expect((await commit(-1, ''))[0].errorCode).to.equal(ErrorCode.UNKNOWN_MEMBER_ID);
    expect((await commit(1, a.memberId))[0].errorCode).to.equal(ErrorCode.NONE);
  });

  it('accepts generation -1 commits for groups without members (manual assignment) and refuses too-large metadata', async () => {
    const { coord } = makeCoordinator({ config: { offsetMetadataMaxBytes: 4 } });
    const res = await coord.commitOffsets({
      groupId: 'solo', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1,
      offsets: [
        { topic: 't', partition: 0, offset: 7, leaderEpoch: -1, metadata: 'ok' },
        { topic: 't', partition: 1, offset: 8, leaderEpoch: -1, metadata: 'too long' },
      ],
    });
    expect(res.map((r) => r.errorCode)).to.deep.equal([ErrorCode.NONE, ErrorCode.OFFSET_METADATA_TOO_LARGE]);
    expect(coord.fetchOffsets('solo', [{ topic: 't', partitions: [0, 1] }]).topics[0].partitions.map((p) => p.offset)).to.deep.equal([7, -1]);
    expect(coord.listGroups([], []).map((g) => g.groupId)).to.deep.equal(['solo']);
  });

  it('a failed log append fails the commit and leaves the previous offset in place', async () => {
    const { coord, log } = makeCoordinator();
    const commit = (offset: number) => coord.commitOffsets({
      groupId: 'solo', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1,
      offsets: [{ topic: 't', partition: 0, offset, leaderEpoch: -1, metadata: '' }],
    });
    await commit(5);
    log.failNext = new Error('disk full');
    expect((await commit(6))[0].errorCode).to.equal(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect(coord.fetchOffsets('solo', [{ topic: 't', partitions: [0] }]).topics[0].partitions[0].offset).to.equal(5);
  });
});
