import { expect } from 'chai';
import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/generated/apis';
import { lookupApi } from '../../src/handlers/registry';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { RawClient } from '../helpers/rawClient';
import { subscription } from './helpers';

/* Every version of every group API over the wire: the answers must encode at each version and mean the same. */

type AnyRes = Record<string, any>;

/** The versions Brook advertises (a spec's unstable latest version is not among them). */
function versions(key: ApiKey): number[] {
  const d = lookupApi(key)!;
  return Array.from({ length: d.maxVersion - d.minVersion + 1 }, (_, i) => d.minVersion + i);
}

describe('group APIs at every version over the wire', function () {
  this.timeout(30_000);
  let broker: TestBroker;
  let c: RawClient;
  const req = (key: ApiKey, v: number, body: object) => c.request<AnyRes>(key, v, body);

  before(async () => {
    broker = await startTestBroker({
      config: { 'group.initial.rebalance.delay.ms': '0', 'group.min.session.timeout.ms': '100', 'num.partitions': '2' },
    });
    c = await RawClient.connect(broker.port);
    await broker.services.metadata.ensureTopic('wt', { partitions: 2 });
  });
  after(async () => {
    c.close();
    await broker.destroy();
  });

  const protocols = [{ name: 'range', metadata: subscription(['wt']) }];

  /** Joins a fresh group at version v and returns the member id and generation. */
  async function joinAt(v: number, groupId: string, instance: string | null = null) {
    const body = {
      groupId, sessionTimeoutMs: 10_000, memberId: '', protocolType: 'consumer', protocols,
      ...(v >= 1 ? { rebalanceTimeoutMs: 10_000 } : {}),
      ...(v >= 5 ? { groupInstanceId: instance } : {}),
    };
    let r = await req(ApiKey.JoinGroup, v, body);
    if (r.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
      expect(v).to.be.at.least(4);
      r = await req(ApiKey.JoinGroup, v, { ...body, memberId: r.memberId });
    }
    return r;
  }

  for (const v of versions(ApiKey.FindCoordinator)) {
    it(`FindCoordinator v${v} names this broker`, async () => {
      const r = await req(ApiKey.FindCoordinator, v, v >= 4 ? { keyType: 0, coordinatorKeys: ['g', 'h'] } : { key: 'g', keyType: 0 });
      const entries = v >= 4 ? r.coordinators : [r];
      expect(entries).to.have.length(v >= 4 ? 2 : 1);
      for (const e of entries) expect(e).to.include({ errorCode: 0, nodeId: 1, host: '127.0.0.1', port: broker.port });
    });
  }

  for (const v of versions(ApiKey.JoinGroup)) {
    it(`JoinGroup v${v} then SyncGroup, Heartbeat, OffsetCommit/Fetch and LeaveGroup`, async () => {
      const groupId = `wire-${v}`;
      const j = await joinAt(v, groupId);
      expect(j.errorCode).to.equal(0);
      expect(j.generationId).to.equal(1);
      expect(j.leader).to.equal(j.memberId);
      expect(j.protocolName).to.equal('range');
      expect(j.members).to.have.length(1);
      const syncV = Math.min(v, 5);
      const s = await req(ApiKey.SyncGroup, syncV, {
        groupId, generationId: 1, memberId: j.memberId, ...(syncV >= 5 ? { protocolType: 'consumer', protocolName: 'range' } : {}),
        assignments: [{ memberId: j.memberId, assignment: Buffer.from('A') }],
      });
      expect(s.errorCode).to.equal(0);
      expect(Buffer.from(s.assignment).toString()).to.equal('A');
      const hb = await req(ApiKey.Heartbeat, Math.min(v, 4), { groupId, generationId: 1, memberId: j.memberId });
      expect(hb.errorCode).to.equal(0);
      const commitV = Math.min(v, 9);
      const oc = await req(ApiKey.OffsetCommit, commitV, {
        groupId, generationIdOrMemberEpoch: 1, memberId: j.memberId,
        topics: [{ name: 'wt', partitions: [{ partitionIndex: 0, committedOffset: 7n, committedMetadata: 'm', ...(commitV >= 6 ? { committedLeaderEpoch: 2 } : {}) }] }],
      });
      // v0 carries no member: Kafka refuses it for a group with members.
      expect(oc.topics[0].partitions[0]).to.include({ partitionIndex: 0, errorCode: commitV === 0 ? ErrorCode.UNKNOWN_MEMBER_ID : 0 });
      const leaveV = Math.min(v, 5);
      const lv = await req(ApiKey.LeaveGroup, leaveV, leaveV >= 3
        ? { groupId, members: [{ memberId: j.memberId, groupInstanceId: null, ...(leaveV >= 5 ? { reason: 'test' } : {}) }] }
        : { groupId, memberId: j.memberId });
      expect(lv.errorCode).to.equal(0);
      if (Math.min(v, 5) >= 3) expect(lv.members[0].errorCode).to.equal(0);
    });
  }

  for (const v of versions(ApiKey.OffsetFetch)) {
    it(`OffsetFetch v${v} returns committed offsets (leader epoch from v5)`, async () => {
      const groupId = `fetch-${v}`;
      await req(ApiKey.OffsetCommit, 9, {
        groupId, generationIdOrMemberEpoch: -1, memberId: '',
        topics: [{ name: 'wt', partitions: [{ partitionIndex: 1, committedOffset: 11n, committedLeaderEpoch: 4, committedMetadata: 'x' }] }],
      });
      const topics = [{ name: 'wt', partitionIndexes: [0, 1] }];
      const r = await req(ApiKey.OffsetFetch, v, v >= 8 ? { groups: [{ groupId, topics }] } : { groupId, topics });
      const parts = v >= 8 ? r.groups[0].topics[0].partitions : r.topics[0].partitions;
      expect(parts.map((p: AnyRes) => Number(p.committedOffset))).to.deep.equal([-1, 11]);
      if (v >= 5) expect(parts[1].committedLeaderEpoch).to.equal(4);
      expect(parts[1].metadata).to.equal('x');
    });
  }

  for (const v of versions(ApiKey.ListGroups)) {
    it(`ListGroups v${v} lists groups (state filter from v4)`, async () => {
      await joinAt(5, `listed-${v}`);
      const r = await req(ApiKey.ListGroups, v, { statesFilter: v >= 4 ? ['CompletingRebalance'] : [], typesFilter: [] });
      expect(r.errorCode).to.equal(0);
      const ids = r.groups.map((g: AnyRes) => g.groupId);
      expect(ids).to.include(`listed-${v}`);
      if (v >= 4) expect(r.groups.every((g: AnyRes) => g.groupState === 'CompletingRebalance')).to.equal(true);
    });
  }

  for (const v of versions(ApiKey.DescribeGroups)) {
    it(`DescribeGroups v${v} describes members and unknown groups`, async () => {
      const j = await joinAt(5, `described-${v}`);
      const r = await req(ApiKey.DescribeGroups, v, { groups: [`described-${v}`, 'nope'], includeAuthorizedOperations: false });
      expect(r.groups[0]).to.include({ errorCode: 0, groupState: 'CompletingRebalance', protocolType: 'consumer' });
      expect(r.groups[0].members[0].memberId).to.equal(j.memberId);
      expect(r.groups[1].groupState).to.equal('Dead');
      // v6 (KIP-1043) says so with an error code; before, an unknown group is just Dead.
      expect(r.groups[1].errorCode).to.equal(v >= 6 ? ErrorCode.GROUP_ID_NOT_FOUND : ErrorCode.NONE);
    });
  }

  for (const v of versions(ApiKey.DeleteGroups)) {
    it(`DeleteGroups v${v} deletes an empty group and refuses unknown ones`, async () => {
      await req(ApiKey.OffsetCommit, 2, {
        groupId: `del-${v}`, generationIdOrMemberEpoch: -1, memberId: '',
        topics: [{ name: 'wt', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: null }] }],
      });
      const r = await req(ApiKey.DeleteGroups, v, { groupsNames: [`del-${v}`, 'never'] });
      expect(r.results.map((x: AnyRes) => x.errorCode)).to.deep.equal([0, ErrorCode.GROUP_ID_NOT_FOUND]);
    });
  }

  it('OffsetCommit refuses partitions that do not exist, keeps the others', async () => {
    const r = await req(ApiKey.OffsetCommit, 9, {
      groupId: 'unknown-parts', generationIdOrMemberEpoch: -1, memberId: '',
      topics: [
        { name: 'wt', partitions: [{ partitionIndex: 1, committedOffset: 3n, committedMetadata: null }, { partitionIndex: 2, committedOffset: 3n, committedMetadata: null }] },
        { name: 'no-such-topic', partitions: [{ partitionIndex: 0, committedOffset: 3n, committedMetadata: null }] },
      ],
    });
    const codes = r.topics.flatMap((t: AnyRes) => t.partitions.map((p: AnyRes) => `${t.name}/${p.partitionIndex}=${p.errorCode}`)).sort();
    expect(codes).to.deep.equal(['no-such-topic/0=3', 'wt/1=0', 'wt/2=3']);
  });

  it('OffsetDelete v0 removes one partition of an empty group', async () => {
    await req(ApiKey.OffsetCommit, 8, {
      groupId: 'odel', generationIdOrMemberEpoch: -1, memberId: '',
      topics: [{ name: 'wt', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: null }] }],
    });
    const r = await req(ApiKey.OffsetDelete, 0, { groupId: 'odel', topics: [{ name: 'wt', partitions: [{ partitionIndex: 0 }] }] });
    expect(r.errorCode).to.equal(0);
    expect(r.topics[0].partitions[0].errorCode).to.equal(0);
  });

  for (const v of [5, 9]) {
    it(`a restarted static leader rejoins at JoinGroup v${v} without a rebalance`, async () => {
      const groupId = `static-${v}`;
      const j = await joinAt(v, groupId, 'inst');
      await req(ApiKey.SyncGroup, 5, {
        groupId, generationId: 1, memberId: j.memberId, groupInstanceId: 'inst', protocolType: 'consumer', protocolName: 'range',
        assignments: [{ memberId: j.memberId, assignment: Buffer.from('S') }],
      });
      const again = await joinAt(v, groupId, 'inst');
      expect(again.errorCode).to.equal(0);
      expect(again.generationId).to.equal(1);
      expect(again.leader).to.equal(again.memberId);
      if (v >= 9) expect(again.skipAssignment).to.equal(true);
      const s = await req(ApiKey.SyncGroup, 5, {
        groupId, generationId: 1, memberId: again.memberId, groupInstanceId: 'inst', protocolType: 'consumer', protocolName: 'range', assignments: [],
      });
      expect(Buffer.from(s.assignment).toString()).to.equal('S');
    });
  }

  for (const v of versions(ApiKey.ConsumerGroupHeartbeat)) {
    it(`ConsumerGroupHeartbeat v${v} joins, gets partitions by topic id, ConsumerGroupDescribe shows it`, async () => {
      // Create the topic through Metadata auto-creation.
      await req(ApiKey.Metadata, 12, { topics: [{ topicId: Buffer.alloc(16), name: `kip848-${v}` }], allowAutoTopicCreation: true });
      const groupId = `cg-${v}`;
      const r = await req(ApiKey.ConsumerGroupHeartbeat, v, {
        groupId, memberId: v >= 1 ? 'client-chosen-id' : '', memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: 30_000,
        subscribedTopicNames: [`kip848-${v}`], subscribedTopicRegex: null, serverAssignor: 'range', topicPartitions: [],
      });
      expect(r.errorCode).to.equal(0);
      if (v >= 1) expect(r.memberId).to.equal('client-chosen-id');
      expect(r.memberEpoch).to.equal(1);
      const topicId = broker.services.metadata.topic(`kip848-${v}`)!.id;
      expect(Buffer.from(r.assignment.topicPartitions[0].topicId).equals(topicId)).to.equal(true);
      expect(r.assignment.topicPartitions[0].partitions).to.deep.equal([0, 1]);
      const d = await req(ApiKey.ConsumerGroupDescribe, 0, { groupIds: [groupId], includeAuthorizedOperations: false });
      expect(d.groups[0]).to.include({ errorCode: 0, groupState: 'Stable', groupEpoch: 1, assignorName: 'range' });
      expect(d.groups[0].members[0].memberId).to.equal(r.memberId);
    });
  }
});
