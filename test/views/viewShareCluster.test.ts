import { expect } from 'chai';
import { Kafka, logLevel } from 'kafkajs';
import { eventually } from '../helpers/eventually';
import { CLUSTER_POLL, ProcessCluster } from '../cluster/helpers/processCluster';
import { ensureShareClient, runShareClient, type RunningShareClient } from '../share/helpers/shareClient';
import { setGroupConfigs } from '../share/helpers/admin';
import { coordinatorOf } from '../share/helpers/cluster';

const SOURCE = 'tasks';
const VIEW = 'tasks.paid';
const PHASE = 30;
/** Every third record is paid (the view keeps those). */
const tagOf = (offset: number) => (offset % 3 === 0 ? 'paid' : 'new');

/**
 * Cluster mode: a view's share-partitions are owned by its source partition's leader, at the source's leader epoch,
 * even when the view's own partition state names another broker; after kill -9 of that leader the new one takes them
 * over from the share coordinator (librdkafka 2.15.1 share consumer).
 */
describe('views: share groups on a view in cluster mode follow the source leader', function () {
  this.timeout(300_000);
  let c: ProcessCluster | undefined;
  const clients: RunningShareClient[] = [];

  before(async function () {
    this.timeout(20 * 60_000);
    await ensureShareClient();
  });

  after(async () => {
    await Promise.all(clients.map((x) => x.kill()));
    await c?.stop();
  });

  it('acknowledged matching records are not redelivered after kill -9 of the source leader; held ones are (count 2); others never', async () => {
    c = await ProcessCluster.start([1, 2, 3], {}, [], 120_000);
    const stateLeader = await coordinatorOf(c, 'any:AAAAAAAAAAAAAAAAAAAAAA:0', 2);
    const [l1, l2] = [1, 2, 3].filter((n) => n !== stateLeader) as [number, number];
    const admin = await c.adminClient();
    await admin.createTopics({ topics: [{ topic: SOURCE, replicaAssignment: [{ partition: 0, replicas: [stateLeader, l1, l2] }] }], waitForLeaders: true });
    await admin.createTopics({ topics: [{ topic: VIEW, configEntries: [{ name: 'brook.view.of', value: SOURCE }, { name: 'brook.view.filter', value: 'paid' }] }] });
    // the source moves to [l1, l2]; the view's own partition state stays led by stateLeader, which must not matter
    await admin.alterPartitionReassignments({ topics: [{ topic: SOURCE, partitionAssignment: [{ partition: 0, replicas: [l1, l2] }] }] });
    await eventually(async () => (await c!.partitionAt(stateLeader, SOURCE, 0)).leader === l1, 'the source led by l1', { ...CLUSTER_POLL, ms: 60_000 });
    let group = '';
    let coordinator = -1;
    for (let i = 0; i < 30 && coordinator < 0; i++) {
      const n = await coordinatorOf(c, `view-workers-${i}`);
      if (n !== l1) [group, coordinator] = [`view-workers-${i}`, n];
    }
    expect(coordinator).to.be.greaterThan(0);
    await eventually(async () => {
      await setGroupConfigs(c!.brokers.get(coordinator)!.port, group, { 'share.auto.offset.reset': 'earliest' });
      return true;
    }, 'group configs accepted by the coordinator', CLUSTER_POLL);
    const producer = new Kafka({ brokers: c.bootstrap, logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    const produce = async (from: number) => {
      for (let o = from; o < from + PHASE; o += 10) {
        await producer.send({ topic: SOURCE, acks: -1, messages: Array.from({ length: 10 }, (_, i) => ({ value: `job-${o + i}`, headers: { 'brook-tag': tagOf(o + i) } })) });
      }
    };
    const bootstrap = c.bootstrap.join(',');
    const matchingIn = (from: number) => Array.from({ length: PHASE }, (_, i) => from + i).filter((o) => tagOf(o) === 'paid');

    await produce(0);
    const worker = await runShareClient(bootstrap, group, VIEW, 'consume', { 'max.poll.records': '5' });
    clients.push(worker);
    await eventually(() => new Set(worker.acks.map((a) => a.offset)).size === matchingIn(0).length, 'the first matching records accepted', 90_000);
    await worker.stop();
    const accepted = new Set(worker.acks.map((a) => a.offset));
    expect([...accepted].sort((a, b) => a - b)).to.deep.equal(matchingIn(0));

    await produce(PHASE);
    await producer.disconnect();
    const holder = await runShareClient(bootstrap, group, VIEW, 'hold', { 'max.poll.records': '4' });
    clients.push(holder);
    await eventually(() => holder.messages.length > 0, 'the holder to acquire records', 60_000);
    await holder.kill();
    const held = holder.messages.map((m) => m.offset);

    await c.kill9(l1);
    await eventually(async () => (await c!.partition(SOURCE, 0, [l2, stateLeader])).leader === l2, 'l2 leads the source', CLUSTER_POLL);
    const after = await runShareClient(bootstrap, group, VIEW, 'consume', { 'max.poll.records': '5' });
    clients.push(after);
    await eventually(() => matchingIn(PHASE).every((o) => after.acks.some((a) => a.offset === o)), 'the second matching records accepted from the new leader', 120_000);
    expect(after.messages.filter((m) => accepted.has(m.offset)).map((m) => m.offset), 'accepted before the kill but delivered again').to.deep.equal([]);
    for (const o of held) expect(after.messages.find((m) => m.offset === o)?.deliveryCount, `held offset ${o}`).to.equal(2);
    for (const m of [...worker.messages, ...holder.messages, ...after.messages]) {
      expect(tagOf(m.offset), `offset ${m.offset}`).to.equal('paid');
      expect(m.value).to.equal(`job-${m.offset}`);
    }
  });
});
