import { expect } from 'chai';
import { Kafka, logLevel } from 'kafkajs';
import { ErrorCode } from '../../protocol/errors';
import { clusterCoordinator } from '../../src/metadata/coordinatorPlacement';
import { TXN_STATE_TOPIC } from '../../src/txn/txnStateLog';
import { startEtcd, type TestEtcd } from '../helpers/etcd';
import { RawClient } from '../helpers/rawClient';
import { EtcdTestCluster, eventually } from './helpers/etcdCluster';

const kafka = (brokers: string[]) => new Kafka({ clientId: 'brook-txn-cluster', brokers, logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });

describe('the transaction coordinator in a cluster', function () {
  this.timeout(120_000);
  let etcd: TestEtcd;
  let cluster: EtcdTestCluster;

  beforeEach(async () => {
    etcd = await startEtcd();
    cluster = await EtcdTestCluster.start([1, 2, 3], { etcd });
  });
  afterEach(async () => {
    await cluster?.stop();
    await etcd?.stop();
  });

  const coordinators = () => [...cluster.brokers.entries()].filter(([, b]) => b.services.txn!.coordinator.isCoordinator).map(([id]) => id);

  it('commits and aborts transactions over partitions led by every broker, with markers sent to each leader', async () => {
    const client = kafka(cluster.bootstrap);
    const admin = client.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'txn-spread', numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true });
    const md = await admin.fetchTopicMetadata({ topics: ['txn-spread'] });
    expect(new Set(md.topics[0].partitions.map((p) => p.leader))).to.deep.equal(new Set([1, 2, 3]));
    const producer = client.producer({ transactionalId: 'spread-tx', idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      const committed = await producer.transaction();
      for (let p = 0; p < 3; p++) await committed.send({ topic: 'txn-spread', messages: [{ partition: p, value: `commit-${p}` }] });
      await committed.commit();
      // kafkajs finds its coordinator with the first transaction, which creates __transaction_state.
      const [coordinator] = coordinators();
      expect(coordinators()).to.have.length(1);
      expect(cluster.broker(coordinator).services.metadata.partitionState(TXN_STATE_TOPIC, 0)!.leader).to.equal(coordinator);
      const aborted = await producer.transaction();
      for (let p = 0; p < 3; p++) await aborted.send({ topic: 'txn-spread', messages: [{ partition: p, value: `abort-${p}` }] });
      await aborted.abort();
    } finally {
      await producer.disconnect();
    }
    const consumer = client.consumer({ groupId: 'txn-readers', readUncommitted: false });
    const values: string[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: 'txn-spread', fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void values.push(message.value!.toString()) });
      // Each partition holds: commit record, commit marker, abort record, abort marker.
      await eventually(async () => (await admin.fetchTopicOffsets('txn-spread')).every((o) => o.high === '4'), 'markers on every partition');
      await eventually(() => values.length >= 3, 'committed records');
    } finally {
      await consumer.disconnect();
      await admin.disconnect();
    }
    expect(values.sort()).to.deep.equal(['commit-0', 'commit-1', 'commit-2']);
  });

  it('answers NOT_COORDINATOR on the other brokers and moves with the leadership of __transaction_state', async () => {
    const client = kafka(cluster.bootstrap);
    const producer = client.producer({ transactionalId: 'moving-tx', idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      const tx = await producer.transaction();
      await tx.send({ topic: 'before-move', messages: [{ value: 'x' }] });
      await tx.commit();
    } finally {
      await producer.disconnect();
    }
    const [first] = coordinators();
    for (const id of [1, 2, 3].filter((x) => x !== first)) {
      const raw = await RawClient.connect(cluster.broker(id).port);
      try {
        const r = await raw.request<{ errorCode: number }>(22, 1, { transactionalId: 'moving-tx', transactionTimeoutMs: 60_000 });
        expect(r.errorCode).to.equal(ErrorCode.NOT_COORDINATOR);
      } finally {
        raw.close();
      }
    }
    const state = cluster.broker(first).services.metadata.partitionState(TXN_STATE_TOPIC, 0)!;
    const leaderEnd = cluster.broker(first).services.logs.get(TXN_STATE_TOPIC, 0)!.logEndOffset;
    for (const f of state.replicas.filter((r) => r !== first)) {
      await eventually(() => (cluster.broker(f).services.logs.get(TXN_STATE_TOPIC, 0)?.logEndOffset ?? 0) >= leaderEnd, `follower ${f} has the transaction state`);
    }
    await cluster.stopBroker(first);
    const [next] = await eventually(() => {
      const c = coordinators();
      return c.length === 1 ? c : undefined;
    }, 'a new coordinator');
    expect(next).to.not.equal(first);
    // The new coordinator knows the id: a new producer gets the same producer id at a higher epoch.
    const loaded = cluster.broker(next).services.txn!.coordinator.get('moving-tx');
    expect(loaded, 'transaction state loaded').to.not.equal(undefined);
    const known = { producerId: loaded!.producerId, epoch: loaded!.epoch };
    const again = kafka(cluster.bootstrap).producer({ transactionalId: 'moving-tx', idempotent: true, maxInFlightRequests: 1 });
    await again.connect();
    try {
      const tx = await again.transaction();
      await tx.send({ topic: 'after-move', messages: [{ value: 'x' }] });
      await tx.commit();
    } finally {
      await again.disconnect();
    }
    const after = cluster.broker(next).services.txn!.coordinator.get('moving-tx')!;
    expect(after.producerId).to.equal(known.producerId);
    expect(after.epoch).to.be.greaterThan(known.epoch);
  });

  it('commits offsets sent to a transaction to a group coordinated by another broker, and drops them on abort', async () => {
    const client = kafka(cluster.bootstrap);
    const admin = client.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'txn-offsets-in', numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
    const producer = client.producer({ transactionalId: 'offsets-tx', idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      const warm = await producer.transaction();
      await warm.send({ topic: 'txn-offsets-out', messages: [{ value: 'warm' }] });
      await warm.commit();
      const [txnCoordinator] = coordinators();
      // A group whose coordinator is another broker than the transaction coordinator.
      let groupId = '';
      for (let i = 0; i < 100 && !groupId; i++) {
        const found = await clusterCoordinator(cluster.broker(1).services, 0, `tx-group-${i}`);
        if (found.node && found.node.nodeId !== txnCoordinator) groupId = `tx-group-${i}`;
      }
      expect(groupId).to.not.equal('');

      const committed = await producer.transaction();
      await committed.send({ topic: 'txn-offsets-out', messages: [{ value: 'c' }] });
      await committed.sendOffsets({ consumerGroupId: groupId, topics: [{ topic: 'txn-offsets-in', partitions: [{ partition: 0, offset: '17' }] }] });
      await committed.commit();
      const afterCommit = await admin.fetchOffsets({ groupId, topics: ['txn-offsets-in'] });
      expect(afterCommit[0].partitions[0].offset).to.equal('17');

      const aborted = await producer.transaction();
      await aborted.send({ topic: 'txn-offsets-out', messages: [{ value: 'a' }] });
      await aborted.sendOffsets({ consumerGroupId: groupId, topics: [{ topic: 'txn-offsets-in', partitions: [{ partition: 0, offset: '99' }] }] });
      await aborted.abort();
      const afterAbort = await admin.fetchOffsets({ groupId, topics: ['txn-offsets-in'] });
      expect(afterAbort[0].partitions[0].offset).to.equal('17');
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
  });
});
