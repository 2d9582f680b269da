import { expect } from 'chai';
import { ErrorCode as E } from '../../protocol/errors';
import { ApiKey } from '../../protocol/generated/apis';
import { buildRecordBatch } from '../../protocol/records';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { allow, callAs, Op, PatternType, RT, AclPermission } from './aclHarness';
import type { AclBinding } from '../../src/security/acl/model';

/* Responses are checked field by field; their generated types would add little here. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Res = any;

const ADMIN = 'User:admin';
const ALICE = 'User:alice';
const EVE = 'User:eve';
const NOT_REQUESTED = -2147483648;
const bit = (...ops: number[]) => ops.reduce((m, o) => m | (1 << o), 0);

/**
 * Every API the broker serves, called as principals with and without the ACL
 * Kafka checks for it: the refused call gets the resource's *_AUTHORIZATION_FAILED
 * code and changes nothing, the allowed one works as before.
 */
describe('ACL checks in every handler', function () {
  let broker: TestBroker;
  const call = (principal: string, key: number, version: number, body: unknown) => callAs<Res>(broker.services, principal, key, version, body);
  const grant = (...b: AclBinding[]) => broker.services.authorizer!.store.add(b);
  const batch = (opts: { producerId?: bigint; transactional?: boolean } = {}) =>
    buildRecordBatch({ records: [{ key: null, value: Buffer.from('v') }], producerId: opts.producerId ?? -1n, producerEpoch: opts.producerId !== undefined ? 0 : -1, baseSequence: opts.producerId !== undefined ? 0 : -1, transactional: opts.transactional });
  const produce = (principal: string, topic: string, transactionalId: string | null = null, records = batch()) =>
    call(principal, ApiKey.Produce, 9, { transactionalId, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] }).then((r) => r.responses[0].partitionResponses[0].errorCode as number);

  before(async () => {
    broker = await startTestBroker({ config: { 'authorizer.class.name': 'brook', 'super.users': ADMIN, 'auto.create.topics.enable': 'true' } });
    const created: Res = await call(ADMIN, ApiKey.CreateTopics, 7, { topics: ['a', 'b', 'c'].map((name) => ({ name, numPartitions: 1, replicationFactor: 1 })) });
    expect(created.topics.map((t: Res) => t.errorCode)).to.deep.equal([0, 0, 0]);
    expect(await produce(ADMIN, 'a')).to.equal(0);
    expect(await produce(ADMIN, 'b')).to.equal(0);
    await grant(
      allow(ALICE, Op.WRITE, RT.TOPIC, 'a'),
      allow(ALICE, Op.READ, RT.TOPIC, 'a'),
      allow(ALICE, Op.ALTER, RT.TOPIC, 'a'),
      allow(ALICE, Op.ALTER_CONFIGS, RT.TOPIC, 'a'),
      allow(ALICE, Op.DELETE, RT.TOPIC, 'c'),
      allow(ALICE, Op.CREATE, RT.TOPIC, 'alice-', { patternType: PatternType.PREFIXED }),
      allow(ALICE, Op.WRITE, RT.TOPIC, 'alice-', { patternType: PatternType.PREFIXED }),
      allow(ALICE, Op.READ, RT.GROUP, 'g-alice'),
      allow(ALICE, Op.DELETE, RT.GROUP, 'g-alice'),
      allow(ALICE, Op.WRITE, RT.TRANSACTIONAL_ID, 'tx-alice'),
      allow(ALICE, Op.DESCRIBE, RT.TRANSACTIONAL_ID, 'tx-alice'),
    );
  });
  after(async () => {
    await broker?.destroy();
  });

  it('Produce: WRITE on the topic, WRITE on the transactional id, CREATE to auto-create', async () => {
    expect(await produce(ALICE, 'a')).to.equal(0);
    expect(await produce(ALICE, 'b')).to.equal(E.TOPIC_AUTHORIZATION_FAILED);
    expect(await produce(EVE, 'a')).to.equal(E.TOPIC_AUTHORIZATION_FAILED);
    // WRITE on a topic that does not exist, without CREATE: no auto-creation
    await grant(allow(ALICE, Op.WRITE, RT.TOPIC, 'write-only'));
    expect(await produce(ALICE, 'write-only')).to.equal(E.UNKNOWN_TOPIC_OR_PARTITION);
    expect(broker.services.metadata.topic('write-only')).to.equal(undefined);
    expect(await produce(ALICE, 'alice-auto')).to.equal(0);
    expect(broker.services.metadata.topic('alice-auto')).to.not.equal(undefined);
    expect(await produce(ALICE, 'a', 'tx-other', batch({ producerId: 5n, transactional: true }))).to.equal(E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  });

  it('Fetch: READ per topic; a follower needs CLUSTER_ACTION', async () => {
    const fetch = (principal: string, replicaId = -1) =>
      call(principal, ApiKey.Fetch, 12, {
        replicaId,
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes: 1 << 20,
        topics: ['a', 'b'].map((topic) => ({ topic, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, lastFetchedEpoch: -1, logStartOffset: -1n }] })),
      });
    const r = await fetch(ALICE);
    const byTopic = new Map(r.responses.map((t: Res) => [t.topic, t.partitions[0]]));
    expect((byTopic.get('a') as Res).errorCode).to.equal(0);
    expect((byTopic.get('a') as Res).highWatermark > 0n).to.equal(true);
    expect((byTopic.get('b') as Res).errorCode).to.equal(E.TOPIC_AUTHORIZATION_FAILED);
    expect((byTopic.get('b') as Res).records.length ?? 0).to.equal(0);
    const follower = await fetch(ALICE, 1);
    expect(follower.responses.map((t: Res) => t.partitions[0].errorCode)).to.deep.equal([E.TOPIC_AUTHORIZATION_FAILED, E.TOPIC_AUTHORIZATION_FAILED]);
  });

  it('Fetch by name: a topic that does not exist is refused like one that does, so its existence stays hidden', async () => {
    const fetchOne = async (principal: string, topic: string, version: number) => {
      const r = await call(principal, ApiKey.Fetch, version, {
        replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, forgottenTopicsData: [], rackId: '',
        topics: [{ topic, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, lastFetchedEpoch: -1, logStartOffset: -1n }] }],
      });
      return r.responses[0].partitions[0].errorCode as number;
    };
    for (const v of [4, 11, 12]) {
      expect(await fetchOne(ALICE, 'b', v), `v${v} existing`).to.equal(E.TOPIC_AUTHORIZATION_FAILED);
      expect(await fetchOne(ALICE, 'no-such-topic', v), `v${v} missing`).to.equal(E.TOPIC_AUTHORIZATION_FAILED);
    }
    // with READ the missing topic is reported as missing
    await grant(allow(ALICE, Op.READ, RT.TOPIC, 'readable-missing'));
    expect(await fetchOne(ALICE, 'readable-missing', 12)).to.equal(E.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('ListOffsets and OffsetForLeaderEpoch: DESCRIBE on the topic (implied by READ)', async () => {
    const lo = await call(ALICE, ApiKey.ListOffsets, 7, { replicaId: -1, topics: ['a', 'b'].map((name) => ({ name, partitions: [{ partitionIndex: 0, timestamp: -1n, currentLeaderEpoch: -1 }] })) });
    expect(lo.topics.map((t: Res) => t.partitions[0].errorCode)).to.deep.equal([0, E.TOPIC_AUTHORIZATION_FAILED]);
    const ofle = await call(ALICE, ApiKey.OffsetForLeaderEpoch, 4, { replicaId: -1, topics: ['a', 'b'].map((topic) => ({ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] })) });
    expect(ofle.topics.map((t: Res) => t.partitions[0].errorCode)).to.deep.equal([0, E.TOPIC_AUTHORIZATION_FAILED]);
  });

  it('Metadata: hides topics, refuses named ones, needs CREATE to auto-create, reports authorized operations', async () => {
    const all = await call(ALICE, ApiKey.Metadata, 10, { topics: null, includeTopicAuthorizedOperations: true, includeClusterAuthorizedOperations: true });
    const byName = new Map<string, Res>(all.topics.map((t: Res) => [t.name, t]));
    // DELETE on c implies DESCRIBE, so c is listed; b is not mentioned for alice at all
    expect(byName.has('a') && byName.has('c')).to.equal(true);
    expect(byName.has('b')).to.equal(false);
    expect(byName.get('a').topicAuthorizedOperations).to.equal(bit(Op.READ, Op.WRITE, Op.ALTER, Op.DESCRIBE, Op.DESCRIBE_CONFIGS, Op.ALTER_CONFIGS));
    expect(all.clusterAuthorizedOperations).to.equal(0);
    const admin = await call(ADMIN, ApiKey.Metadata, 10, { topics: null, includeClusterAuthorizedOperations: true });
    expect(admin.topics.map((t: Res) => t.name)).to.include('b');
    await grant(allow('User:creator', Op.CREATE, RT.CLUSTER, 'kafka-cluster'));
    // CREATE without DESCRIBE on the cluster: Kafka lists no cluster operations
    expect((await call('User:creator', ApiKey.Metadata, 10, { topics: [], includeClusterAuthorizedOperations: true })).clusterAuthorizedOperations).to.equal(0);
    expect(admin.clusterAuthorizedOperations).to.equal(bit(Op.CREATE, Op.ALTER, Op.DESCRIBE, Op.CLUSTER_ACTION, Op.DESCRIBE_CONFIGS, Op.ALTER_CONFIGS, Op.IDEMPOTENT_WRITE));
    expect(all.topics.every((t: Res) => t.topicAuthorizedOperations !== NOT_REQUESTED)).to.equal(true);

    const named = await call(ALICE, ApiKey.Metadata, 12, { topics: ['a', 'b', 'write-only2', 'alice-meta'].map((name) => ({ name })), allowAutoTopicCreation: true });
    await grant(allow(ALICE, Op.DESCRIBE, RT.TOPIC, 'write-only2'));
    const codes = named.topics.map((t: Res) => [t.name, t.errorCode]);
    expect(codes).to.deep.equal([
      ['a', 0],
      ['b', E.TOPIC_AUTHORIZATION_FAILED],
      ['write-only2', E.TOPIC_AUTHORIZATION_FAILED], // not even DESCRIBE at that point
      ['alice-meta', 0], // CREATE on the alice- prefix: auto-created
    ]);
    const describeOnly = await call(ALICE, ApiKey.Metadata, 12, { topics: [{ name: 'write-only2' }], allowAutoTopicCreation: true });
    // may describe, may not create: Kafka reports the refused creation as an authorization failure
    expect(describeOnly.topics[0].errorCode).to.equal(E.TOPIC_AUTHORIZATION_FAILED);
    expect(broker.services.metadata.topic('write-only2')).to.equal(undefined);
    const noCreate = await call(ALICE, ApiKey.Metadata, 12, { topics: [{ name: 'write-only2' }], allowAutoTopicCreation: false });
    expect(noCreate.topics[0].errorCode).to.equal(E.UNKNOWN_TOPIC_OR_PARTITION);
    // by topic id (v10+)
    const idOfB = broker.services.metadata.topic('b')!.id;
    const byId = await call(ALICE, ApiKey.Metadata, 12, { topics: [{ name: null, topicId: idOfB }] });
    expect(byId.topics[0].errorCode).to.equal(E.TOPIC_AUTHORIZATION_FAILED);
  });

  it('CreateTopics, DeleteTopics, CreatePartitions, DeleteRecords', async () => {
    const created = await call(ALICE, ApiKey.CreateTopics, 7, { topics: ['alice-new', 'other'].map((name) => ({ name, numPartitions: 1, replicationFactor: 1 })) });
    expect(created.topics.map((t: Res) => t.errorCode)).to.deep.equal([0, E.TOPIC_AUTHORIZATION_FAILED]);
    // created, but alice may not DESCRIBE_CONFIGS it: Kafka leaves the configs out
    expect(created.topics[0]).to.deep.include({ topicConfigErrorCode: E.TOPIC_AUTHORIZATION_FAILED, configs: [], numPartitions: 1 });
    expect(broker.services.metadata.topic('other')).to.equal(undefined);

    const grown = await call(ALICE, ApiKey.CreatePartitions, 3, { topics: [{ name: 'a', count: 2, assignments: null }, { name: 'b', count: 2, assignments: null }] });
    expect(grown.results.map((r: Res) => r.errorCode)).to.deep.equal([0, E.TOPIC_AUTHORIZATION_FAILED]);
    expect(broker.services.metadata.topic('b')!.partitions).to.equal(1);

    await grant(allow(ALICE, Op.DELETE, RT.TOPIC, 'a'));
    const dr = await call(ALICE, ApiKey.DeleteRecords, 2, { topics: ['a', 'b'].map((name) => ({ name, partitions: [{ partitionIndex: 0, offset: 1n }] })) });
    expect(dr.topics.map((t: Res) => t.partitions[0].errorCode)).to.deep.equal([0, E.TOPIC_AUTHORIZATION_FAILED]);

    const deleted = await call(ALICE, ApiKey.DeleteTopics, 6, { topics: [{ name: 'c' }, { name: 'b' }, { name: null, topicId: broker.services.metadata.topic('b')!.id }] });
    expect(deleted.responses.map((r: Res) => r.errorCode)).to.deep.equal([0, E.TOPIC_AUTHORIZATION_FAILED, E.TOPIC_AUTHORIZATION_FAILED]);
    expect(broker.services.metadata.topic('b')).to.not.equal(undefined);
    expect(broker.services.metadata.topic('c')).to.equal(undefined);
  });

  it('Describe/Alter/IncrementalAlterConfigs: *_CONFIGS on the topic, on the cluster for the broker', async () => {
    const TOPIC = 2;
    const BROKER = 4;
    const nodeId = String(broker.config.nodeId);
    const d = await call(ALICE, ApiKey.DescribeConfigs, 4, { resources: [{ resourceType: TOPIC, resourceName: 'a', configurationKeys: null }, { resourceType: TOPIC, resourceName: 'b', configurationKeys: null }, { resourceType: BROKER, resourceName: nodeId, configurationKeys: null }] });
    expect(d.results.map((r: Res) => r.errorCode)).to.deep.equal([0, E.TOPIC_AUTHORIZATION_FAILED, E.CLUSTER_AUTHORIZATION_FAILED]);
    const alter = await call(ALICE, ApiKey.AlterConfigs, 2, { resources: [{ resourceType: TOPIC, resourceName: 'a', configs: [{ name: 'retention.ms', value: '1000000' }] }, { resourceType: TOPIC, resourceName: 'b', configs: [{ name: 'retention.ms', value: '1000000' }] }] });
    expect(alter.responses.map((r: Res) => r.errorCode)).to.deep.equal([0, E.TOPIC_AUTHORIZATION_FAILED]);
    const inc = await call(ALICE, ApiKey.IncrementalAlterConfigs, 1, { resources: [{ resourceType: TOPIC, resourceName: 'b', configs: [{ name: 'retention.ms', configOperation: 0, value: '5' }] }, { resourceType: BROKER, resourceName: nodeId, configs: [] }] });
    expect(inc.responses.map((r: Res) => r.errorCode)).to.deep.equal([E.TOPIC_AUTHORIZATION_FAILED, E.CLUSTER_AUTHORIZATION_FAILED]);
    expect(broker.services.metadata.topic('b')!.configs['retention.ms']).to.equal(undefined);
  });

  it('group configs: *_CONFIGS on the group, not on the cluster (GROUP_AUTHORIZATION_FAILED)', async () => {
    const GROUP = 32;
    const BOB = 'User:bob';
    await grant(allow(ALICE, Op.ALTER_CONFIGS, RT.GROUP, 'sg-', { patternType: PatternType.PREFIXED }), allow(BOB, Op.ALTER_CONFIGS, RT.CLUSTER, 'kafka-cluster'), allow(BOB, Op.DESCRIBE_CONFIGS, RT.CLUSTER, 'kafka-cluster'));
    const alter = (principal: string, group: string) =>
      call(principal, ApiKey.IncrementalAlterConfigs, 1, { resources: [{ resourceType: GROUP, resourceName: group, configs: [{ name: 'share.auto.offset.reset', configOperation: 0, value: 'earliest' }] }] }).then((r) => r.responses[0].errorCode as number);
    const describe = (principal: string, group: string) =>
      call(principal, ApiKey.DescribeConfigs, 4, { resources: [{ resourceType: GROUP, resourceName: group, configurationKeys: null }] }).then((r) => r.results[0].errorCode as number);
    expect(await alter(ALICE, 'sg-1')).to.equal(0);
    expect(await describe(ALICE, 'sg-1')).to.equal(0); // ALTER_CONFIGS implies DESCRIBE_CONFIGS
    expect(await alter(ALICE, 'other-group')).to.equal(E.GROUP_AUTHORIZATION_FAILED);
    expect(await describe(ALICE, 'other-group')).to.equal(E.GROUP_AUTHORIZATION_FAILED);
    // the cluster's *_CONFIGS say nothing about groups
    expect(await alter(BOB, 'sg-1')).to.equal(E.GROUP_AUTHORIZATION_FAILED);
    expect(await describe(BOB, 'sg-1')).to.equal(E.GROUP_AUTHORIZATION_FAILED);
  });

  it('DescribeLogDirs needs DESCRIBE on the cluster; DescribeCluster lists operations only for those who have it', async () => {
    const denied = await call(ALICE, ApiKey.DescribeLogDirs, 4, { topics: null });
    expect(denied.errorCode).to.equal(E.CLUSTER_AUTHORIZATION_FAILED);
    expect(denied.results).to.deep.equal([]);
    expect((await call(ADMIN, ApiKey.DescribeLogDirs, 4, { topics: null })).results).to.have.length(1);
    const dc = await call(ALICE, ApiKey.DescribeCluster, 1, { includeClusterAuthorizedOperations: true, endpointType: 1 });
    expect(dc.errorCode).to.equal(0);
    expect(dc.clusterAuthorizedOperations).to.equal(0);
    await grant(allow('User:ops', Op.DESCRIBE, RT.CLUSTER, 'kafka-cluster'));
    expect((await call('User:ops', ApiKey.DescribeLogDirs, 4, { topics: null })).errorCode).to.equal(0);
    expect((await call('User:ops', ApiKey.DescribeCluster, 1, { includeClusterAuthorizedOperations: true, endpointType: 1 })).clusterAuthorizedOperations).to.equal(bit(Op.DESCRIBE));
  });

  it('classic group APIs: READ on the group to join, DESCRIBE to look, DELETE to delete; offsets need the topic too', async () => {
    const fc = await call(ALICE, ApiKey.FindCoordinator, 4, { keyType: 0, coordinatorKeys: ['g-alice', 'g-other'] });
    expect(fc.coordinators.map((c: Res) => c.errorCode)).to.deep.equal([0, E.GROUP_AUTHORIZATION_FAILED]);
    expect(fc.coordinators[1].nodeId).to.equal(-1);
    expect((await call(ALICE, ApiKey.FindCoordinator, 3, { keyType: 0, key: 'g-other' })).errorCode).to.equal(E.GROUP_AUTHORIZATION_FAILED);

    const join = (groupId: string, memberId = '') =>
      call(ALICE, ApiKey.JoinGroup, 5, { groupId, memberId, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }], groupInstanceId: null });
    expect((await join('g-other')).errorCode).to.equal(E.GROUP_AUTHORIZATION_FAILED);
    const first = await join('g-alice');
    expect(first.errorCode).to.equal(E.MEMBER_ID_REQUIRED);
    const joined = await join('g-alice', first.memberId);
    expect(joined.errorCode).to.equal(0);
    const member = { groupId: 'g-alice', generationId: joined.generationId, memberId: joined.memberId, groupInstanceId: null };
    expect((await call(ALICE, ApiKey.SyncGroup, 5, { ...member, protocolType: 'consumer', protocolName: 'range', assignments: [{ memberId: joined.memberId, assignment: Buffer.alloc(0) }] })).errorCode).to.equal(0);
    expect((await call(EVE, ApiKey.SyncGroup, 5, { ...member, protocolType: 'consumer', protocolName: 'range', assignments: [] })).errorCode).to.equal(E.GROUP_AUTHORIZATION_FAILED);
    expect((await call(ALICE, ApiKey.Heartbeat, 4, member)).errorCode).to.equal(0);
    expect((await call(EVE, ApiKey.Heartbeat, 4, member)).errorCode).to.equal(E.GROUP_AUTHORIZATION_FAILED);

    const commit = (principal: string, groupId: string) =>
      call(principal, ApiKey.OffsetCommit, 8, {
        groupId,
        generationIdOrMemberEpoch: groupId === 'g-alice' ? joined.generationId : -1,
        memberId: groupId === 'g-alice' ? joined.memberId : '',
        groupInstanceId: null,
        topics: ['a', 'b'].map((name) => ({ name, partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null }] })),
      }).then((r) => r.topics.map((t: Res) => [t.name, t.partitions[0].errorCode]));
    expect(await commit(ALICE, 'g-alice')).to.deep.equal([['a', 0], ['b', E.TOPIC_AUTHORIZATION_FAILED]]);
    expect(await commit(ALICE, 'g-other')).to.deep.equal([['a', E.GROUP_AUTHORIZATION_FAILED], ['b', E.GROUP_AUTHORIZATION_FAILED]]);
    // a refused commit has no effect at all: no group appears (Kafka answers without the coordinator)
    expect(broker.services.groups!.hasGroup('g-other')).to.equal(false);
    // nor does one whose every topic is refused, in a group the caller may read
    await grant(allow(ALICE, Op.READ, RT.GROUP, 'g-b-only'));
    const onlyB = await call(ALICE, ApiKey.OffsetCommit, 8, { groupId: 'g-b-only', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, topics: [{ name: 'b', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null }] }] });
    expect(onlyB.topics[0].partitions[0].errorCode).to.equal(E.TOPIC_AUTHORIZATION_FAILED);
    expect(broker.services.groups!.hasGroup('g-b-only')).to.equal(false);

    const fetched = await call(ALICE, ApiKey.OffsetFetch, 8, { groups: [{ groupId: 'g-alice', topics: ['a', 'b'].map((name) => ({ name, partitionIndexes: [0] })) }, { groupId: 'g-other', topics: null }] });
    expect(fetched.groups[0].errorCode).to.equal(0);
    expect(fetched.groups[0].topics.map((t: Res) => [t.name, t.partitions[0].errorCode, t.partitions[0].committedOffset])).to.deep.equal([['a', 0, 1n], ['b', E.TOPIC_AUTHORIZATION_FAILED, -1n]]);
    expect(fetched.groups[1].errorCode).to.equal(E.GROUP_AUTHORIZATION_FAILED);
    // the admin committed to b too; alice's "all topics" fetch does not show it
    await call(ADMIN, ApiKey.OffsetCommit, 8, { groupId: 'g-alice', generationIdOrMemberEpoch: joined.generationId, memberId: joined.memberId, groupInstanceId: null, topics: [{ name: 'b', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null }] }] });
    const allOffsets = await call(ALICE, ApiKey.OffsetFetch, 7, { groupId: 'g-alice', topics: null });
    expect(allOffsets.topics.map((t: Res) => t.name)).to.deep.equal(['a']);
    expect((await call(ADMIN, ApiKey.OffsetFetch, 7, { groupId: 'g-alice', topics: null })).topics.map((t: Res) => t.name).sort()).to.deep.equal(['a', 'b']);

    const listed = await call(ALICE, ApiKey.ListGroups, 4, { statesFilter: [] });
    expect(listed.groups.map((g: Res) => g.groupId)).to.deep.equal(['g-alice']);
    await call(ADMIN, ApiKey.JoinGroup, 5, { groupId: 'g-admin', memberId: '', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }], groupInstanceId: null });
    expect((await call(EVE, ApiKey.ListGroups, 4, { statesFilter: [] })).groups).to.deep.equal([]);

    const described = await call(ALICE, ApiKey.DescribeGroups, 5, { groups: ['g-alice', 'g-other'], includeAuthorizedOperations: true });
    expect(described.groups.map((g: Res) => g.errorCode)).to.deep.equal([0, E.GROUP_AUTHORIZATION_FAILED]);
    expect(described.groups[0].authorizedOperations).to.equal(bit(Op.READ, Op.DELETE, Op.DESCRIBE));

    const od = await call(ALICE, ApiKey.OffsetDelete, 0, { groupId: 'g-alice', topics: ['a', 'b'].map((name) => ({ name, partitions: [{ partitionIndex: 0 }] })) });
    // a is subscribed-to by nobody (empty protocol metadata), so the group lets it go; b is refused by ACL
    expect(od.topics.map((t: Res) => [t.name, t.partitions[0].errorCode])).to.deep.include.members([['b', E.TOPIC_AUTHORIZATION_FAILED]]);
    expect((await call(EVE, ApiKey.OffsetDelete, 0, { groupId: 'g-alice', topics: [] })).errorCode).to.equal(E.GROUP_AUTHORIZATION_FAILED);

    expect((await call(EVE, ApiKey.LeaveGroup, 4, { groupId: 'g-alice', members: [{ memberId: joined.memberId, groupInstanceId: null }] })).errorCode).to.equal(E.GROUP_AUTHORIZATION_FAILED);
    expect((await call(ALICE, ApiKey.LeaveGroup, 4, { groupId: 'g-alice', members: [{ memberId: joined.memberId, groupInstanceId: null }] })).errorCode).to.equal(0);
    const dg = await call(ALICE, ApiKey.DeleteGroups, 2, { groupsNames: ['g-alice', 'g-admin'] });
    expect(dg.results.map((r: Res) => [r.groupId, r.errorCode])).to.deep.equal([['g-alice', 0], ['g-admin', E.GROUP_AUTHORIZATION_FAILED]]);
  });

  it('KIP-848 group APIs: READ to heartbeat, DESCRIBE to describe', async () => {
    const hb = (principal: string, groupId: string) =>
      call(principal, ApiKey.ConsumerGroupHeartbeat, 0, { groupId, memberId: '', memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: 10_000, subscribedTopicNames: ['a'], serverAssignor: null, topicPartitions: [] });
    expect((await hb(ALICE, 'g-other')).errorCode).to.equal(E.GROUP_AUTHORIZATION_FAILED);
    const hidden = await call(ALICE, ApiKey.ConsumerGroupHeartbeat, 0, { groupId: 'g-alice', memberId: '', memberEpoch: 0, rebalanceTimeoutMs: 10_000, subscribedTopicNames: ['a', 'b'], topicPartitions: [] });
    expect(hidden.errorCode).to.equal(E.TOPIC_AUTHORIZATION_FAILED);
    expect(hidden.errorMessage).to.equal('The following topics are unauthorized: b');
    expect((await hb(ALICE, 'g-alice')).errorCode).to.equal(0);
    const d = await call(ALICE, ApiKey.ConsumerGroupDescribe, 0, { groupIds: ['g-alice', 'g-other'], includeAuthorizedOperations: true });
    expect(d.groups.map((g: Res) => g.errorCode)).to.deep.equal([0, E.GROUP_AUTHORIZATION_FAILED]);
    expect(d.groups[0].authorizedOperations).to.equal(bit(Op.READ, Op.DELETE, Op.DESCRIBE));
  });

  it('transaction APIs: WRITE on the transactional id, plus the topic and group checks', async () => {
    const init = (principal: string, transactionalId: string | null) =>
      call(principal, ApiKey.InitProducerId, 4, { transactionalId, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
    expect((await init(ALICE, 'tx-other')).errorCode).to.equal(E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    // idempotent: WRITE on some topic is enough; eve has none and no IDEMPOTENT_WRITE
    expect((await init(ALICE, null)).errorCode).to.equal(0);
    expect((await init(EVE, null)).errorCode).to.equal(E.CLUSTER_AUTHORIZATION_FAILED);
    await grant(allow(EVE, Op.IDEMPOTENT_WRITE, RT.CLUSTER, 'kafka-cluster'));
    expect((await init(EVE, null)).errorCode).to.equal(0);

    const tx = await init(ALICE, 'tx-alice');
    expect(tx.errorCode).to.equal(0);
    const ids = { producerId: tx.producerId, producerEpoch: tx.producerEpoch };
    const add = (principal: string, transactionalId: string, topics: string[]) =>
      call(principal, ApiKey.AddPartitionsToTxn, 3, { v3AndBelowTransactionalId: transactionalId, v3AndBelowProducerId: ids.producerId, v3AndBelowProducerEpoch: ids.producerEpoch, v3AndBelowTopics: topics.map((name) => ({ name, partitions: [0] })) }).then((r) =>
        r.resultsByTopicV3AndBelow.map((t: Res) => [t.name, t.resultsByPartition[0].partitionErrorCode]),
      );
    expect(await add(ALICE, 'tx-alice', ['a', 'b'])).to.deep.equal([['a', E.OPERATION_NOT_ATTEMPTED], ['b', E.TOPIC_AUTHORIZATION_FAILED]]);
    expect(await add(EVE, 'tx-alice', ['a'])).to.deep.equal([['a', E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED]]);
    expect(await add(ALICE, 'tx-alice', ['a'])).to.deep.equal([['a', 0]]);
    expect(await produce(ALICE, 'a', 'tx-alice', buildRecordBatch({ records: [{ key: null, value: Buffer.from('t') }], producerId: ids.producerId, producerEpoch: ids.producerEpoch, baseSequence: 0, transactional: true }))).to.equal(0);

    const addOffsets = (principal: string, groupId: string) => call(principal, ApiKey.AddOffsetsToTxn, 3, { transactionalId: 'tx-alice', ...ids, groupId }).then((r) => r.errorCode);
    expect(await addOffsets(EVE, 'g-alice')).to.equal(E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    expect(await addOffsets(ALICE, 'g-other')).to.equal(E.GROUP_AUTHORIZATION_FAILED);
    expect(await addOffsets(ALICE, 'g-alice')).to.equal(0);

    const txnCommit = (principal: string, groupId: string) =>
      call(principal, ApiKey.TxnOffsetCommit, 3, {
        transactionalId: 'tx-alice',
        groupId,
        ...ids,
        generationId: -1,
        memberId: '',
        groupInstanceId: null,
        topics: ['a', 'b'].map((name) => ({ name, partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null }] })),
      }).then((r) => r.topics.map((t: Res) => t.partitions[0].errorCode));
    expect(await txnCommit(EVE, 'g-alice')).to.deep.equal([E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED]);
    expect(await txnCommit(ALICE, 'g-other')).to.deep.equal([E.GROUP_AUTHORIZATION_FAILED, E.GROUP_AUTHORIZATION_FAILED]);
    expect(await txnCommit(ALICE, 'g-alice')).to.deep.equal([0, E.TOPIC_AUTHORIZATION_FAILED]);

    const described = await call(ALICE, ApiKey.DescribeTransactions, 0, { transactionalIds: ['tx-alice', 'tx-other'] });
    expect(described.transactionStates.map((t: Res) => t.errorCode)).to.deep.equal([0, E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED]);
    expect(described.transactionStates[0].topics).to.deep.equal([{ topic: 'a', partitions: [0] }]);
    // an auditor may see the transaction but not topic a, so its partitions are left out
    await grant(allow('User:auditor', Op.DESCRIBE, RT.TRANSACTIONAL_ID, 'tx-alice'));
    const audited = await call('User:auditor', ApiKey.DescribeTransactions, 0, { transactionalIds: ['tx-alice'] });
    expect(audited.transactionStates[0]).to.deep.include({ errorCode: 0, transactionState: 'Ongoing', topics: [] });
    await init(ADMIN, 'tx-admin');
    const listed = await call(ALICE, ApiKey.ListTransactions, 0, { stateFilters: [], producerIdFilters: [] });
    expect(listed.transactionStates.map((t: Res) => t.transactionalId)).to.deep.equal(['tx-alice']);
    expect((await call(ADMIN, ApiKey.ListTransactions, 0, { stateFilters: [], producerIdFilters: [] })).transactionStates).to.have.length(2);

    const producers = await call(ALICE, ApiKey.DescribeProducers, 0, { topics: ['a', 'b'].map((name) => ({ name, partitionIndexes: [0] })) });
    expect(producers.topics.map((t: Res) => t.partitions[0].errorCode)).to.deep.equal([0, E.TOPIC_AUTHORIZATION_FAILED]);

    expect((await call(EVE, ApiKey.EndTxn, 3, { transactionalId: 'tx-alice', ...ids, committed: true })).errorCode).to.equal(E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    expect((await call(ALICE, ApiKey.EndTxn, 3, { transactionalId: 'tx-alice', ...ids, committed: true })).errorCode).to.equal(0);

    const markers = await call(ALICE, ApiKey.WriteTxnMarkers, 1, { markers: [{ producerId: 99n, producerEpoch: 0, transactionResult: false, coordinatorEpoch: 0, topics: [{ name: 'a', partitionIndexes: [0] }] }] });
    expect(markers.markers[0].topics[0].partitions[0].errorCode).to.equal(E.CLUSTER_AUTHORIZATION_FAILED);
    expect(await call(ALICE, ApiKey.FindCoordinator, 4, { keyType: 1, coordinatorKeys: ['tx-alice', 'tx-other'] }).then((r) => r.coordinators.map((c: Res) => c.errorCode))).to.deep.equal([0, E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED]);
  });

  it('a DENY on a prefix overrides an ALLOW on a literal name for every API', async () => {
    await grant({ ...allow(ALICE, Op.ALL, RT.TOPIC, 'a'), permission: AclPermission.DENY });
    expect(await produce(ALICE, 'a')).to.equal(E.TOPIC_AUTHORIZATION_FAILED);
    const md = await call(ALICE, ApiKey.Metadata, 12, { topics: null });
    expect(md.topics.map((t: Res) => t.name)).to.not.include('a');
  });
});
