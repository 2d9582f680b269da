import { expect } from 'chai';
import { Kafka, logLevel } from 'kafkajs';
import { ApiKey } from '../../protocol/generated/apis';
import { ErrorCode } from '../../protocol/errors';
import type { FindCoordinatorResponse } from '../../protocol/generated/messages/FindCoordinatorResponse';
import type { MetadataResponse } from '../../protocol/generated/messages/MetadataResponse';
import type { ReadShareGroupStateResponse } from '../../protocol/generated/messages/ReadShareGroupStateResponse';
import type { WriteShareGroupStateResponse } from '../../protocol/generated/messages/WriteShareGroupStateResponse';
import type { DescribeShareGroupOffsetsResponse } from '../../protocol/generated/messages/DescribeShareGroupOffsetsResponse';
import type { ListGroupsResponse } from '../../protocol/generated/messages/ListGroupsResponse';
import type { AlterShareGroupOffsetsResponse } from '../../protocol/generated/messages/AlterShareGroupOffsetsResponse';
import type { DeleteShareGroupOffsetsResponse } from '../../protocol/generated/messages/DeleteShareGroupOffsetsResponse';
import { eventually } from '../helpers/eventually';
import { CLUSTER_POLL, ProcessCluster } from '../cluster/helpers/processCluster';
import { ensureShareClient, runShareClient, type RunningShareClient } from './helpers/shareClient';
import { setGroupConfigs } from './helpers/admin';
import { coordinatorOf, onBroker } from './helpers/cluster';

const RECORDS = 200;
const ACCEPT = 1;

const groupCoordinator = (c: ProcessCluster, group: string) => coordinatorOf(c, group);

/**
 * Cluster mode: the leader of a data partition owns its share-partitions and persists them at the
 * share coordinator (the leader of __brook_share_state-0); kill -9 of the data partition's leader
 * with records in flight loses no accepted acknowledgement, and the new leader redelivers the rest.
 */
describe('share groups in cluster mode (child-process brokers on etcd, librdkafka share consumer)', function () {
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

  it('kill -9 of the partition leader: no accepted acknowledgement is redelivered, records in flight are, nothing is lost', async () => {
    c = await ProcessCluster.start([1, 2, 3]);
    const admin = await c.adminClient();
    await admin.createTopics({ topics: [{ topic: 'jobs', numPartitions: 1, replicationFactor: 3 }], waitForLeaders: true });
    const coordinator = await groupCoordinator(c, 'workers');
    await eventually(async () => {
      await setGroupConfigs(c!.brokers.get(coordinator)!.port, 'workers', { 'share.auto.offset.reset': 'earliest' });
      return true;
    }, 'group configs accepted by the coordinator', CLUSTER_POLL);
    const kafka = new Kafka({ brokers: c.bootstrap, logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    for (let i = 0; i < RECORDS; i += 10) {
      await producer.send({ topic: 'jobs', acks: -1, messages: Array.from({ length: 10 }, (_, j) => ({ value: `job-${i + j}` })) });
    }
    await producer.disconnect();
    const leader = (await c.partition('jobs', 0)).leader;

    const holder = await runShareClient(c.bootstrap.join(','), 'workers', 'jobs', 'hold', { 'max.poll.records': '10' });
    clients.push(holder);
    await eventually(() => holder.messages.length > 0, 'the holder to acquire a batch', 60_000);
    const worker = await runShareClient(c.bootstrap.join(','), 'workers', 'jobs', 'consume', { 'max.poll.records': '10' });
    clients.push(worker);
    await eventually(() => worker.acks.length >= 50, 'the worker to have acknowledgements answered', 60_000);

    await c.kill9(leader);
    // Every ACK line was printed after the leader answered the acknowledgement, so before the kill.
    const answered = new Set(worker.acks.filter((a) => a.type === ACCEPT).map((a) => a.offset));
    const held = holder.messages.map((m) => m.offset);
    await Promise.all([holder.kill(), worker.kill()]);
    expect(answered.size).to.be.lessThan(RECORDS);
    await eventually(async () => {
      const p = await c!.partition('jobs', 0);
      return p.leader > 0 && p.leader !== leader;
    }, 'a new leader for jobs-0', CLUSTER_POLL);

    const live = [...c.brokers.keys()];
    const md = await onBroker(c, live[0]!, (raw) => raw.request<MetadataResponse>(ApiKey.Metadata, 12, { topics: [{ name: 'jobs', topicId: Buffer.alloc(16) }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }));
    const topicId = md.topics[0]!.topicId;
    const read = (node: number) =>
      onBroker(c!, node, (raw) => raw.request<ReadShareGroupStateResponse>(ApiKey.ReadShareGroupState, 0, { groupId: 'workers', topics: [{ topicId, partitions: [{ partition: 0, leaderEpoch: -1 }] }] }));
    const settled = async () => (await read((await c!.partition('__brook_share_state', 0)).leader)).results[0]!.partitions[0]!.startOffset === BigInt(RECORDS);

    const after = await runShareClient(c.bootstrap.join(','), 'workers', 'jobs', 'consume', { 'max.poll.records': '10' });
    clients.push(after);
    // An acknowledgement the leader persisted but could not answer before the kill is done without an ACK line, so
    // wait for the share coordinator to have every record settled rather than for ACK lines.
    try {
      await eventually(settled, 'every record settled at the share coordinator across the failover', { ...CLUSTER_POLL, ms: 120_000 });
    } catch (err) {
      // What the brokers said about share state, and what the consumer saw, for the failure report.
      for (const [id, b] of c.brokers) for (const l of b.logs.filter((x) => x.component === 'share' && x.level !== 30 && x.level !== 'info').slice(-20)) console.error(`broker ${id}`, JSON.stringify(l));
      console.error('after consumer stderr', after.stderr.slice(-20).join('\n'), 'acks', after.acks.length, 'answered', answered.size);
      throw err;
    }
    const accepted = new Set([...answered, ...after.acks.filter((a) => a.type === ACCEPT).map((a) => a.offset)]);
    const unanswered = new Set(worker.messages.map((m) => m.offset).filter((o) => !answered.has(o)));
    for (let o = 0; o < RECORDS; o++) expect(accepted.has(o) || unanswered.has(o), `offset ${o} accepted, or acknowledged by the worker without an answer`).to.equal(true);
    const redelivered = after.messages.filter((m) => answered.has(m.offset)).map((m) => m.offset);
    expect(redelivered, 'accepted before the kill but delivered again').to.deep.equal([]);
    for (const offset of held) {
      if (answered.has(offset) || unanswered.has(offset)) continue; // its lock expired and the worker got it
      const m = after.messages.find((x) => x.offset === offset);
      expect(m, `held offset ${offset} redelivered`).to.not.equal(undefined);
      expect(m!.deliveryCount, `delivery count of held offset ${offset}`).to.equal(2);
    }

    // The share coordinator (leader of __brook_share_state-0) has the state the new leader wrote, and fences the old epoch.
    const stateLeader = (await c.partition('__brook_share_state', 0)).leader;
    const found = await onBroker(c, live[0]!, (raw) => raw.request<FindCoordinatorResponse>(ApiKey.FindCoordinator, 6, { keyType: 2, coordinatorKeys: [`workers:${topicId.toString('base64url')}:0`] }));
    expect(found.coordinators[0]).to.include({ errorCode: 0, nodeId: stateLeader });
    const other = live.find((n) => n !== stateLeader)!;
    expect((await read(other)).results[0]!.partitions[0]!.errorCode).to.equal(ErrorCode.NOT_COORDINATOR);
    const stale = await onBroker(c, stateLeader, (raw) =>
      raw.request<WriteShareGroupStateResponse>(ApiKey.WriteShareGroupState, 0, {
        groupId: 'workers',
        topics: [{ topicId, partitions: [{ partition: 0, stateEpoch: 0, leaderEpoch: 0, startOffset: 0n, stateBatches: [] }] }],
      }),
    );
    expect(stale.results[0]!.partitions[0]!.errorCode, 'a write from the deposed leader epoch').to.equal(ErrorCode.FENCED_LEADER_EPOCH);
    expect((await read(stateLeader)).results[0]!.partitions[0]!.startOffset).to.equal(BigInt(RECORDS));

    // The group's coordinator (whichever broker it is now) describes the persisted start offset and lists the group.
    const now = await groupCoordinator(c, 'workers');
    const offsets = await onBroker(c, now, (raw) => raw.request<DescribeShareGroupOffsetsResponse>(ApiKey.DescribeShareGroupOffsets, 0, { groups: [{ groupId: 'workers', topics: [{ topicName: 'jobs', partitions: [0] }] }] }));
    expect(offsets.groups[0]!.topics[0]!.partitions[0]!.startOffset).to.equal(BigInt(RECORDS));
    for (const node of live) {
      const listed = await onBroker(c, node, (raw) => raw.request<ListGroupsResponse>(ApiKey.ListGroups, 5, { statesFilter: [], typesFilter: ['share'] }));
      expect(listed.groups.some((g) => g.groupId === 'workers'), `broker ${node} lists the group only if it coordinates it`).to.equal(node === now);
    }
  });

  it('a group config set after the partition leader took the share-partition over reaches it: REJECTed records go to a DLQ led by another broker', async () => {
    c = await ProcessCluster.start([1, 2, 3]);
    const admin = await c.adminClient();
    await admin.createTopics({
      topics: [
        { topic: 'poison', replicaAssignment: [{ partition: 0, replicas: [1, 2, 3] }] },
        { topic: 'poison.dlq', replicaAssignment: [{ partition: 0, replicas: [2, 3, 1] }] },
      ],
      waitForLeaders: true,
    });
    expect((await c.partition('poison', 0)).leader).to.equal(1);
    expect((await c.partition('poison.dlq', 0)).leader).to.equal(2);
    // A group coordinated elsewhere than the data partition's leader, so the leader only borrows its configs.
    let group = '';
    let coordinator = -1;
    for (let i = 0; i < 20 && coordinator < 0; i++) {
      const at = await groupCoordinator(c, `rejecters-${i}`);
      if (at !== 1) [group, coordinator] = [`rejecters-${i}`, at];
    }
    expect(coordinator).to.be.greaterThan(1);
    const setConfigs = (configs: Record<string, string>) =>
      eventually(async () => {
        await setGroupConfigs(c!.brokers.get(coordinator)!.port, group, configs);
        return true;
      }, 'group configs accepted by the coordinator', CLUSTER_POLL);
    await setConfigs({ 'share.auto.offset.reset': 'earliest' });
    const kafka = new Kafka({ brokers: c.bootstrap, logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'poison', acks: -1, messages: [{ value: 'ok:0' }] });
    const worker = await runShareClient(c.bootstrap.join(','), group, 'poison', 'consume', { 'max.poll.records': '10' });
    clients.push(worker);
    await eventually(() => worker.acks.length >= 1, 'the first record accepted (the leader took the share-partition over)', 60_000);
    await setConfigs({ 'share.auto.offset.reset': 'earliest', 'errors.deadletterqueue.topic.name': 'poison.dlq' });

    const dead: Array<{ value: string; headers: Record<string, string> }> = [];
    const consumer = kafka.consumer({ groupId: 'dlq-reader' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'poison.dlq', fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
        dead.push({ value: String(message.value), headers });
      },
    });
    let n = 0;
    try {
      // Records rejected before the leader re-read the configs are archived only; keep rejecting until one is copied.
      await eventually(async () => {
        await producer.send({ topic: 'poison', acks: -1, messages: [{ value: `reject:${++n}` }, { value: `ok:${n}` }] });
        return dead.length > 0;
      }, 'a rejected record in the dead-letter topic', 60_000);
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
    }
    expect(dead.every((d) => d.value.startsWith('reject:'))).to.equal(true);
    expect(dead[0]!.headers).to.include({ 'brook-dlq-topic': 'poison', 'brook-dlq-partition': '0', 'brook-dlq-group': group, 'brook-dlq-reason': 'rejected' });
  });

  it('Alter/DeleteShareGroupOffsets reset the state at the share coordinator; the partition leader reloads it', async () => {
    c = await ProcessCluster.start([1, 2, 3]);
    const admin = await c.adminClient();
    await admin.createTopics({ topics: [{ topic: 'ledger', numPartitions: 1, replicationFactor: 3 }], waitForLeaders: true });
    const coordinator = await groupCoordinator(c, 'admins');
    await eventually(async () => {
      await setGroupConfigs(c!.brokers.get(coordinator)!.port, 'admins', { 'share.auto.offset.reset': 'earliest' });
      return true;
    }, 'group configs accepted by the coordinator', CLUSTER_POLL);
    const producer = new Kafka({ brokers: c.bootstrap, logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    await producer.send({ topic: 'ledger', acks: -1, messages: Array.from({ length: 10 }, (_, i) => ({ value: `v${i}` })) });
    await producer.disconnect();
    const first = await runShareClient(c.bootstrap.join(','), 'admins', 'ledger', 'consume', { 'max.poll.records': '10' });
    clients.push(first);
    await eventually(() => first.acks.length >= 10, 'the ten records accepted', 60_000);
    await first.stop();

    const describe = async () =>
      (await onBroker(c!, coordinator, (raw) => raw.request<DescribeShareGroupOffsetsResponse>(ApiKey.DescribeShareGroupOffsets, 0, { groups: [{ groupId: 'admins', topics: [{ topicName: 'ledger', partitions: [0] }] }] }))).groups[0]!.topics[0]!.partitions[0]!.startOffset;
    await eventually(async () => (await describe()) === 10n, 'the accepted records settled', CLUSTER_POLL);
    let altered: AlterShareGroupOffsetsResponse | undefined;
    await eventually(async () => {
      altered = await onBroker(c!, coordinator, (raw) => raw.request<AlterShareGroupOffsetsResponse>(ApiKey.AlterShareGroupOffsets, 0, { groupId: 'admins', topics: [{ topicName: 'ledger', partitions: [{ partitionIndex: 0, startOffset: 3n }] }] }));
      return altered.errorCode !== ErrorCode.NON_EMPTY_GROUP;
    }, 'the group empty and the offsets altered', CLUSTER_POLL);
    expect(altered!.errorCode).to.equal(0);
    expect(altered!.responses[0]!.partitions[0]!.errorCode).to.equal(0);
    expect(await describe()).to.equal(3n);

    // The partition's leader still held the old state (start offset 10): a new session finds it reset.
    const again = await runShareClient(c.bootstrap.join(','), 'admins', 'ledger', 'consume', { 'max.poll.records': '10' });
    clients.push(again);
    await eventually(() => again.acks.length >= 7, 'offsets 3..9 delivered again', 60_000);
    expect(again.messages.map((m) => m.offset).sort((a, b) => a - b)).to.deep.equal([3, 4, 5, 6, 7, 8, 9]);
    expect(again.messages.every((m) => m.deliveryCount === 1)).to.equal(true);
    await again.stop();
    await eventually(async () => (await describe()) === 10n, 'the accepted records settled again', CLUSTER_POLL);

    let deleted: DeleteShareGroupOffsetsResponse | undefined;
    await eventually(async () => {
      deleted = await onBroker(c!, coordinator, (raw) => raw.request<DeleteShareGroupOffsetsResponse>(ApiKey.DeleteShareGroupOffsets, 0, { groupId: 'admins', topics: [{ topicName: 'ledger' }] }));
      return deleted.errorCode !== ErrorCode.NON_EMPTY_GROUP;
    }, 'the group empty and the offsets deleted', CLUSTER_POLL);
    expect(deleted!.errorCode).to.equal(0);
    expect(deleted!.responses[0]!.errorCode).to.equal(0);
    expect(await describe()).to.equal(-1n);
  });
});
