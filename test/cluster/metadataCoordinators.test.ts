import { expect } from 'chai';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { OFFSETS_TOPIC, offsetsPartitionFor } from '../../src/groups/offsetsTopicRecords';
import { startEtcd, type TestEtcd } from '../helpers/etcd';
import { EtcdTestCluster, eventually } from './helpers/etcdCluster';

const kafka = (brokers: string[]) => new Kafka({ clientId: 'brook-coord-test', brokers, logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });

describe('group coordinators move with the leadership of their __consumer_offsets partition', function () {
  this.timeout(120_000);
  let etcd: TestEtcd;
  let cluster: EtcdTestCluster;
  const admins: Admin[] = [];

  before(async () => {
    etcd = await startEtcd();
  });
  after(async () => {
    await etcd?.stop();
  });
  beforeEach(async () => {
    // Two replicas per offsets partition: each broker holds some of them, not all.
    cluster = await EtcdTestCluster.start([1, 2, 3], { etcd, config: { 'offsets.topic.replication.factor': '2' } });
  });
  afterEach(async () => {
    await Promise.all(admins.splice(0).map((a) => a.disconnect().catch(() => undefined)));
    await cluster?.stop();
  });

  const owners = (group: string) =>
    [...cluster.brokers.entries()].filter(([, b]) => b.services.groups?.ownsGroup(group) === true).map(([id]) => id);

  it('serves committed offsets from the new leader after the coordinator broker leaves', async () => {
    const admin = kafka(cluster.bootstrap).admin();
    await admin.connect();
    admins.push(admin);
    await admin.createTopics({ topics: [{ topic: 'work', numPartitions: 2, replicationFactor: 3 }], waitForLeaders: true });
    await admin.setOffsets({ groupId: 'movable', topic: 'work', partitions: [{ partition: 0, offset: '42' }, { partition: 1, offset: '7' }] });
    const [coordinator] = await eventually(() => {
      const o = owners('movable');
      return o.length === 1 ? o : undefined;
    }, 'one owner');
    const meta = cluster.broker(coordinator).services.metadata;
    const p = offsetsPartitionFor('movable', meta.topic(OFFSETS_TOPIC)!.partitions);
    const state = meta.partitionState(OFFSETS_TOPIC, p)!;
    expect(state.leader).to.equal(coordinator);
    expect(state.replicas).to.have.length(2);
    // Wait until the followers hold the commit, so the handover cannot lose it.
    const leaderEnd = cluster.broker(coordinator).services.logs.get(OFFSETS_TOPIC, p)!.logEndOffset;
    expect(leaderEnd).to.be.greaterThan(0);
    for (const f of state.replicas.filter((r) => r !== coordinator)) {
      await eventually(() => (cluster.broker(f).services.logs.get(OFFSETS_TOPIC, p)?.logEndOffset ?? 0) >= leaderEnd, `follower ${f} caught up`);
    }

    // Only the replicas of each __consumer_offsets partition keep a log of it.
    for (const [id, b] of cluster.brokers) {
      const held = b.services.logs.partitions().filter((l) => l.topic === OFFSETS_TOPIC).map((l) => l.partition).sort((x, y) => x - y);
      const assigned = Array.from({ length: meta.topic(OFFSETS_TOPIC)!.partitions }, (_, i) => i).filter((i) => meta.partitionState(OFFSETS_TOPIC, i)!.replicas.includes(id));
      expect(held, `offsets logs on broker ${id}`).to.deep.equal(assigned);
    }

    await cluster.stopBroker(coordinator);
    const [next] = await eventually(() => {
      const o = owners('movable');
      return o.length === 1 ? o : undefined;
    }, 'a new owner');
    expect(next).to.not.equal(coordinator);

    const survivor = kafka(cluster.bootstrap).admin();
    await survivor.connect();
    admins.push(survivor);
    const offsets = await survivor.fetchOffsets({ groupId: 'movable', topics: ['work'] });
    expect(offsets[0].partitions.sort((a, b) => a.partition - b.partition).map((x) => x.offset)).to.deep.equal(['42', '7']);

    // The old coordinator comes back as a follower: it does not claim the group.
    await cluster.startBroker(coordinator);
    await eventually(() => cluster.broker(coordinator).services.metadata.brokers().length === 3, 'rejoined');
    expect(owners('movable')).to.deep.equal([next]);
  });
});
