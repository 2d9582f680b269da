import { expect } from 'chai';
import { Reader } from '../../protocol/codec/reader';
import { decodeConsumerProtocolAssignment } from '../../protocol/generated/messages/ConsumerProtocolAssignment';
import { decodeConsumerProtocolSubscription } from '../../protocol/generated/messages/ConsumerProtocolSubscription';
import { ErrorCode } from '../../protocol/errors';
import { ManualClock } from '../../src/groups/clock';
import { ClassicGroup, IllegalGroupTransition, assertClassicTransition } from '../../src/groups/classicGroup';
import type { CatalogTopic, ConsumerHeartbeatParams, TopicCatalog } from '../../src/groups/consumerCoordinator';
import { ConsumerGroup, ConsumerMember } from '../../src/groups/consumerGroup';
import { consumerGroupChanges } from '../../src/groups/consumerGroupChanges';
import { GroupCoordinator } from '../../src/groups/coordinator';
import { encodeConsumerGroupKey, encodeConsumerGroupValue, encodeGroupMetadataKey, encodeGroupMetadataValue, encodeOffsetCommitKey, encodeOffsetCommitValue, type StoredMember } from '../../src/groups/offsetsTopicRecords';
import { MemoryGroupStateLog } from '../../src/groups/stateLog';
import { CoordinatorWriteError } from '../../src/internalTopics/writeErrors';
import { flush, joinParams } from './helpers';

function catalog(topics: Record<string, number>): TopicCatalog {
  const byName = new Map<string, CatalogTopic>();
  for (const [name, partitions] of Object.entries(topics)) {
    const id = Buffer.alloc(16);
    id.write(name.padEnd(16, '_').slice(0, 16));
    byName.set(name, { name, id, partitions });
  }
  return { byName: (n) => byName.get(n), byId: (id) => [...byName.values()].find((t) => t.id.equals(id)), names: () => [...byName.keys()] };
}

function setup(log = new MemoryGroupStateLog()) {
  const clock = new ManualClock();
  const coord = new GroupCoordinator({
    clock, log, topics: catalog({ t: 6, u: 2 }),
    config: { consumerSessionTimeoutMs: 3000, consumerHeartbeatIntervalMs: 500, minSessionTimeoutMs: 100, initialRebalanceDelayMs: 0 },
  });
  const hb = (over: Partial<ConsumerHeartbeatParams>) => coord.consumerHeartbeat({
    groupId: 'cg', memberId: '', memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: 5000,
    subscribedTopicNames: ['t'], subscribedTopicRegex: null, serverAssignor: null, ownedPartitions: null,
    clientId: 'c', clientHost: '/h', ...over,
  });
  return { clock, coord, hb, log };
}

/** Record type of each key (its leading int16), in log order. */
const keyTypes = (log: MemoryGroupStateLog) => log.records.map((r) => r.key.readInt16BE(0));

describe('group coordinator records and replay', () => {
  it('persists KIP-848 groups as Kafka\'s record types, and a replay of the log rebuilds exactly the live state', async () => {
    const { hb, coord, log } = setup();
    const a = await hb({ memberId: 'A', instanceId: 'ia', rackId: 'r1', serverAssignor: 'range' });
    const b = await hb({ memberId: 'B', subscribedTopicNames: ['t', 'u'] });
    const a2 = await hb({ memberId: 'A', memberEpoch: a.memberEpoch, ownedPartitions: a.assignment });
    await hb({ memberId: 'A', memberEpoch: a2.memberEpoch, ownedPartitions: a2.assignment });
    await hb({ memberId: 'B', memberEpoch: b.memberEpoch, ownedPartitions: [] });
    const live = coord.describeConsumerGroup('cg');

    // ConsumerGroupMetadata(3), PartitionMetadata(4), MemberMetadata(5), TargetAssignmentMetadata(6)/Member(7), CurrentMemberAssignment(8)
    expect([...new Set(keyTypes(log))].sort()).to.deep.equal([3, 4, 5, 6, 7, 8]);
    expect(keyTypes(log)).not.to.include(1000);

    const reloaded = setup(log);
    await reloaded.coord.start();
    expect(reloaded.coord.describeConsumerGroup('cg')).to.deep.equal(live);
  });

  it('a member that leaves is tombstoned record by record, so the replayed group no longer has it', async () => {
    const { hb, coord, log } = setup();
    await hb({ memberId: 'A' });
    const b = await hb({ memberId: 'B' });
    await hb({ memberId: 'B', memberEpoch: -1 });
    const tombstones = log.records.filter((r) => r.value === null).map((r) => r.key.readInt16BE(0));
    expect(tombstones).to.deep.equal([8, 7, 5]);
    expect(b.errorCode).to.equal(ErrorCode.NONE);
    const reloaded = setup(log);
    await reloaded.coord.start();
    expect(reloaded.coord.describeConsumerGroup('cg')).to.deep.equal(coord.describeConsumerGroup('cg'));
    expect(reloaded.coord.describeConsumerGroup('cg').members.map((m) => m.memberId)).to.deep.equal(['A']);
  });

  it('a classic group loads as its last record says: members a later generation no longer lists (or an empty group) are gone', async () => {
    const log = new MemoryGroupStateLog();
    const member = (memberId: string): StoredMember => ({ memberId, groupInstanceId: null, clientId: 'c', clientHost: '/h', rebalanceTimeoutMs: 30000, sessionTimeoutMs: 30000, subscription: Buffer.alloc(0), assignment: Buffer.alloc(0) });
    const generation = (g: string, n: number, members: StoredMember[]) =>
      log.records.push({ key: encodeGroupMetadataKey(g), value: encodeGroupMetadataValue({ protocolType: 'consumer', generation: n, protocol: members.length ? 'range' : null, leader: members[0]?.memberId ?? null, currentStateTimestamp: 1, members }) });
    generation('left', 1, [member('a')]);
    generation('left', 2, []); // the last member left: Kafka writes the empty group
    generation('shrunk', 1, [member('a'), member('b')]);
    generation('shrunk', 2, [member('b')]);
    const { coord } = setup(log);
    await coord.start();
    expect(coord.describeGroup('left')).to.include({ state: 'Empty' });
    expect(coord.describeGroup('left').members).to.deep.equal([]);
    expect(coord.describeGroup('shrunk').state).to.equal('Stable');
    expect(coord.describeGroup('shrunk').members.map((m) => m.memberId)).to.deep.equal(['b']);
  });

  it('skips a record that is not a group coordinator record at load, with a log line, and loads the rest', async () => {
    const log = new MemoryGroupStateLog();
    log.records.push({ key: Buffer.from('k'), value: Buffer.from('hello') }); // what a client's produce once put there
    log.records.push({ key: encodeOffsetCommitKey('g', 't', 0), value: encodeOffsetCommitValue({ offset: 7, leaderEpoch: -1, metadata: '', commitTimestamp: 1, expireTimestamp: -1 }) });
    const warnings: string[] = [];
    const clock = new ManualClock();
    const coord = new GroupCoordinator({
      clock, log, topics: catalog({ t: 1 }),
      config: { consumerSessionTimeoutMs: 3000, consumerHeartbeatIntervalMs: 500, minSessionTimeoutMs: 100, initialRebalanceDelayMs: 0 },
      logger: { info: () => undefined, warn: (_o: object, msg?: string) => void warnings.push(msg ?? '') },
    });
    await coord.start();
    expect(warnings).to.deep.equal(['skipped a record that is not a group coordinator record']);
    expect(coord.fetchOffsets('g', [{ topic: 't', partitions: [0] }]).topics[0].partitions[0].offset).to.equal(7);
  });

  it('DescribeGroups shows a KIP-848 group\'s members with their subscription and assignment in the classic encoding', async () => {
    const { hb, coord } = setup();
    const a = await hb({ memberId: 'A' });
    await hb({ memberId: 'A', memberEpoch: a.memberEpoch, ownedPartitions: a.assignment });
    const d = coord.describeGroup('cg');
    expect(d.protocolType).to.equal('consumer');
    expect(d.members).to.have.length(1);
    const assignment = new Reader(d.members[0]!.assignment);
    const version = assignment.int16();
    const decoded = decodeConsumerProtocolAssignment(assignment, version);
    expect(decoded.assignedPartitions.map((t) => [t.topic, t.partitions])).to.deep.equal([['t', [0, 1, 2, 3, 4, 5]]]);
    const subscription = new Reader(d.members[0]!.metadata);
    expect(decodeConsumerProtocolSubscription(subscription, subscription.int16()).topics).to.deep.equal(['t']);
  });

  it('a failed heartbeat write changes nothing (nothing is replayed) and is counted', async () => {
    const { hb, coord, log } = setup();
    const a = await hb({ memberId: 'A' });
    const before = coord.describeConsumerGroup('cg');
    log.failNext = new CoordinatorWriteError(ErrorCode.NOT_ENOUGH_REPLICAS, 'test');
    const b = await hb({ memberId: 'B' });
    expect(b.errorCode).to.equal(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect(coord.describeConsumerGroup('cg')).to.deep.equal(before);
    expect(coord.writeFailures.get('consumer-heartbeat')).to.equal(1);
    // The same join goes through once the log takes writes again.
    expect((await hb({ memberId: 'B' })).errorCode).to.equal(ErrorCode.NONE);
    expect(coord.describeConsumerGroup('cg').members.map((m) => m.memberId)).to.deep.equal(['A', 'B']);
    expect(a.errorCode).to.equal(ErrorCode.NONE);
  });

  it('a failed offset commit leaves the committed offsets as they were and is counted', async () => {
    const { coord, log } = setup();
    const commit = (offset: number) => coord.commitOffsets({ groupId: 'g', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, offsets: [{ topic: 't', partition: 0, offset, leaderEpoch: -1, metadata: null }] });
    await commit(5);
    log.failNext = new CoordinatorWriteError(ErrorCode.NOT_LEADER_OR_FOLLOWER, 'test');
    expect((await commit(9))[0].errorCode).to.equal(ErrorCode.NOT_COORDINATOR);
    expect(coord.fetchOffsets('g', [{ topic: 't', partitions: [0] }]).topics[0].partitions[0].offset).to.equal(5);
    expect(coord.writeFailures.get('offset-commit')).to.equal(1);
  });

  it('a member whose session expires is removed only once its tombstones are written; a failed write keeps it and retries', async () => {
    const { hb, coord, log, clock } = setup();
    await hb({ memberId: 'A' });
    await hb({ memberId: 'B' });
    log.failNext = new CoordinatorWriteError(ErrorCode.NOT_ENOUGH_REPLICAS, 'test');
    clock.advance(3000); // both sessions expire; the first removal's write fails
    await flush();
    expect(coord.writeFailures.get('consumer-member-expiry')).to.equal(1);
    expect(coord.describeConsumerGroup('cg').members.map((m) => m.memberId)).to.deep.equal(['A']);
    clock.advance(3000);
    await flush();
    expect(coord.describeConsumerGroup('cg').members).to.deep.equal([]);
  });

  it('loads a group written in Brook\'s earlier JSON snapshot record, and rewrites it as Kafka records on its next change', async () => {
    const log = new MemoryGroupStateLog();
    log.records.push({
      key: encodeConsumerGroupKey('cg'),
      value: encodeConsumerGroupValue({
        groupEpoch: 3, assignmentEpoch: 3, assignorName: 'uniform', metadataFingerprint: 't:6',
        members: [{
          memberId: 'A', instanceId: null, rackId: null, memberEpoch: 3, previousMemberEpoch: 2, rebalanceTimeoutMs: 5000,
          clientId: 'c', clientHost: '/h', subscribedTopicNames: ['t'], subscribedTopicRegex: null, serverAssignor: null,
          assigned: { t: [0, 1, 2, 3, 4, 5] }, revoking: {},
        }],
        target: { A: { t: [0, 1, 2, 3, 4, 5] } },
      }),
    });
    const { coord, hb } = setup(log);
    await coord.start();
    const loaded = coord.describeConsumerGroup('cg');
    expect(loaded.members.map((m) => [m.memberId, m.memberEpoch])).to.deep.equal([['A', 3]]);
    expect(loaded.groupEpoch).to.equal(3);

    await hb({ memberId: 'B' });
    const legacyTombstones = log.records.filter((r) => r.key.readInt16BE(0) === 1000 && r.value === null);
    expect(legacyTombstones).to.have.length(1);
    const reloaded = setup(log);
    await reloaded.coord.start();
    expect(reloaded.coord.describeConsumerGroup('cg')).to.deep.equal(coord.describeConsumerGroup('cg'));
    expect(reloaded.coord.describeConsumerGroup('cg').members.map((m) => m.memberId)).to.deep.equal(['A', 'B']);
  });

  it('a group id switches protocol only through records: an empty consumer group to classic and back, also across a restart', async () => {
    const { hb, coord, log } = setup();
    await hb({ groupId: 'sw', memberId: 'A' });
    await hb({ groupId: 'sw', memberId: 'A', memberEpoch: -1 });
    const joined = await coord.join(joinParams({ groupId: 'sw' }));
    expect(joined.errorCode).to.equal(ErrorCode.NONE);
    await flush();
    expect(coord.describeConsumerGroup('sw').errorCode).to.equal(ErrorCode.GROUP_ID_NOT_FOUND);
    expect(coord.listGroups([], []).map((g) => [g.groupId, g.type])).to.deep.equal([['sw', 'classic']]);
    let reloaded = setup(log);
    await reloaded.coord.start();
    expect(reloaded.coord.describeConsumerGroup('sw').errorCode).to.equal(ErrorCode.GROUP_ID_NOT_FOUND);

    // The classic member leaves; the empty classic group gives the id back to a KIP-848 member.
    coord.leave('sw', [{ memberId: joined.memberId, groupInstanceId: null }]);
    await flush();
    expect(coord.groupState('sw')).to.equal('Empty');
    expect((await hb({ groupId: 'sw', memberId: 'B' })).errorCode).to.equal(ErrorCode.NONE);
    expect(coord.groupState('sw')).to.equal(undefined);
    reloaded = setup(log);
    await reloaded.coord.start();
    expect(reloaded.coord.groupState('sw')).to.equal(undefined);
    expect(reloaded.coord.describeConsumerGroup('sw').members.map((m) => m.memberId)).to.deep.equal(['B']);
  });

  it('computes no records for a group that did not change', () => {
    const g = new ConsumerGroup('cg', 'uniform');
    const m = new ConsumerMember('A', 'c', '/h');
    g.members.set('A', m);
    const copy = new ConsumerGroup('cg', 'uniform');
    copy.members.set('A', Object.assign(new ConsumerMember('A', 'c', '/h'), { assigned: new Map() }));
    expect(consumerGroupChanges(g, copy)).to.deep.equal([]);
    copy.groupEpoch = 1;
    expect(consumerGroupChanges(g, copy).map((r) => r.type)).to.deep.equal(['cg-metadata']);
  });

  describe('classic group valid previous states', () => {
    it('allows Kafka\'s transitions', () => {
      for (const [from, to] of [['Empty', 'PreparingRebalance'], ['PreparingRebalance', 'CompletingRebalance'], ['CompletingRebalance', 'Stable'], ['Stable', 'PreparingRebalance'], ['PreparingRebalance', 'Empty'], ['Empty', 'Dead']] as const) {
        expect(() => assertClassicTransition('g', from, to)).not.to.throw();
      }
    });

    it('refuses the others', () => {
      for (const [from, to] of [['Empty', 'Stable'], ['Empty', 'CompletingRebalance'], ['Stable', 'CompletingRebalance'], ['CompletingRebalance', 'Empty'], ['Dead', 'PreparingRebalance'], ['Stable', 'Empty']] as const) {
        expect(() => assertClassicTransition('g', from, to)).to.throw(IllegalGroupTransition);
      }
      const g = new ClassicGroup('g', 0);
      expect(() => g.transition('Stable', 1)).to.throw(IllegalGroupTransition, /Empty -> Stable/);
      expect(g.state).to.equal('Empty');
    });
  });
});
