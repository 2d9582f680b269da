import { expect } from 'chai';
import { Kafka, logLevel } from 'kafkajs';
import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/generated/apis';
import type { ShareFetchResponse } from '../../protocol/generated/messages/ShareFetchResponse';
import type { ShareAcknowledgeResponse } from '../../protocol/generated/messages/ShareAcknowledgeResponse';
import type { ShareGroupHeartbeatResponse } from '../../protocol/generated/messages/ShareGroupHeartbeatResponse';
import type { IncrementalAlterConfigsResponse } from '../../protocol/generated/messages/IncrementalAlterConfigsResponse';
import type { DescribeShareGroupOffsetsResponse } from '../../protocol/generated/messages/DescribeShareGroupOffsetsResponse';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { RawClient } from '../helpers/rawClient';

type Acks = Array<{ firstOffset: bigint; lastOffset: bigint; acknowledgeTypes: number[] }>;

/**
 * The bad-input cases the protocol test does not cover, each followed by proof that nothing changed:
 * unknown groups and members on every share API, acknowledgements with a wrong or opening session epoch, unknown
 * acknowledge types, and group.share.max.share.sessions (SHARE_SESSION_LIMIT_REACHED).
 */
describe('share groups: bad input changes nothing', function () {
  this.timeout(30_000);
  let broker: TestBroker;
  let raw: RawClient;
  let topicId: Buffer;

  const heartbeat = (groupId: string, memberId: string, memberEpoch: number) =>
    raw.request<ShareGroupHeartbeatResponse>(ApiKey.ShareGroupHeartbeat, 1, { groupId, memberId, memberEpoch, rackId: null, subscribedTopicNames: memberEpoch === 0 ? ['bad'] : null });
  const fetch = (groupId: string, memberId: string, epoch: number, acks: Acks = []) =>
    raw.request<ShareFetchResponse>(ApiKey.ShareFetch, 1, {
      groupId, memberId, shareSessionEpoch: epoch, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, maxRecords: 500, batchSize: 500,
      topics: [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: acks }] }],
      forgottenTopicsData: [],
    });
  const ack = (groupId: string, memberId: string, epoch: number, acks: Acks) =>
    raw.request<ShareAcknowledgeResponse>(ApiKey.ShareAcknowledge, 1, { groupId, memberId, shareSessionEpoch: epoch, topics: [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: acks }] }] });
  const startOffset = async (group: string) =>
    (await raw.request<DescribeShareGroupOffsetsResponse>(ApiKey.DescribeShareGroupOffsets, 0, { groups: [{ groupId: group, topics: [{ topicName: 'bad', partitions: [0] }] }] })).groups[0]!.topics[0]!.partitions[0]!.startOffset;

  before(async () => {
    broker = await startTestBroker({ config: { 'group.share.max.share.sessions': '2' } });
    await broker.services.metadata.createTopic('bad', { partitions: 1 });
    topicId = broker.services.metadata.topic('bad')!.id;
    raw = await RawClient.connect(broker.port);
    const producer = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    await producer.send({ topic: 'bad', messages: Array.from({ length: 10 }, (_, i) => ({ value: `b${i}` })) });
    await producer.disconnect();
    const set = await raw.request<IncrementalAlterConfigsResponse>(ApiKey.IncrementalAlterConfigs, 1, {
      resources: [{ resourceType: 32, resourceName: 'g-bad', configs: [{ name: 'share.auto.offset.reset', configOperation: 0, value: 'earliest' }] }],
      validateOnly: false,
    });
    expect(set.responses[0]!.errorCode).to.equal(0);
  });

  after(async () => {
    raw.close();
    await broker.destroy();
  });

  it('unknown groups and members, wrong session epochs, unknown acknowledge types: Kafka error codes, state untouched', async () => {
    // Unknown group: heartbeats of a non-joining member, fetches and acknowledgements.
    expect((await heartbeat('no-such-group', 'm', 3)).errorCode).to.equal(ErrorCode.UNKNOWN_MEMBER_ID);
    expect((await fetch('no-such-group', 'm', 0)).errorCode).to.equal(ErrorCode.UNKNOWN_MEMBER_ID);
    expect((await ack('no-such-group', 'm', 1, [{ firstOffset: 0n, lastOffset: 0n, acknowledgeTypes: [1] }])).errorCode).to.equal(ErrorCode.UNKNOWN_MEMBER_ID);
    // Missing ids.
    expect((await fetch('g-bad', '', 0)).errorCode).to.equal(ErrorCode.INVALID_REQUEST);
    expect((await heartbeat('', 'm', 0)).errorCode).to.equal(ErrorCode.INVALID_GROUP_ID);

    expect((await heartbeat('g-bad', 'a', 0)).errorCode).to.equal(0);
    const got = await fetch('g-bad', 'a', 0);
    expect(got.responses[0]!.partitions[0]!.acquiredRecords).to.deep.equal([{ firstOffset: 0n, lastOffset: 9n, deliveryCount: 1 }]);
    const accept = [{ firstOffset: 0n, lastOffset: 9n, acknowledgeTypes: [1] }];
    // Unknown member of a known group, on both APIs.
    expect((await ack('g-bad', 'stranger', 1, accept)).errorCode).to.equal(ErrorCode.UNKNOWN_MEMBER_ID);
    expect((await fetch('g-bad', 'stranger', 1, accept)).errorCode).to.equal(ErrorCode.UNKNOWN_MEMBER_ID);
    // ShareAcknowledge with a wrong session epoch, and with epoch 0 (acknowledgements cannot open a session).
    expect((await ack('g-bad', 'a', 7, accept)).errorCode).to.equal(ErrorCode.INVALID_SHARE_SESSION_EPOCH);
    expect((await ack('g-bad', 'a', 0, accept)).errorCode).to.equal(ErrorCode.INVALID_SHARE_SESSION_EPOCH);
    // ShareFetch opening a session with acknowledgements, and a ShareFetch at a wrong epoch carrying acknowledgements.
    expect((await fetch('g-bad', 'a', 0, accept)).errorCode).to.equal(ErrorCode.INVALID_REQUEST);
    // that one reopened nothing: the session still expects epoch 1
    expect((await fetch('g-bad', 'a', 9, accept)).errorCode).to.equal(ErrorCode.INVALID_SHARE_SESSION_EPOCH);
    // An acknowledge type outside GAP/ACCEPT/RELEASE/REJECT is refused for the partition, and advances the session.
    const odd = await ack('g-bad', 'a', 1, [{ firstOffset: 0n, lastOffset: 9n, acknowledgeTypes: [7] }]);
    expect(odd.responses[0]!.partitions[0]!.errorCode).to.equal(ErrorCode.INVALID_REQUEST);
    expect(await startOffset('g-bad'), 'nothing was acknowledged by the refused requests').to.equal(0n);
    // The records are still a's: its real acknowledgement at the next epoch applies.
    const good = await ack('g-bad', 'a', 2, accept);
    expect(good.errorCode).to.equal(0);
    expect(good.responses[0]!.partitions[0]!.errorCode).to.equal(0);
    expect(await startOffset('g-bad')).to.equal(10n);
  });

  it('group.share.max.share.sessions: a new session beyond the limit is SHARE_SESSION_LIMIT_REACHED; reopening one\'s own is not', async () => {
    for (const m of ['s1', 's2', 's3']) expect((await heartbeat('g-lim', m, 0)).errorCode).to.equal(0);
    // 'a' of the other test still holds one of the two sessions.
    expect((await fetch('g-lim', 's1', 0)).errorCode).to.equal(0);
    const refused = await fetch('g-lim', 's2', 0);
    expect(refused.errorCode).to.equal(ErrorCode.SHARE_SESSION_LIMIT_REACHED);
    expect(refused.responses).to.deep.equal([]);
    expect((await fetch('g-lim', 's1', 0)).errorCode, 'a member reopening its own session').to.equal(0);
    // Closing a session (epoch -1) frees its slot.
    expect((await fetch('g-lim', 's1', -1)).errorCode).to.equal(0);
    expect((await fetch('g-lim', 's2', 0)).errorCode).to.equal(0);
    expect((await fetch('g-lim', 's3', 0)).errorCode).to.equal(ErrorCode.SHARE_SESSION_LIMIT_REACHED);
  });
});
