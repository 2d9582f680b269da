import { expect } from 'chai';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { eventually } from '../helpers/eventually';
import { CLUSTER_POLL, ProcessCluster } from '../cluster/helpers/processCluster';
import { RawClient } from '../helpers/rawClient';
import { ApiKey } from '../../protocol/generated/apis';
import type { FindCoordinatorResponse } from '../../protocol/generated/messages/FindCoordinatorResponse';

const SOURCE = 'orders';
const VIEW = 'orders.paid';
const GROUP = 'view-cluster-group';

/** Records of one phase: every third one is tagged paid (the view keeps those), the rest new/shipped. */
function phase(name: string, count: number): Array<{ value: string; headers: Record<string, string> }> {
  return Array.from({ length: count }, (_, i) => ({ value: `${name}-${i}`, headers: { 'brook-tag': i % 3 === 0 ? 'paid' : i % 2 === 0 ? 'new' : 'shipped' } }));
}

/**
 * Cluster mode: a view's partition is served by its source partition's leader from the source log. Metadata tells
 * clients the source's leader, epoch, replicas and ISR for the view, so after kill -9 of that leader the
 * consumer follows the source to its new leader and reads on under the same (source) offsets.
 */
describe('filtered views in cluster mode (child-process brokers on etcd, kafkajs consumer group)', function () {
  this.timeout(300_000);
  let c: ProcessCluster | undefined;
  let consumer: Consumer | undefined;
  /** kafkajs's warnings and errors, printed when the test fails. */
  const clientLog: string[] = [];
  const logCreator = () => (e: { level: number; log: { message: string; timestamp: string } & Record<string, unknown> }) => {
    if (e.level <= logLevel.WARN) clientLog.push(`kafkajs: ${JSON.stringify(e.log)}`);
  };

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && c) for (const line of [...c.failureReport(), ...clientLog.splice(0)]) console.log(line);
    clientLog.length = 0;
    await consumer?.disconnect().catch(() => undefined);
    consumer = undefined;
    await c?.stop();
    c = undefined;
  });

  it('a consumer group reads exactly the matching records with source offsets, before and after the source leader is killed', async () => {
    c = await ProcessCluster.start([1, 2, 3], {}, [], 120_000);
    const admin = await c.adminClient();
    // The source's leader is put on a broker that is not the group's coordinator: this test is about the view
    // following its source; the consumer losing its coordinator too is the group coordinator's failover, not this
    // (viewsCoordinatorKill.test.ts covers it, and why kafkajs with many retries then waits minutes).
    let coordinator = -1;
    await eventually(async () => {
      const raw = await RawClient.connect(c!.brokers.get(1)!.port);
      try {
        const res = await raw.request<FindCoordinatorResponse>(ApiKey.FindCoordinator, 1, { key: GROUP, keyType: 0 });
        coordinator = res.errorCode === 0 ? res.nodeId : -1;
      } finally {
        raw.close();
      }
      return coordinator > 0;
    }, 'the group has a coordinator', { ...CLUSTER_POLL, ms: 60_000 });
    const [x, y] = [1, 2, 3].filter((n) => n !== coordinator) as [number, number];
    await admin.createTopics({ topics: [{ topic: SOURCE, replicaAssignment: [{ partition: 0, replicas: [coordinator, x, y] }] }], waitForLeaders: true });
    await admin.createTopics({ topics: [{ topic: VIEW, configEntries: [{ name: 'brook.view.of', value: SOURCE }, { name: 'brook.view.filter', value: 'paid' }] }] });
    // The source moves off the view's own preferred leader (the view keeps [coordinator, x, y]), so the view's own
    // partition state and its source's differ from here on: clients must be told the source's.
    await admin.alterPartitionReassignments({ topics: [{ topic: SOURCE, partitionAssignment: [{ partition: 0, replicas: [x, y] }] }] });
    await eventually(async () => {
      const p = await c!.partitionAt(coordinator, SOURCE, 0);
      return p.leader === x;
    }, 'the source is led by x on [x, y]', { ...CLUSTER_POLL, ms: 60_000 });
    const source = await c.partition(SOURCE, 0);
    expect(source.replicas).to.have.members([x, y]);
    // every broker describes the view partition as its source partition (leader, epoch, ISR)
    for (const node of [1, 2, 3]) {
      await eventually(async () => {
        const [s, v] = await Promise.all([c!.partitionAt(node, SOURCE, 0), c!.partitionAt(node, VIEW, 0)]);
        return s.leader === x && v.leader === s.leader && v.leaderEpoch === s.leaderEpoch && v.isr.join() === s.isr.join();
      }, `broker ${node} shows the view led by the source's leader`, CLUSTER_POLL);
    }

    const kafka = new Kafka({ clientId: 'view-cluster', brokers: c.bootstrap, logLevel: logLevel.WARN, logCreator, retry: { initialRetryTime: 100, retries: 10 } });
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const sent: Array<{ offset: number; value: string; tag: string }> = [];
    const send = async (msgs: ReturnType<typeof phase>, p = producer) => {
      const [r] = await p.send({ topic: SOURCE, acks: -1, messages: msgs });
      msgs.forEach((m, i) => sent.push({ offset: Number(r!.baseOffset) + i, value: m.value, tag: m.headers['brook-tag']! }));
    };
    await send(phase('a', 30));
    await producer.disconnect();

    const seen: Array<{ offset: number; value: string }> = [];
    consumer = kafka.consumer({ groupId: GROUP, sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 200, retry: { initialRetryTime: 100, retries: 30 } });
    await consumer.connect();
    await consumer.subscribe({ topic: VIEW, fromBeginning: true });
    await consumer.run({ autoCommitThreshold: 1, eachMessage: async ({ message }) => void seen.push({ offset: Number(message.offset), value: message.value!.toString() }) });
    const want = () => sent.filter((s) => s.tag === 'paid').map((s) => ({ offset: s.offset, value: s.value }));
    await eventually(() => seen.length >= want().length, `the ${want().length} paid records of phase a`, 60_000);
    expect(seen).to.deep.equal(want());
    // the group committed past the last paid record before the leader goes (so a rebalance restarts after it)
    const lastPaid = want()[want().length - 1]!.offset;
    await eventually(async () => {
      const [o] = await admin.fetchOffsets({ groupId: GROUP, topics: [VIEW] });
      return Number(o!.partitions[0]!.offset) > lastPaid;
    }, 'committed past phase a', 30_000);

    const oldLeader = source.leader;
    await c.kill9(oldLeader);
    let newLeader = -1;
    await eventually(async () => {
        newLeader = (await c!.partition(SOURCE, 0)).leader;
        return newLeader > 0 && newLeader !== oldLeader;
      }, 'a new source leader', { ...CLUSTER_POLL, ms: 60_000 });
    const survivors = [1, 2, 3].filter((n) => n !== oldLeader);
    for (const node of survivors) {
      await eventually(async () => {
        const [s, v] = await Promise.all([c!.partitionAt(node, SOURCE, 0), c!.partitionAt(node, VIEW, 0)]);
        return s.leader === newLeader && v.leader === newLeader && v.leaderEpoch === s.leaderEpoch;
      }, `broker ${node} shows the view follow the source to broker ${newLeader}`, CLUSTER_POLL);
    }

    const producer2 = new Kafka({ clientId: 'view-cluster-2', brokers: c.bootstrap, logLevel: logLevel.NOTHING, retry: { initialRetryTime: 100, retries: 10 } }).producer({ allowAutoTopicCreation: false });
    await producer2.connect();
    await send(phase('b', 30), producer2);
    await producer2.disconnect();
    await eventually(() => seen.length >= want().length, `all ${want().length} paid records`, 120_000);
    // exactly the matching records, in source-offset order, each once (phase a was committed before the kill)
    expect(seen).to.deep.equal(want());
    expect(new Set(seen.map((s) => s.offset)).size).to.equal(seen.length);
    const offsets = sent.map((s) => s.offset);
    expect(offsets, 'acks=-1 records kept their offsets across the failover').to.deep.equal(offsets.map((_, i) => i));
  });
});
