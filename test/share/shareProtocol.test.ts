import { expect } from 'chai';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/generated/apis';
import type { ShareFetchResponse } from '../../protocol/generated/messages/ShareFetchResponse';
import type { ShareAcknowledgeResponse } from '../../protocol/generated/messages/ShareAcknowledgeResponse';
import type { ShareGroupHeartbeatResponse } from '../../protocol/generated/messages/ShareGroupHeartbeatResponse';
import type { ShareGroupDescribeResponse } from '../../protocol/generated/messages/ShareGroupDescribeResponse';
import type { IncrementalAlterConfigsResponse } from '../../protocol/generated/messages/IncrementalAlterConfigsResponse';
import type { DescribeConfigsResponse } from '../../protocol/generated/messages/DescribeConfigsResponse';
import type { ListGroupsResponse } from '../../protocol/generated/messages/ListGroupsResponse';
import type { DeleteGroupsResponse } from '../../protocol/generated/messages/DeleteGroupsResponse';
import type { OffsetCommitResponse } from '../../protocol/generated/messages/OffsetCommitResponse';
import type { TxnOffsetCommitResponse } from '../../protocol/generated/messages/TxnOffsetCommitResponse';
import type { ConsumerGroupHeartbeatResponse } from '../../protocol/generated/messages/ConsumerGroupHeartbeatResponse';
import type { DescribeShareGroupOffsetsResponse } from '../../protocol/generated/messages/DescribeShareGroupOffsetsResponse';
import type { AlterShareGroupOffsetsResponse } from '../../protocol/generated/messages/AlterShareGroupOffsetsResponse';
import type { DeleteShareGroupOffsetsResponse } from '../../protocol/generated/messages/DeleteShareGroupOffsetsResponse';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { RawClient } from '../helpers/rawClient';
import { eventually } from '../helpers/eventually';

const GROUP_RESOURCE = 32;

/** The share-group APIs at the wire, for the bad-input rules a real client never exercises. */
describe('share groups: protocol rules', function () {
  this.timeout(30_000);
  let broker: TestBroker;
  let raw: RawClient;
  let producer: Producer;
  let topicId: Buffer;

  const heartbeat = (groupId: string, memberId: string, memberEpoch: number, topics: string[] | null = ['work']) =>
    raw.request<ShareGroupHeartbeatResponse>(ApiKey.ShareGroupHeartbeat, 1, { groupId, memberId, memberEpoch, rackId: null, subscribedTopicNames: topics });
  const fetch = (groupId: string, memberId: string, epoch: number, acks: Array<{ firstOffset: bigint; lastOffset: bigint; acknowledgeTypes: number[] }> = [], maxWaitMs = 0) =>
    raw.request<ShareFetchResponse>(ApiKey.ShareFetch, 1, {
      groupId,
      memberId,
      shareSessionEpoch: epoch,
      maxWaitMs,
      minBytes: 1,
      maxBytes: 1 << 20,
      maxRecords: 500,
      batchSize: 500,
      topics: [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: acks }] }],
      forgottenTopicsData: [],
    });
  const ack = (groupId: string, memberId: string, epoch: number, acks: Array<{ firstOffset: bigint; lastOffset: bigint; acknowledgeTypes: number[] }>) =>
    raw.request<ShareAcknowledgeResponse>(ApiKey.ShareAcknowledge, 1, {
      groupId,
      memberId,
      shareSessionEpoch: epoch,
      topics: [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: acks }] }],
    });
  const setConfigs = (group: string, configs: Record<string, string>) =>
    raw.request<IncrementalAlterConfigsResponse>(ApiKey.IncrementalAlterConfigs, 1, {
      resources: [{ resourceType: GROUP_RESOURCE, resourceName: group, configs: Object.entries(configs).map(([name, value]) => ({ name, configOperation: 0, value })) }],
      validateOnly: false,
    });

  before(async () => {
    broker = await startTestBroker();
    await broker.services.metadata.createTopic('work', { partitions: 1 });
    topicId = broker.services.metadata.topic('work')!.id;
    raw = await RawClient.connect(broker.port);
    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'work', messages: Array.from({ length: 10 }, (_, i) => ({ value: `r${i}` })) });
  });

  after(async () => {
    await producer.disconnect();
    raw.close();
    await broker.destroy();
  });

  it('group configs: validated, persisted, listed by DescribeConfigs with defaults', async () => {
    const bad = await setConfigs('g-cfg', { 'group.share.delivery.count.limit': '99' });
    expect(bad.responses[0]!.errorCode).to.equal(ErrorCode.INVALID_CONFIG);
    const unknown = await setConfigs('g-cfg', { 'no.such.config': '1' });
    expect(unknown.responses[0]!.errorCode).to.equal(ErrorCode.INVALID_CONFIG);
    const ok = await setConfigs('g-cfg', { 'share.auto.offset.reset': 'earliest', 'brook.share.redelivery.backoff': '1s,5s,10s,30s,1m,2m' });
    expect(ok.responses[0]!.errorCode).to.equal(0);
    const d = await raw.request<DescribeConfigsResponse>(ApiKey.DescribeConfigs, 4, {
      resources: [{ resourceType: GROUP_RESOURCE, resourceName: 'g-cfg', configurationKeys: null }],
      includeSynonyms: false,
      includeDocumentation: false,
    });
    const byName = new Map(d.results[0]!.configs.map((c) => [c.name, c.value]));
    expect(byName.get('share.auto.offset.reset')).to.equal('earliest');
    expect(byName.get('brook.share.redelivery.backoff')).to.equal('1s,5s,10s,30s,1m,2m');
    expect(byName.get('share.record.lock.duration.ms')).to.equal('30000');
    expect(byName.get('errors.deadletterqueue.topic.name')).to.equal('');
  });

  it('heartbeat: join, unknown member, fenced epoch; describe: unknown group', async () => {
    const joined = await heartbeat('g-hb', 'm1', 0);
    expect(joined.errorCode).to.equal(0);
    expect(joined.memberEpoch).to.be.greaterThan(0);
    expect(joined.assignment!.topicPartitions).to.deep.equal([{ topicId, partitions: [0] }]);
    expect((await heartbeat('g-hb', 'nobody', 3)).errorCode).to.equal(ErrorCode.UNKNOWN_MEMBER_ID);
    expect((await heartbeat('g-hb', 'm1', joined.memberEpoch + 5)).errorCode).to.equal(ErrorCode.FENCED_MEMBER_EPOCH);
    // A second member on the one partition gets it too: members may outnumber partitions.
    const second = await heartbeat('g-hb', 'm2', 0);
    expect(second.assignment!.topicPartitions).to.deep.equal([{ topicId, partitions: [0] }]);
    // A consumer group's id is not available to a share group.
    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.setOffsets({ groupId: 'classic-g', topic: 'work', partitions: [{ partition: 0, offset: '1' }] });
    await admin.disconnect();
    expect((await heartbeat('classic-g', 'm1', 0)).errorCode).to.equal(ErrorCode.GROUP_ID_NOT_FOUND);
    const described = await raw.request<ShareGroupDescribeResponse>(ApiKey.ShareGroupDescribe, 1, { groupIds: ['g-hb', 'nope'], includeAuthorizedOperations: false });
    expect(described.groups[0]!.members.map((m) => m.memberId).sort()).to.deep.equal(['m1', 'm2']);
    expect(described.groups[1]!.errorCode).to.equal(ErrorCode.GROUP_ID_NOT_FOUND);
  });

  it('a share join refuses a group id a classic group holds, by looking that one group up (no listing of all groups)', async () => {
    const consumer = new Kafka({ brokers: [broker.bootstrap], clientId: 'classic-holder', logLevel: logLevel.NOTHING }).consumer({ groupId: 'taken-by-classic' });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: 'work', fromBeginning: true });
      await consumer.run({ eachMessage: async () => undefined });
      const groups = broker.services.groups!;
      await eventually(() => groups.hasGroup('taken-by-classic'), 'the classic group exists');
      const list = groups.listGroups.bind(groups);
      let listed = 0;
      groups.listGroups = (states, types) => (listed++, list(states, types));
      try {
        expect((await heartbeat('taken-by-classic', 'm-share', 0)).errorCode).to.equal(ErrorCode.GROUP_ID_NOT_FOUND);
        expect((await heartbeat('free-for-share', 'm-share', 0)).errorCode).to.equal(ErrorCode.NONE);
      } finally {
        groups.listGroups = list;
      }
      expect(listed, 'ListGroups-style scans by share joins').to.equal(0);
    } finally {
      await consumer.disconnect();
    }
  });

  it('a share group\'s id is not available to classic joins, offset commits or KIP-848 heartbeats; the share group keeps working', async () => {
    const joined = await heartbeat('owned-by-share', 'm-share', 0);
    expect(joined.errorCode).to.equal(0);
    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    // kafkajs's consumer (JoinGroup) is what showed it: it used to create a classic group of the same id.
    const consumer = kafka.consumer({ groupId: 'owned-by-share', retry: { retries: 0 } });
    const joinOutcome = new Promise<string>((resolve) => {
      consumer.on(consumer.events.CRASH, (e) => resolve((e.payload.error as unknown as { type?: string }).type ?? e.payload.error.name));
      consumer.on(consumer.events.GROUP_JOIN, () => resolve('joined'));
    });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: 'work', fromBeginning: true });
      await consumer.run({ eachMessage: async () => undefined });
      expect(await joinOutcome).to.equal('GROUP_ID_NOT_FOUND');
    } finally {
      await consumer.disconnect();
    }
    // a simple commit (generation -1, no member), as kafka-consumer-groups --reset-offsets makes, and a v9 one
    for (const version of [2, 9]) {
      const commit = await raw.request<OffsetCommitResponse>(ApiKey.OffsetCommit, version, {
        groupId: 'owned-by-share', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1n,
        topics: [{ name: 'work', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null }] }],
      });
      expect(commit.topics[0]!.partitions[0]!.errorCode, `OffsetCommit v${version}`).to.equal(ErrorCode.GROUP_ID_NOT_FOUND);
    }
    const txn = await raw.request<TxnOffsetCommitResponse>(ApiKey.TxnOffsetCommit, 3, {
      transactionalId: 'tx-owned', groupId: 'owned-by-share', producerId: 0n, producerEpoch: 0, generationId: -1, memberId: '', groupInstanceId: null,
      topics: [{ name: 'work', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null }] }],
    });
    expect(txn.topics[0]!.partitions[0]!.errorCode).to.equal(ErrorCode.GROUP_ID_NOT_FOUND);
    const kip848 = await raw.request<ConsumerGroupHeartbeatResponse>(ApiKey.ConsumerGroupHeartbeat, 1, {
      groupId: 'owned-by-share', memberId: 'm-848', memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: 30000,
      subscribedTopicNames: ['work'], subscribedTopicRegex: null, serverAssignor: null, topicPartitions: [],
    });
    expect([kip848.errorCode, kip848.errorMessage]).to.deep.equal([ErrorCode.GROUP_ID_NOT_FOUND, 'Group owned-by-share is not a consumer group.']);
    expect(broker.services.groups!.hasGroup('owned-by-share')).to.equal(false);
    const listed = await raw.request<ListGroupsResponse>(ApiKey.ListGroups, 5, { statesFilter: [], typesFilter: [] });
    expect(listed.groups.filter((g) => g.groupId === 'owned-by-share').map((g) => g.groupType)).to.deep.equal(['share']);
    const again = await heartbeat('owned-by-share', 'm-share', joined.memberEpoch);
    expect(again.errorCode).to.equal(0);
    expect((await heartbeat('owned-by-share', 'm-share', -1)).errorCode).to.equal(0);
  });

  it('share sessions and acknowledgements: wrong epoch, foreign offsets and unknown members change nothing', async () => {
    expect((await setConfigs('g-s', { 'share.auto.offset.reset': 'earliest' })).responses[0]!.errorCode).to.equal(0);
    await heartbeat('g-s', 'a', 0);
    await heartbeat('g-s', 'b', 0);
    expect((await fetch('g-s', 'ghost', 0)).errorCode).to.equal(ErrorCode.UNKNOWN_MEMBER_ID);
    expect((await fetch('g-s', 'a', 1)).errorCode).to.equal(ErrorCode.SHARE_SESSION_NOT_FOUND);

    const first = await fetch('g-s', 'a', 0);
    expect(first.errorCode).to.equal(0);
    const part = first.responses[0]!.partitions[0]!;
    expect(part.acquiredRecords).to.deep.equal([{ firstOffset: 0n, lastOffset: 9n, deliveryCount: 1 }]);

    expect((await fetch('g-s', 'a', 5)).errorCode).to.equal(ErrorCode.INVALID_SHARE_SESSION_EPOCH);
    // b opens a session but cannot acknowledge a's records.
    expect((await fetch('g-s', 'b', 0)).responses).to.deep.equal([]);
    const foreign = await ack('g-s', 'b', 1, [{ firstOffset: 0n, lastOffset: 4n, acknowledgeTypes: [1] }]);
    expect(foreign.responses[0]!.partitions[0]!.errorCode).to.equal(ErrorCode.INVALID_RECORD_STATE);
    // ...nor can a acknowledge offsets it never got.
    const beyond = await ack('g-s', 'a', 1, [{ firstOffset: 5n, lastOffset: 20n, acknowledgeTypes: [1] }]);
    expect(beyond.responses[0]!.partitions[0]!.errorCode).to.equal(ErrorCode.INVALID_RECORD_STATE);
    // The wrong-epoch request and the refused acks changed nothing: a's session is at epoch 2, all ten still its own.
    const good = await ack('g-s', 'a', 2, [{ firstOffset: 0n, lastOffset: 4n, acknowledgeTypes: [1] }, { firstOffset: 5n, lastOffset: 9n, acknowledgeTypes: [2] }]);
    expect(good.responses[0]!.partitions[0]!.errorCode).to.equal(0);
    // The five released come back, to b, with delivery count 2.
    const again = await fetch('g-s', 'b', 2);
    expect(again.responses[0]!.partitions[0]!.acquiredRecords).to.deep.equal([{ firstOffset: 5n, lastOffset: 9n, deliveryCount: 2 }]);
    expect(Buffer.isBuffer(again.responses[0]!.partitions[0]!.records)).to.equal(true);
  });

  it('acknowledgement batches out of order or overlapping are INVALID_REQUEST and change nothing, in ShareAcknowledge and ShareFetch', async () => {
    expect((await setConfigs('g-overlap', { 'share.auto.offset.reset': 'earliest' })).responses[0]!.errorCode).to.equal(0);
    await heartbeat('g-overlap', 'o', 0);
    const got = await fetch('g-overlap', 'o', 0);
    expect(got.responses[0]!.partitions[0]!.acquiredRecords).to.deep.equal([{ firstOffset: 0n, lastOffset: 9n, deliveryCount: 1 }]);
    // 3..5 both ACCEPTed and RELEASEd: Kafka refuses the partition's batches rather than let the later one win.
    const overlapping = await ack('g-overlap', 'o', 1, [{ firstOffset: 0n, lastOffset: 5n, acknowledgeTypes: [1] }, { firstOffset: 3n, lastOffset: 8n, acknowledgeTypes: [2] }]);
    expect(overlapping.responses[0]!.partitions[0]!.errorCode).to.equal(ErrorCode.INVALID_REQUEST);
    const unordered = await ack('g-overlap', 'o', 2, [{ firstOffset: 5n, lastOffset: 9n, acknowledgeTypes: [1] }, { firstOffset: 0n, lastOffset: 4n, acknowledgeTypes: [1] }]);
    expect(unordered.responses[0]!.partitions[0]!.errorCode).to.equal(ErrorCode.INVALID_REQUEST);
    const piggybacked = await fetch('g-overlap', 'o', 3, [{ firstOffset: 0n, lastOffset: 5n, acknowledgeTypes: [1] }, { firstOffset: 5n, lastOffset: 9n, acknowledgeTypes: [2] }]);
    expect(piggybacked.responses[0]!.partitions[0]!.acknowledgeErrorCode).to.equal(ErrorCode.INVALID_REQUEST);
    // Nothing applied: all ten are still the member's, and adjacent batches in order are fine.
    const good = await ack('g-overlap', 'o', 4, [{ firstOffset: 0n, lastOffset: 5n, acknowledgeTypes: [1] }, { firstOffset: 6n, lastOffset: 9n, acknowledgeTypes: [1] }]);
    expect(good.responses[0]!.partitions[0]!.errorCode).to.equal(0);
    const described = await raw.request<DescribeShareGroupOffsetsResponse>(ApiKey.DescribeShareGroupOffsets, 0, { groups: [{ groupId: 'g-overlap', topics: [{ topicName: 'work', partitions: [0] }] }] });
    expect(described.groups[0]!.topics[0]!.partitions[0]!.startOffset).to.equal(10n);
  });

  it('ShareFetch takes turns among the session\'s partitions: a backlog on one does not starve the other', async () => {
    await broker.services.metadata.createTopic('two-backlogs', { partitions: 2 });
    const twoId = broker.services.metadata.topic('two-backlogs')!.id;
    // batches of 5 records, 4 per partition: with max_records 5 every fetch is filled by one batch of one partition
    for (let i = 0; i < 4; i++) {
      await producer.send({ topic: 'two-backlogs', messages: Array.from({ length: 10 }, (_, j) => ({ partition: j % 2, value: `b${i}-${j}` })) });
    }
    await setConfigs('g-turns', { 'share.auto.offset.reset': 'earliest' });
    await heartbeat('g-turns', 't', 0, ['two-backlogs']);
    const seen: number[][] = [];
    for (let epoch = 0; epoch < 4; epoch++) {
      const r = await raw.request<ShareFetchResponse>(ApiKey.ShareFetch, 1, {
        groupId: 'g-turns', memberId: 't', shareSessionEpoch: epoch, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, maxRecords: 5, batchSize: 5,
        topics: epoch === 0 ? [{ topicId: twoId, partitions: [{ partitionIndex: 0, acknowledgementBatches: [] }, { partitionIndex: 1, acknowledgementBatches: [] }] }] : [],
        forgottenTopicsData: [],
      });
      expect(r.errorCode).to.equal(0);
      seen.push(r.responses.flatMap((t) => t.partitions.filter((p) => p.acquiredRecords.length > 0).map((p) => p.partitionIndex)));
    }
    expect(seen).to.deep.equal([[0], [1], [0], [1]]);
  });

  it('ListGroups type filter, share-group offsets (describe, alter, delete) and DeleteGroups', async () => {
    await heartbeat('g-admin', 'x', 0);
    const listed = await raw.request<ListGroupsResponse>(ApiKey.ListGroups, 5, { statesFilter: [], typesFilter: ['share'] });
    const row = listed.groups.find((g) => g.groupId === 'g-admin')!;
    expect(row).to.include({ groupType: 'share', groupState: 'Stable', protocolType: 'share' });
    expect(listed.groups.every((g) => g.groupType === 'share')).to.equal(true);
    const consumerOnly = await raw.request<ListGroupsResponse>(ApiKey.ListGroups, 5, { statesFilter: [], typesFilter: ['consumer'] });
    expect(consumerOnly.groups.some((g) => g.groupId === 'g-admin')).to.equal(false);

    // Acquire and accept 0..9 so the start offset moves to 10.
    await setConfigs('g-admin', { 'share.auto.offset.reset': 'earliest' });
    await fetch('g-admin', 'x', 0);
    await ack('g-admin', 'x', 1, [{ firstOffset: 0n, lastOffset: 9n, acknowledgeTypes: [1] }]);
    const described = await raw.request<DescribeShareGroupOffsetsResponse>(ApiKey.DescribeShareGroupOffsets, 0, { groups: [{ groupId: 'g-admin', topics: [{ topicName: 'work', partitions: [0] }] }] });
    expect(described.groups[0]!.topics[0]!.partitions[0]!.startOffset).to.equal(10n);

    const busy = await raw.request<AlterShareGroupOffsetsResponse>(ApiKey.AlterShareGroupOffsets, 0, { groupId: 'g-admin', topics: [{ topicName: 'work', partitions: [{ partitionIndex: 0, startOffset: 3n }] }] });
    expect(busy.errorCode).to.equal(ErrorCode.NON_EMPTY_GROUP);
    const busyDelete = await raw.request<DeleteShareGroupOffsetsResponse>(ApiKey.DeleteShareGroupOffsets, 0, { groupId: 'g-admin', topics: [{ topicName: 'work' }] });
    expect([busyDelete.errorCode, busyDelete.errorMessage]).to.deep.equal([ErrorCode.NON_EMPTY_GROUP, 'the share group has members']);
    const unknownAlter = await raw.request<AlterShareGroupOffsetsResponse>(ApiKey.AlterShareGroupOffsets, 0, { groupId: 'g-nobody', topics: [{ topicName: 'work', partitions: [{ partitionIndex: 0, startOffset: 3n }] }] });
    const unknownDelete = await raw.request<DeleteShareGroupOffsetsResponse>(ApiKey.DeleteShareGroupOffsets, 0, { groupId: 'g-nobody', topics: [{ topicName: 'work' }] });
    expect([unknownAlter.errorCode, unknownDelete.errorCode]).to.deep.equal([ErrorCode.GROUP_ID_NOT_FOUND, ErrorCode.GROUP_ID_NOT_FOUND]);
    expect(unknownDelete.responses).to.deep.equal([]);
    await heartbeat('g-admin', 'x', -1);
    const altered = await raw.request<AlterShareGroupOffsetsResponse>(ApiKey.AlterShareGroupOffsets, 0, { groupId: 'g-admin', topics: [{ topicName: 'work', partitions: [{ partitionIndex: 0, startOffset: 3n }] }] });
    expect(altered.responses[0]!.partitions[0]!.errorCode).to.equal(0);
    const after = await raw.request<DescribeShareGroupOffsetsResponse>(ApiKey.DescribeShareGroupOffsets, 0, { groups: [{ groupId: 'g-admin', topics: null }] });
    expect(after.groups[0]!.topics[0]!.partitions[0]!.startOffset).to.equal(3n);
    const deleted = await raw.request<DeleteShareGroupOffsetsResponse>(ApiKey.DeleteShareGroupOffsets, 0, { groupId: 'g-admin', topics: [{ topicName: 'work' }] });
    expect(deleted.responses[0]!.errorCode).to.equal(0);
    const gone = await raw.request<DescribeShareGroupOffsetsResponse>(ApiKey.DescribeShareGroupOffsets, 0, { groups: [{ groupId: 'g-admin', topics: [{ topicName: 'work', partitions: [0] }] }] });
    expect(gone.groups[0]!.topics[0]!.partitions[0]!.startOffset).to.equal(-1n);

    const del = await raw.request<DeleteGroupsResponse>(ApiKey.DeleteGroups, 2, { groupsNames: ['g-admin', 'g-s'] });
    expect(del.results.map((r) => r.errorCode)).to.deep.equal([0, ErrorCode.NON_EMPTY_GROUP]);
    const relisted = await raw.request<ListGroupsResponse>(ApiKey.ListGroups, 5, { statesFilter: [], typesFilter: ['share'] });
    expect(relisted.groups.some((g) => g.groupId === 'g-admin')).to.equal(false);
  });

  it('group.share.session.timeout.ms removes a silent member and releases its records; heartbeat interval is the group config', async () => {
    await setConfigs('g-timeout', { 'share.auto.offset.reset': 'earliest', 'group.share.session.timeout.ms': '1000', 'group.share.heartbeat.interval.ms': '300' });
    const joined = await heartbeat('g-timeout', 'quiet', 0);
    expect(joined.heartbeatIntervalMs).to.equal(300);
    await heartbeat('g-timeout', 'alive', 0);
    const got = await fetch('g-timeout', 'quiet', 0);
    expect(got.responses[0]!.partitions[0]!.acquiredRecords).to.deep.equal([{ firstOffset: 0n, lastOffset: 9n, deliveryCount: 1 }]);
    await fetch('g-timeout', 'alive', 0);
    // alive keeps heartbeating; quiet does not and is removed once its session times out.
    let epoch = 1;
    const taken = await eventually(async () => {
      const hb = await heartbeat('g-timeout', 'alive', epoch);
      expect(hb.errorCode).to.equal(0);
      epoch = hb.memberEpoch;
      const r = await fetch('g-timeout', 'alive', 0);
      return r.responses[0]?.partitions[0]?.acquiredRecords[0];
    }, 'the silent member\'s records released');
    expect(taken).to.deep.equal({ firstOffset: 0n, lastOffset: 9n, deliveryCount: 2 });
    expect((await heartbeat('g-timeout', 'quiet', joined.memberEpoch)).errorCode).to.equal(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('acknowledgements inside a ShareFetch: answered per partition, with an empty record set when nothing more is there', async () => {
    await setConfigs('g-piggy', { 'share.auto.offset.reset': 'earliest' });
    await heartbeat('g-piggy', 'p1', 0);
    const first = await fetch('g-piggy', 'p1', 0);
    expect(first.responses[0]!.partitions[0]!.acquiredRecords).to.deep.equal([{ firstOffset: 0n, lastOffset: 9n, deliveryCount: 1 }]);
    const acked = await fetch('g-piggy', 'p1', 1, [{ firstOffset: 0n, lastOffset: 9n, acknowledgeTypes: [1] }]);
    expect(acked.errorCode).to.equal(0);
    const part = acked.responses[0]!.partitions[0]!;
    expect(part.acknowledgeErrorCode).to.equal(0);
    expect(part.acquiredRecords).to.deep.equal([]);
    expect(part.records!.length).to.equal(0);
    // Acknowledgements may not open a session.
    expect((await fetch('g-piggy', 'p1', 0, [{ firstOffset: 0n, lastOffset: 0n, acknowledgeTypes: [1] }])).errorCode).to.equal(ErrorCode.INVALID_REQUEST);
  });
});
