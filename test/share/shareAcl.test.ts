import { expect } from 'chai';
import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/generated/apis';
import type { ShareGroupHeartbeatResponse } from '../../protocol/generated/messages/ShareGroupHeartbeatResponse';
import type { ShareFetchResponse } from '../../protocol/generated/messages/ShareFetchResponse';
import type { ShareGroupDescribeResponse } from '../../protocol/generated/messages/ShareGroupDescribeResponse';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { allow, callAs, Op, RT } from '../security/aclHarness';

/** Share-group APIs under the ACL authorizer: READ on the group to join and fetch, READ on the topic to get its records. */
describe('share groups under ACLs', () => {
  let broker: TestBroker;
  before(async () => {
    broker = await startTestBroker({ config: { 'authorizer.class.name': 'brook', 'super.users': 'User:admin' } });
    await broker.services.metadata.createTopic('secret', { partitions: 1 });
  });
  after(async () => {
    await broker.destroy();
  });

  it('refuses without READ on the group, and refuses the topic without READ on it', async () => {
    const s = broker.services;
    const topicId = s.metadata.topic('secret')!.id;
    const hb = (who: string) =>
      callAs<ShareGroupHeartbeatResponse>(s, who, ApiKey.ShareGroupHeartbeat, 1, { groupId: 'sg', memberId: `m-${who}`, memberEpoch: 0, rackId: null, subscribedTopicNames: ['secret'] });
    expect((await hb('User:eve')).errorCode).to.equal(ErrorCode.GROUP_AUTHORIZATION_FAILED);
    const described = await callAs<ShareGroupDescribeResponse>(s, 'User:eve', ApiKey.ShareGroupDescribe, 1, { groupIds: ['sg'], includeAuthorizedOperations: false });
    expect(described.groups[0]!.errorCode).to.equal(ErrorCode.GROUP_AUTHORIZATION_FAILED);

    await s.authorizer!.store.add([allow('User:bob', Op.READ, RT.GROUP, 'sg')]);
    expect((await hb('User:bob')).errorCode).to.equal(0);
    const fetched = await callAs<ShareFetchResponse>(s, 'User:bob', ApiKey.ShareFetch, 1, {
      groupId: 'sg', memberId: 'm-User:bob', shareSessionEpoch: 0, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, maxRecords: 10, batchSize: 10,
      topics: [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: [] }] }], forgottenTopicsData: [],
    });
    expect(fetched.responses[0]!.partitions[0]!.errorCode).to.equal(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
  });

  it('ShareGroupDescribe fills in the caller\'s authorized operations on the group when asked', async () => {
    const s = broker.services;
    await s.authorizer!.store.add([allow('User:carol', Op.READ, RT.GROUP, 'sg-ops'), allow('User:carol', Op.DELETE, RT.GROUP, 'sg-ops')]);
    const hb = await callAs<ShareGroupHeartbeatResponse>(s, 'User:carol', ApiKey.ShareGroupHeartbeat, 1, { groupId: 'sg-ops', memberId: 'm-carol', memberEpoch: 0, rackId: null, subscribedTopicNames: ['secret'] });
    expect(hb.errorCode).to.equal(0);
    const describe = (includeAuthorizedOperations: boolean) => callAs<ShareGroupDescribeResponse>(s, 'User:carol', ApiKey.ShareGroupDescribe, 1, { groupIds: ['sg-ops'], includeAuthorizedOperations });
    // READ and DELETE imply DESCRIBE; nothing else on a group
    const bit = (...ops: number[]) => ops.reduce((m, o) => m | (1 << o), 0);
    expect((await describe(true)).groups[0]!.authorizedOperations).to.equal(bit(Op.READ, Op.DELETE, Op.DESCRIBE));
    expect((await describe(false)).groups[0]!.authorizedOperations).to.equal(-2147483648);
  });
});
