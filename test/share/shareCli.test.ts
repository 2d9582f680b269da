import { expect } from 'chai';
import { Kafka, logLevel } from 'kafkajs';
import { ApiKey } from '../../protocol/generated/apis';
import type { ShareFetchResponse } from '../../protocol/generated/messages/ShareFetchResponse';
import type { ShareAcknowledgeResponse } from '../../protocol/generated/messages/ShareAcknowledgeResponse';
import type { ShareGroupHeartbeatResponse } from '../../protocol/generated/messages/ShareGroupHeartbeatResponse';
import type { ListGroupsResponse } from '../../protocol/generated/messages/ListGroupsResponse';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { RawClient } from '../helpers/rawClient';
import { brook } from '../ops/cliHarness';
import { setGroupConfigs, shareStartOffset } from './helpers/admin';
import type { ShareGroupView } from '../../src/cli/admin/shareGroups';

/** `brook groups` verbs and the console on a share group. */
describe('brook groups and the console with share groups', function () {
  this.timeout(30_000);
  let broker: TestBroker;
  let b: string[];

  before(async () => {
    broker = await startTestBroker({ metricsPort: 0, console: true });
    b = ['--bootstrap-server', broker.bootstrap];
  });
  after(async () => {
    await broker.destroy();
  });

  it('list, describe (members, assignment, start offsets, dead-letter records), the console view, delete', async () => {
    await broker.services.metadata.createTopic('tasks', { partitions: 1 });
    const topicId = broker.services.metadata.topic('tasks')!.id;
    await setGroupConfigs(broker.port, 'crew', { 'share.auto.offset.reset': 'earliest', 'errors.deadletterqueue.topic.name': 'dlq.tasks' });
    const producer = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    await producer.send({ topic: 'tasks', messages: Array.from({ length: 4 }, (_, i) => ({ value: `t${i}` })) });
    await producer.disconnect();

    const raw = await RawClient.connect(broker.port);
    try {
      await raw.request(ApiKey.ShareGroupHeartbeat, 1, { groupId: 'crew', memberId: 'w1', memberEpoch: 0, rackId: null, subscribedTopicNames: ['tasks'] });
      const fetched = await raw.request<ShareFetchResponse>(ApiKey.ShareFetch, 1, {
        groupId: 'crew', memberId: 'w1', shareSessionEpoch: 0, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, maxRecords: 10, batchSize: 10,
        topics: [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: [] }] }], forgottenTopicsData: [],
      });
      expect(fetched.responses[0]!.partitions[0]!.acquiredRecords).to.deep.equal([{ firstOffset: 0n, lastOffset: 3n, deliveryCount: 1 }]);
      const acked = await raw.request<ShareAcknowledgeResponse>(ApiKey.ShareAcknowledge, 1, {
        groupId: 'crew', memberId: 'w1', shareSessionEpoch: 1,
        topics: [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: [{ firstOffset: 0n, lastOffset: 1n, acknowledgeTypes: [1, 3] }] }] }],
      });
      expect(acked.responses[0]!.partitions[0]!.errorCode).to.equal(0);

      let r = await brook(['groups', 'list', '--json', ...b]);
      expect(r.code, r.stderr).to.equal(0);
      expect(JSON.parse(r.stdout)).to.deep.include({ groupId: 'crew', protocolType: 'share', state: 'Stable', members: 0 });

      r = await brook(['groups', 'describe', '-g', 'crew', '--json', ...b]);
      expect(r.code, r.stderr).to.equal(0);
      const view = JSON.parse(r.stdout) as ShareGroupView;
      expect(view.type).to.equal('share');
      expect(view.members.map((m) => [m.memberId, m.assignment])).to.deep.equal([['w1', { tasks: [0] }]]);
      expect(view.partitions).to.deep.equal([{ topic: 'tasks', partition: 0, startOffset: '2', endOffset: '4', unfinished: '2', members: 1 }]);
      expect(view).to.include({ deadLetterTopic: 'dlq.tasks', deadLetterRecords: '1' });
      r = await brook(['groups', 'describe', '-g', 'crew', ...b]);
      expect(r.stdout).to.match(/^Share group: crew\tState: Stable\tMembers: 1/);
      expect(r.stdout).to.include('Dead-letter topic: dlq.tasks\tRecords: 1');

      const consoleView = (await (await fetch(`http://127.0.0.1:${broker.httpPort}/api/share-groups`)).json()) as Array<Record<string, unknown>>;
      expect(consoleView).to.deep.equal([
        {
          groupId: 'crew',
          state: 'Stable',
          groupEpoch: view.groupEpoch,
          members: [{ memberId: 'w1', clientId: 'raw-test', clientHost: '/127.0.0.1', assignment: [{ topic: 'tasks', partitions: [0] }] }],
          partitions: [{ topic: 'tasks', partition: 0, startOffset: 2, logEndOffset: 4, inFlight: 2, acquired: 2, acquirable: 0, delayed: 0, undelivered: 0 }],
          deadLetterTopic: 'dlq.tasks',
          deadLetterRecords: 1,
        },
      ]);
      expect(await (await fetch(`http://127.0.0.1:${broker.httpPort}/`)).text()).to.include('#/share-groups');

      r = await brook(['groups', 'delete', '-g', 'crew', ...b]);
      expect(r.code).to.not.equal(0); // still has a member
      expect(r.stderr).to.include('cannot delete group "crew": NON_EMPTY_GROUP');
      const missing = await brook(['groups', 'delete', '-g', 'no-such-crew', ...b]);
      expect(missing.stderr).to.include('cannot delete group "no-such-crew": GROUP_ID_NOT_FOUND');
      await raw.request(ApiKey.ShareGroupHeartbeat, 1, { groupId: 'crew', memberId: 'w1', memberEpoch: -1, rackId: null, subscribedTopicNames: null });
      r = await brook(['groups', 'delete', '-g', 'crew', ...b]);
      expect(r.code, r.stderr).to.equal(0);
      r = await brook(['groups', 'list', '--json', ...b]);
      expect((JSON.parse(r.stdout) as Array<{ groupId: string }>).some((g) => g.groupId === 'crew')).to.equal(false);
    } finally {
      raw.close();
    }
  });

  it('reset-offsets on a share group moves its start offsets (AlterShareGroupOffsets), refused while it has members', async () => {
    await broker.services.metadata.createTopic('chores', { partitions: 1 });
    const topicId = broker.services.metadata.topic('chores')!.id;
    await setGroupConfigs(broker.port, 'sweepers', { 'share.auto.offset.reset': 'earliest' });
    const producer = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    await producer.send({ topic: 'chores', messages: Array.from({ length: 6 }, (_, i) => ({ value: `c${i}` })) });
    await producer.disconnect();
    const raw = await RawClient.connect(broker.port);
    const shareFetch = (epoch: number) =>
      raw.request<ShareFetchResponse>(ApiKey.ShareFetch, 1, {
        groupId: 'sweepers', memberId: 's1', shareSessionEpoch: epoch, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, maxRecords: 10, batchSize: 10,
        topics: [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: epoch === 0 ? [] : [{ firstOffset: 0n, lastOffset: 5n, acknowledgeTypes: [1] }] }] }], forgottenTopicsData: [],
      });
    try {
      await raw.request(ApiKey.ShareGroupHeartbeat, 1, { groupId: 'sweepers', memberId: 's1', memberEpoch: 0, rackId: null, subscribedTopicNames: ['chores'] });
      expect((await shareFetch(0)).responses[0]!.partitions[0]!.acquiredRecords).to.deep.equal([{ firstOffset: 0n, lastOffset: 5n, deliveryCount: 1 }]);
      expect((await shareFetch(1)).responses[0]!.partitions[0]!.acknowledgeErrorCode).to.equal(0);
      expect(await shareStartOffset(broker.port, 'sweepers', 'chores')).to.equal(6n);

      let r = await brook(['groups', 'reset-offsets', '-g', 'sweepers', '-t', 'chores', '--to-offset', '2', '--execute', ...b]);
      expect(r.code).to.not.equal(0);
      expect(r.stderr).to.include('cannot reset share group "sweepers": NON_EMPTY_GROUP');
      await raw.request(ApiKey.ShareGroupHeartbeat, 1, { groupId: 'sweepers', memberId: 's1', memberEpoch: -1, rackId: null, subscribedTopicNames: null });

      r = await brook(['groups', 'reset-offsets', '-g', 'sweepers', '-t', 'chores', '--to-offset', '2', '--json', ...b]);
      expect(r.code, r.stderr).to.equal(0);
      expect(JSON.parse(r.stdout)).to.deep.equal({ groupId: 'sweepers', groupType: 'share', executed: false, partitions: [{ topic: 'chores', partition: 0, current: '6', target: '2' }] });
      r = await brook(['groups', 'reset-offsets', '-g', 'sweepers', '-t', 'chores', '--to-offset', '2', '--execute', ...b]);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.match(/TOPIC\s+PARTITION\s+CURRENT-START-OFFSET\s+NEW-START-OFFSET/);
      expect(r.stdout).to.include('Start offsets of share group sweepers were reset');
      expect(await shareStartOffset(broker.port, 'sweepers', 'chores')).to.equal(2n);
      // no classic group was made under the share group's id; its consumers join again and get 2..5
      expect(broker.services.groups!.hasGroup('sweepers')).to.equal(false);
      const listed = await raw.request<ListGroupsResponse>(ApiKey.ListGroups, 5, { statesFilter: [], typesFilter: [] });
      expect(listed.groups.filter((g) => g.groupId === 'sweepers').map((g) => g.groupType)).to.deep.equal(['share']);
      const back = await raw.request<ShareGroupHeartbeatResponse>(ApiKey.ShareGroupHeartbeat, 1, { groupId: 'sweepers', memberId: 's1', memberEpoch: 0, rackId: null, subscribedTopicNames: ['chores'] });
      expect(back.errorCode).to.equal(0);
      expect((await shareFetch(0)).responses[0]!.partitions[0]!.acquiredRecords).to.deep.equal([{ firstOffset: 2n, lastOffset: 5n, deliveryCount: 1 }]);
    } finally {
      raw.close();
    }
  });
});
