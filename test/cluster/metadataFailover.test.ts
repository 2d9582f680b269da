import { expect } from 'chai';
import { Kafka, logLevel } from 'kafkajs';
import { ErrorCode } from '../../protocol/errors';
import { startEtcd, type TestEtcd } from '../helpers/etcd';
import { RawClient } from '../helpers/rawClient';
import { EtcdTestCluster, eventually } from './helpers/etcdCluster';

interface PartitionMd {
  errorCode: number;
  partitionIndex: number;
  leaderId: number;
  leaderEpoch: number;
  replicaNodes: number[];
  isrNodes: number[];
  offlineReplicas: number[];
}
interface MetadataAnswer {
  brokers: Array<{ nodeId: number }>;
  controllerId: number;
  topics: Array<{ name: string; errorCode: number; partitions: PartitionMd[] }>;
}

async function metadata(port: number, topic: string): Promise<MetadataAnswer> {
  const raw = await RawClient.connect(port);
  try {
    return await raw.request<MetadataAnswer>(3, 9, {
      topics: [{ name: topic, topicId: Buffer.alloc(16) }],
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
  } finally {
    raw.close();
  }
}

describe('cluster metadata when brokers or etcd go away', function () {
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

  it('reports a partition whose only replica is down as LEADER_NOT_AVAILABLE, and leads it again when the broker returns', async () => {
    await cluster.broker(1).services.metadata.createTopic('lonely', { assignment: [[3]] });
    const before = (await metadata(cluster.broker(1).port, 'lonely')).topics[0].partitions[0];
    expect(before).to.include({ errorCode: 0, leaderId: 3 });
    await cluster.stopBroker(3);
    const offline = await eventually(async () => {
      const p = (await metadata(cluster.broker(1).port, 'lonely')).topics[0].partitions[0];
      return p.leaderId === -1 ? p : undefined;
    }, 'partition offline');
    expect(offline.errorCode).to.equal(ErrorCode.LEADER_NOT_AVAILABLE);
    expect(offline.offlineReplicas).to.deep.equal([3]);
    expect(offline.isrNodes).to.deep.equal([3]);
    expect(offline.leaderEpoch).to.equal(before.leaderEpoch + 1);
    const md2 = await metadata(cluster.broker(2).port, 'lonely');
    expect(md2.brokers.map((b) => b.nodeId).sort()).to.deep.equal([1, 2]);

    await cluster.startBroker(3);
    const back = await eventually(async () => {
      const p = (await metadata(cluster.broker(2).port, 'lonely')).topics[0].partitions[0];
      return p.leaderId === 3 ? p : undefined;
    }, 'partition led again');
    expect(back.errorCode).to.equal(0);
    expect(back.leaderEpoch).to.equal(before.leaderEpoch + 2);
    expect(back.offlineReplicas).to.deep.equal([]);
  });

  it('keeps serving cached metadata and data through an etcd restart, then takes changes again', async () => {
    const kafka = new Kafka({ brokers: cluster.bootstrap, logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
    const admin = kafka.admin();
    await admin.connect();
    const producer = kafka.producer();
    await producer.connect();
    try {
      await admin.createTopics({ topics: [{ topic: 'steady', numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true });
      await producer.send({ topic: 'steady', messages: [{ value: 'before' }] });
      await etcd.kill();
      // Without etcd: metadata comes from each broker's cache and produce keeps working.
      const md = await metadata(cluster.broker(1).port, 'steady');
      expect(md.topics[0].partitions.every((p) => p.errorCode === 0)).to.equal(true);
      await producer.send({ topic: 'steady', messages: [{ value: 'during' }] });
      await etcd.restart();
      const md2 = cluster.broker(2).services.metadata;
      // A try whose answer was lost to the reconnect may still have created it.
      await eventually(
        () => md2.topic('after-outage') !== undefined || md2.createTopic('after-outage', { partitions: 1 }).then(
          () => true,
          () => false,
        ),
        'a topic created after the outage',
        30_000,
      );
      await eventually(() => [1, 3].every((id) => cluster.broker(id).services.metadata.topic('after-outage')), 'seen by the others', 30_000);
      await producer.send({ topic: 'steady', messages: [{ value: 'after' }] });
      // Leases survive an etcd restart: nobody lost its partitions.
      expect(cluster.broker(1).services.metadata.brokers().map((b) => b.nodeId)).to.deep.equal([1, 2, 3]);
      const offsets = await admin.fetchTopicOffsets('steady');
      expect(offsets.reduce((n, p) => n + Number(p.high), 0)).to.equal(3);
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
  });

  it('refuses to start on a data dir of another cluster instead of deleting its logs', async () => {
    await cluster.broker(1).services.metadata.createTopic('precious', { assignment: [[3]] });
    await eventually(() => cluster.broker(3).services.logs.get('precious', 0), 'log on broker 3');
    await cluster.stopBroker(3);
    const err = await cluster.startBroker(3, { 'etcd.prefix': `${cluster.prefix}-elsewhere` }).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(err?.message).to.match(/belongs to cluster/);
    // Back on its own cluster it still has the partition.
    const b3 = await cluster.startBroker(3);
    expect(b3.services.logs.get('precious', 0)).to.not.equal(undefined);
  });

  it('moves leadership back to the preferred replica with ElectLeaders from any broker', async () => {
    await cluster.broker(1).services.metadata.createTopic('elect', { assignment: [[2, 3, 1]] });
    await cluster.stopBroker(2);
    await eventually(() => cluster.broker(1).services.metadata.partitionState('elect', 0)?.leader === 3, 'leader 3');
    await cluster.startBroker(2);
    // Replication puts broker 2 back in the ISR once it has caught up.
    await eventually(() => cluster.broker(1).services.metadata.partitionState('elect', 0)?.isr.includes(2), 'broker 2 in sync', 30_000);
    const raw = await RawClient.connect(cluster.broker(1).port);
    try {
      type Answer = { errorCode: number; replicaElectionResults: Array<{ topic: string; partitionResult: Array<{ partitionId: number; errorCode: number }> }> };
      const ask = (topic: string) => raw.request<Answer>(43, 2, { electionType: 0, topicPartitions: [{ topic, partitions: [0] }], timeoutMs: 10_000 });
      const first = await ask('elect');
      expect(first.errorCode).to.equal(0);
      expect(first.replicaElectionResults[0].partitionResult[0].errorCode).to.equal(0);
      await eventually(() => [1, 2, 3].every((id) => cluster.broker(id).services.metadata.partitionState('elect', 0)?.leader === 2), 'leader 2 everywhere');
      const again = await ask('elect');
      expect(again.replicaElectionResults[0].partitionResult[0].errorCode).to.equal(ErrorCode.ELECTION_NOT_NEEDED);
      const missing = await ask('no-such-topic');
      expect(missing.replicaElectionResults[0].partitionResult[0].errorCode).to.equal(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    } finally {
      raw.close();
    }
  });

  it('hands leadership over on a clean shutdown before it stops serving (controlled shutdown)', async () => {
    const md1 = cluster.broker(1).services.metadata;
    await md1.createTopic('handover', { assignment: [[2, 1, 3], [2, 3, 1], [3, 2, 1]] });
    await eventually(() => [0, 1, 2].every((p) => md1.partitionState('handover', p)!.isr.length === 3), 'all in sync');
    const md2 = cluster.broker(2).services.metadata;
    await md2.leaveCluster!();
    // When it returns, broker 2 itself already knows it leads nothing; it is still up and answering.
    expect([0, 1, 2].map((p) => md2.partitionState('handover', p)!.leader)).to.deep.equal([1, 3, 3]);
    const md = await metadata(cluster.broker(2).port, 'handover');
    expect(md.topics[0].partitions.map((p) => p.leaderId).sort()).to.deep.equal([1, 3, 3]);
    await cluster.stopBroker(2);
  });
});
