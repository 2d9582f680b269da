import { expect } from 'chai';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { ApiKey } from '../../protocol/generated/apis';
import { ErrorCode } from '../../protocol/errors';
import type { DeleteGroupsResponse } from '../../protocol/generated/messages/DeleteGroupsResponse';
import type { DescribeShareGroupOffsetsResponse } from '../../protocol/generated/messages/DescribeShareGroupOffsetsResponse';
import { eventually } from '../helpers/eventually';
import { CLUSTER_POLL, ProcessCluster } from '../cluster/helpers/processCluster';
import { ensureShareClient, runShareClient, type RunningShareClient } from './helpers/shareClient';
import { setGroupConfigs } from './helpers/admin';
import { coordinatorOf, onBroker } from './helpers/cluster';

const RELEASE = 2;

/** A group id whose coordinator is (or is not) the given broker. */
async function groupCoordinatedBy(c: ProcessCluster, prefix: string, wanted: (node: number) => boolean): Promise<{ group: string; coordinator: number }> {
  for (let i = 0; i < 30; i++) {
    const coordinator = await coordinatorOf(c, `${prefix}-${i}`);
    if (wanted(coordinator)) return { group: `${prefix}-${i}`, coordinator };
  }
  throw new Error(`no group id coordinated as wanted among ${prefix}-0..29`);
}

async function configure(c: ProcessCluster, coordinator: number, group: string, configs: Record<string, string>): Promise<void> {
  await eventually(async () => {
    await setGroupConfigs(c.brokers.get(coordinator)!.port, group, configs);
    return true;
  }, 'group configs accepted by the coordinator', CLUSTER_POLL);
}

async function producerOf(c: ProcessCluster): Promise<Producer> {
  const producer = new Kafka({ brokers: c.bootstrap, logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  return producer;
}

/**
 * Cluster mode, share-partitions held by leaders other than the group's coordinator: a group's
 * deletion, a member's departure and a redelivery back-off reach them (librdkafka share consumer).
 */
describe('share groups in cluster mode: share-partitions on other leaders (librdkafka share consumer)', function () {
  this.timeout(240_000);
  let c: ProcessCluster | undefined;
  const clients: RunningShareClient[] = [];

  before(async function () {
    this.timeout(20 * 60_000);
    await ensureShareClient();
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((x) => x.kill()));
    await c?.stop();
    c = undefined;
  });

  it('DeleteGroups deletes the state on every leader: the re-created group starts at share.auto.offset.reset, delivery count 1', async () => {
    c = await ProcessCluster.start([1, 2, 3]);
    const admin = await c.adminClient();
    await admin.createTopics({
      topics: [{ topic: 'spread', replicaAssignment: [{ partition: 0, replicas: [1, 2, 3] }, { partition: 1, replicas: [2, 3, 1] }, { partition: 2, replicas: [3, 1, 2] }] }],
      waitForLeaders: true,
    });
    for (let p = 0; p < 3; p++) expect((await c.partition('spread', p)).leader).to.equal(p + 1);
    const { group, coordinator } = await groupCoordinatedBy(c, 'deleters', () => true);
    await configure(c, coordinator, group, { 'share.auto.offset.reset': 'earliest' });
    const producer = await producerOf(c);
    for (let p = 0; p < 3; p++) await producer.send({ topic: 'spread', acks: -1, messages: Array.from({ length: 10 }, (_, i) => ({ partition: p, value: `p${p}-${i}` })) });
    await producer.disconnect();

    const first = await runShareClient(c.bootstrap.join(','), group, 'spread', 'consume', { 'max.poll.records': '10' });
    clients.push(first);
    await eventually(() => first.acks.length >= 30, 'the thirty records accepted', 60_000);
    await first.stop();
    const describe = async () =>
      (await onBroker(c!, coordinator, (raw) => raw.request<DescribeShareGroupOffsetsResponse>(ApiKey.DescribeShareGroupOffsets, 0, { groups: [{ groupId: group, topics: [{ topicName: 'spread', partitions: [0, 1, 2] }] }] }))).groups[0]!;
    await eventually(async () => (await describe()).topics[0]?.partitions.every((p) => p.startOffset === 10n) === true, 'every partition settled at start offset 10', CLUSTER_POLL);

    let deleted: DeleteGroupsResponse | undefined;
    await eventually(async () => {
      deleted = await onBroker(c!, coordinator, (raw) => raw.request<DeleteGroupsResponse>(ApiKey.DeleteGroups, 2, { groupsNames: [group] }));
      return deleted.results[0]!.errorCode !== ErrorCode.NON_EMPTY_GROUP;
    }, 'the group empty and deleted', CLUSTER_POLL);
    expect(deleted!.results[0]!.errorCode).to.equal(0);
    // A data leader that is not the coordinator cannot delete it.
    const other = [1, 2, 3].find((n) => n !== coordinator)!;
    const elsewhere = await onBroker(c, other, (raw) => raw.request<DeleteGroupsResponse>(ApiKey.DeleteGroups, 2, { groupsNames: [group] }));
    expect(elsewhere.results[0]!.errorCode).to.equal(ErrorCode.NOT_COORDINATOR);

    // Re-created with the same id: every partition, whichever broker leads it, starts afresh at earliest.
    await configure(c, coordinator, group, { 'share.auto.offset.reset': 'earliest' });
    const again = await runShareClient(c.bootstrap.join(','), group, 'spread', 'consume', { 'max.poll.records': '10' });
    clients.push(again);
    await eventually(() => again.acks.length >= 30, 'the thirty records delivered to the re-created group', 60_000);
    for (let p = 0; p < 3; p++) {
      const got = again.messages.filter((m) => m.partition === p);
      expect(got.map((m) => m.offset).sort((a, b) => a - b), `partition ${p} (leader ${p + 1})`).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(got.every((m) => m.deliveryCount === 1), `delivery counts on partition ${p}`).to.equal(true);
    }
  });

  it("an expired member's records are released at once by a leader that does not coordinate the group, not at lock expiry", async () => {
    c = await ProcessCluster.start([1, 2, 3]);
    const admin = await c.adminClient();
    await admin.createTopics({ topics: [{ topic: 'held', replicaAssignment: [{ partition: 0, replicas: [1, 2, 3] }] }], waitForLeaders: true });
    expect((await c.partition('held', 0)).leader).to.equal(1);
    const { group, coordinator } = await groupCoordinatedBy(c, 'holders', (n) => n !== 1);
    // Locks far longer than the test: only the member's departure can release the held records in time.
    await configure(c, coordinator, group, { 'share.auto.offset.reset': 'earliest', 'group.share.record.lock.duration.ms': '3600000', 'group.share.session.timeout.ms': '8000', 'group.share.heartbeat.interval.ms': '1000' });
    const producer = await producerOf(c);
    await producer.send({ topic: 'held', acks: -1, messages: Array.from({ length: 10 }, (_, i) => ({ value: `v${i}` })) });
    await producer.disconnect();

    const holder = await runShareClient(c.bootstrap.join(','), group, 'held', 'hold', { 'max.poll.records': '10' });
    clients.push(holder);
    await eventually(() => holder.messages.length > 0, 'the holder to acquire records', 60_000);
    const held = holder.messages.map((m) => m.offset);
    await holder.kill(); // no leave: the coordinator expires the member after its session timeout

    const worker = await runShareClient(c.bootstrap.join(','), group, 'held', 'consume', { 'max.poll.records': '10' });
    clients.push(worker);
    await eventually(() => held.every((o) => worker.acks.some((a) => a.offset === o)), 'the held records redelivered to the worker and accepted', 120_000);
    for (const o of held) expect(worker.messages.find((m) => m.offset === o)!.deliveryCount, `delivery count of held offset ${o}`).to.equal(2);
  });

  it('a redelivery back-off survives the leader change: the new leader does not hand a backed-off record out', async () => {
    c = await ProcessCluster.start([1, 2, 3]);
    // The share coordinator first, so the data partition can be led (before and after the kill) by other brokers.
    const stateLeader = await coordinatorOf(c, 'any:AAAAAAAAAAAAAAAAAAAAAA:0', 2);
    const [l1, l2] = [1, 2, 3].filter((n) => n !== stateLeader) as [number, number];
    const admin = await c.adminClient();
    await admin.createTopics({ topics: [{ topic: 'retry', replicaAssignment: [{ partition: 0, replicas: [l1, l2] }] }], waitForLeaders: true });
    expect((await c.partition('retry', 0)).leader).to.equal(l1);
    const { group, coordinator } = await groupCoordinatedBy(c, 'retriers', (n) => n !== l1);
    await configure(c, coordinator, group, { 'share.auto.offset.reset': 'earliest', 'brook.share.redelivery.backoff': '1h' });
    const producer = await producerOf(c);
    await producer.send({ topic: 'retry', acks: -1, messages: Array.from({ length: 5 }, (_, i) => ({ value: `fail:${i}` })) });

    const first = await runShareClient(c.bootstrap.join(','), group, 'retry', 'consume', { 'max.poll.records': '10' });
    clients.push(first);
    await eventually(() => first.acks.filter((a) => a.type === RELEASE).length >= 5, 'the five records released', 60_000);
    await first.kill();
    await producer.send({ topic: 'retry', acks: -1, messages: Array.from({ length: 5 }, (_, i) => ({ value: `ok:${i}` })) });
    await producer.disconnect();

    await c.kill9(l1);
    await eventually(async () => (await c!.partition('retry', 0, [l2, stateLeader])).leader === l2, 'the other replica leads retry-0', CLUSTER_POLL);
    const after = await runShareClient(c.bootstrap.join(','), group, 'retry', 'consume', { 'max.poll.records': '10' });
    clients.push(after);
    await eventually(() => after.acks.length >= 5, 'the five new records accepted from the new leader', 60_000);
    // Offsets 0-4 come first in the log: acquirable, the new leader would have handed them out before 5-9.
    expect(after.messages.filter((m) => m.value.startsWith('fail:')).map((m) => m.offset), 'backed-off records delivered').to.deep.equal([]);
    expect(after.messages.map((m) => m.offset).sort((a, b) => a - b)).to.deep.equal([5, 6, 7, 8, 9]);
  });
});
