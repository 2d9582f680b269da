import { expect } from 'chai';
import { rmSync } from 'node:fs';
import { ApiKey } from '../../protocol/generated/apis';
import type { CreateTopicsResponse } from '../../protocol/generated/messages/CreateTopicsResponse';
import type { ShareGroupDescribeResponse } from '../../protocol/generated/messages/ShareGroupDescribeResponse';
import type { ShareGroupHeartbeatResponse } from '../../protocol/generated/messages/ShareGroupHeartbeatResponse';
import { RawClient } from '../helpers/rawClient';
import { tempDataDir } from '../helpers/tempDir';
import { startChildBroker, type ChildBroker } from '../txn/helpers/childBroker';

/** Share-group members (ids, epochs, subscriptions) are persisted: a restarted coordinator describes the same group and takes their heartbeats. */
describe('share group membership survives kill -9 of the coordinator', function () {
  this.timeout(120_000);
  const dataDir = tempDataDir();
  let broker: ChildBroker | null = null;

  after(async () => {
    await broker?.kill9();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const describeGroup = async (raw: RawClient) => (await raw.request<ShareGroupDescribeResponse>(ApiKey.ShareGroupDescribe, 1, { groupIds: ['members'], includeAuthorizedOperations: false })).groups[0]!;
  const summary = (g: ShareGroupDescribeResponse['groups'][number]) => ({
    state: g.groupState,
    groupEpoch: g.groupEpoch,
    assignmentEpoch: g.assignmentEpoch,
    members: g.members
      .map((m) => ({ id: m.memberId, epoch: m.memberEpoch, clientId: m.clientId, topics: m.subscribedTopicNames, assigned: m.assignment.topicPartitions.map((t) => [t.topicName, [...t.partitions].sort()]) }))
      .sort((a, b) => (a.id < b.id ? -1 : 1)),
  });

  it('ShareGroupDescribe after the restart shows the members, epochs and assignment of before; a member heartbeating its epoch stays', async () => {
    broker = await startChildBroker(dataDir);
    let raw = await RawClient.connect(broker.port);
    const created = await raw.request<CreateTopicsResponse>(ApiKey.CreateTopics, 5, { topics: [{ name: 'mt', numPartitions: 3, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
    expect(created.topics[0]!.errorCode).to.equal(0);
    const hb = (memberId: string, memberEpoch: number) =>
      raw.request<ShareGroupHeartbeatResponse>(ApiKey.ShareGroupHeartbeat, 1, { groupId: 'members', memberId, memberEpoch, rackId: null, subscribedTopicNames: memberEpoch === 0 ? ['mt'] : null });
    expect((await hb('m-a', 0)).errorCode).to.equal(0);
    expect((await hb('m-b', 0)).errorCode).to.equal(0);
    const a = await hb('m-a', (await hb('m-a', 1)).memberEpoch);
    const before = summary(await describeGroup(raw));
    expect(before.members.map((m) => m.id)).to.deep.equal(['m-a', 'm-b']);
    expect(before.members.flatMap((m) => m.assigned.flatMap((t) => t[1] as number[])).sort()).to.deep.equal([0, 1, 2]);
    raw.close();

    await broker.kill9();
    broker = await startChildBroker(dataDir);
    raw = await RawClient.connect(broker.port);
    try {
      expect(summary(await describeGroup(raw)), 'the group as described after the restart').to.deep.equal(before);
      const again = await hb('m-a', a.memberEpoch);
      expect(again.errorCode, 'a heartbeat at the epoch the member had').to.equal(0);
      expect(again.memberEpoch).to.equal(a.memberEpoch);
      // A member that leaves is gone for good (its tombstone is persisted too).
      expect((await hb('m-b', -1)).errorCode).to.equal(0);
    } finally {
      raw.close();
    }
    await broker.kill9();
    broker = await startChildBroker(dataDir);
    raw = await RawClient.connect(broker.port);
    try {
      expect(summary(await describeGroup(raw)).members.map((m) => m.id)).to.deep.equal(['m-a']);
    } finally {
      raw.close();
    }
  });
});
