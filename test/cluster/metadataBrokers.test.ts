import { expect } from 'chai';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { ErrorCode } from '../../protocol/errors';
import { startEtcd, type TestEtcd } from '../helpers/etcd';
import { RawClient } from '../helpers/rawClient';
import { EtcdTestCluster, eventually } from './helpers/etcdCluster';

const kafka = (brokers: string[]) => new Kafka({ clientId: 'brook-cluster-test', brokers, logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 100 } });

describe('three brokers on one etcd answer as one cluster', function () {
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
    cluster = await EtcdTestCluster.start([1, 2, 3], { etcd });
  });
  afterEach(async () => {
    await Promise.all(admins.splice(0).map((a) => a.disconnect()));
    await cluster?.stop();
  });

  async function adminOf(nodeId: number): Promise<Admin> {
    const a = kafka([cluster.broker(nodeId).bootstrap]).admin();
    await a.connect();
    admins.push(a);
    return a;
  }

  it('lists every broker, one controller, and the same leaders, replicas and ISR from each broker', async () => {
    const a1 = await adminOf(1);
    await a1.createTopics({ topics: [{ topic: 'spread', numPartitions: 6, replicationFactor: 2 }], waitForLeaders: true });
    const views = [];
    for (const id of [1, 2, 3]) {
      const admin = await adminOf(id);
      const described = await admin.describeCluster();
      expect(described.brokers.map((b) => b.nodeId).sort()).to.deep.equal([1, 2, 3]);
      for (const b of described.brokers) expect(b.port).to.equal(cluster.broker(b.nodeId).port);
      expect(described.controller).to.be.oneOf([1, 2, 3]);
      const md = await admin.fetchTopicMetadata({ topics: ['spread'] });
      views.push({ controller: described.controller, partitions: md.topics[0].partitions.sort((x, y) => x.partitionId - y.partitionId) });
    }
    expect(views[1]).to.deep.equal(views[0]);
    expect(views[2]).to.deep.equal(views[0]);
    const parts = views[0].partitions;
    expect(parts).to.have.length(6);
    for (const p of parts) {
      expect(p.replicas).to.have.length(2);
      expect(p.isr.sort()).to.deep.equal([...p.replicas].sort());
      expect(p.leader).to.equal(p.replicas[0]);
    }
    expect(new Set(parts.map((p) => p.leader))).to.deep.equal(new Set([1, 2, 3]));
    // Each broker keeps logs only for the partitions it replicates.
    for (const id of [1, 2, 3]) {
      const held = cluster.broker(id).services.logs.partitions().filter((l) => l.topic === 'spread').map((l) => l.partition).sort();
      const assigned = parts.filter((p) => p.replicas.includes(id)).map((p) => p.partitionId).sort();
      expect(held, `logs of broker ${id}`).to.deep.equal(assigned);
    }
  });

  it('creates, grows and deletes topics from any broker, and refuses a replication factor above the live brokers', async () => {
    const a2 = await adminOf(2);
    await a2.createTopics({ topics: [{ topic: 'from-two', numPartitions: 2, replicationFactor: 3 }] });
    const a3 = await adminOf(3);
    await eventually(async () => (await a3.listTopics()).includes('from-two'), 'topic seen via broker 3');
    await a3.createPartitions({ topicPartitions: [{ topic: 'from-two', count: 4 }] });
    const md = await eventually(async () => {
      const m = await a2.fetchTopicMetadata({ topics: ['from-two'] });
      return m.topics[0].partitions.length === 4 ? m : undefined;
    }, 'four partitions via broker 2');
    for (const p of md.topics[0].partitions) expect(p.replicas).to.have.length(3);
    const a1 = await adminOf(1);
    const err = await a1.createTopics({ topics: [{ topic: 'too-many', numPartitions: 1, replicationFactor: 4 }] }).then(
      () => null,
      (e: unknown) => e as { errors?: Array<{ type: string }> },
    );
    expect(err?.errors?.[0]?.type).to.equal('INVALID_REPLICATION_FACTOR');
    await a1.createTopics({ topics: [{ topic: 'manual', replicaAssignment: [{ partition: 0, replicas: [3, 1] }, { partition: 1, replicas: [2, 3] }] }] });
    const manual = await a2.fetchTopicMetadata({ topics: ['manual'] });
    expect(manual.topics[0].partitions.sort((x, y) => x.partitionId - y.partitionId).map((p) => p.replicas)).to.deep.equal([
      [3, 1],
      [2, 3],
    ]);
    await a3.deleteTopics({ topics: ['from-two'] });
    await eventually(() => [1, 2, 3].every((id) => !cluster.broker(id).services.metadata.topic('from-two')), 'deleted everywhere');
    for (const id of [1, 2, 3]) {
      expect(cluster.broker(id).services.logs.partitions().some((l) => l.topic === 'from-two'), `logs left on ${id}`).to.equal(false);
    }
  });

  it('produces to and consumes from RF=1 partitions spread over the brokers, with a consumer group coordinated by one of them', async () => {
    const client = kafka(cluster.bootstrap);
    const admin = client.admin();
    await admin.connect();
    admins.push(admin);
    await admin.createTopics({ topics: [{ topic: 'numbers', numPartitions: 6, replicationFactor: 1 }], waitForLeaders: true });
    const producer = client.producer();
    await producer.connect();
    const total = 300;
    try {
      for (let i = 0; i < total; i += 50) {
        await producer.send({ topic: 'numbers', messages: Array.from({ length: 50 }, (_, k) => ({ key: String((i + k) % 6), value: String(i + k) })) });
      }
    } finally {
      await producer.disconnect();
    }
    // Every broker leads some of the partitions and holds some of the data.
    const md = await admin.fetchTopicMetadata({ topics: ['numbers'] });
    expect(new Set(md.topics[0].partitions.map((p) => p.leader))).to.deep.equal(new Set([1, 2, 3]));

    const consumer = client.consumer({ groupId: 'cluster-readers', sessionTimeout: 10_000, heartbeatInterval: 500 });
    const seen = new Map<number, number[]>();
    let count = 0;
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: 'numbers', fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ partition, message }) => {
          const list = seen.get(partition) ?? [];
          list.push(Number(message.value!.toString()));
          seen.set(partition, list);
          count++;
        },
      });
      await eventually(() => count >= total, `${total} messages consumed`, 60_000);
      // kafkajs commits after each batch: wait for the last commit before leaving.
      await eventually(async () => {
        const o = await admin.fetchOffsets({ groupId: 'cluster-readers', topics: ['numbers'] });
        return o[0].partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0) === total;
      }, 'all offsets committed');
    } finally {
      await consumer.disconnect();
    }
    const all = [...seen.values()].flat().sort((a, b) => a - b);
    expect(all).to.deep.equal(Array.from({ length: total }, (_, i) => i));
    for (const list of seen.values()) expect(list).to.deep.equal([...list].sort((a, b) => a - b));

    // The group lives on the leader of its __consumer_offsets partition; the others refuse it.
    const offsets = await admin.fetchOffsets({ groupId: 'cluster-readers', topics: ['numbers'] });
    // A partition nobody wrote to has no commit (-1).
    const committed = offsets[0].partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
    expect(committed).to.equal(total);
    const owners = [1, 2, 3].filter((id) => cluster.broker(id).services.groups?.ownsGroup('cluster-readers') === true);
    expect(owners).to.have.length(1);
  });

  it('answers FindCoordinator with the same broker everywhere, and NOT_COORDINATOR from the others', async () => {
    const answers = [];
    for (const id of [1, 2, 3]) {
      const raw = await RawClient.connect(cluster.broker(id).port);
      try {
        // v3: one key per request.
        const r = (await raw.request(10, 3, { key: 'where-am-i', keyType: 0 })) as { errorCode: number; nodeId: number; port: number };
        answers.push(r);
        expect(r.errorCode).to.equal(0);
      } finally {
        raw.close();
      }
    }
    expect(new Set(answers.map((a) => a.nodeId)).size).to.equal(1);
    const coordinator = answers[0].nodeId;
    expect(answers[0].port).to.equal(cluster.broker(coordinator).port);
    for (const id of [1, 2, 3].filter((x) => x !== coordinator)) {
      const raw = await RawClient.connect(cluster.broker(id).port);
      try {
        const hb = (await raw.request(12, 4, { groupId: 'where-am-i', generationId: 1, memberId: 'm', groupInstanceId: null })) as { errorCode: number };
        expect(hb.errorCode).to.equal(ErrorCode.NOT_COORDINATOR);
      } finally {
        raw.close();
      }
    }
  });

  it('hands out producer ids unique across the brokers', async () => {
    const ids: bigint[] = [];
    for (const id of [1, 2, 3, 1, 2, 3]) {
      const raw = await RawClient.connect(cluster.broker(id).port);
      try {
        const r = (await raw.request(22, 1, { transactionalId: null, transactionTimeoutMs: -1 })) as { errorCode: number; producerId: bigint };
        expect(r.errorCode).to.equal(0);
        ids.push(BigInt(r.producerId));
      } finally {
        raw.close();
      }
    }
    expect(new Set(ids).size).to.equal(6);
  });
});
