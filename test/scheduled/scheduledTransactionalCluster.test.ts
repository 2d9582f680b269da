import { expect } from 'chai';
import { Kafka, logLevel } from 'kafkajs';
import { eventually } from '../helpers/eventually';
import { CLUSTER_POLL, ProcessCluster } from '../cluster/helpers/processCluster';

/**
 * Cluster mode, transactional producer (kafkajs): the partition's leader adds __brook_scheduled to the
 * transaction at the coordinator (AddPartitionsToTxn v4 when that is another broker), the coordinator's marker
 * reaches the scheduler's broker (WriteTxnMarkers), and only the committed transaction's schedules are delivered.
 */
describe('scheduled delivery from a transactional producer in cluster mode (3 child-process brokers on etcd, kafkajs)', function () {
  this.timeout(360_000);
  let c: ProcessCluster | null = null;

  after(async () => {
    await c?.stop();
  });

  it('commit: delivered when due; abort: never, with the transaction\'s partitions led by each of the three brokers', async () => {
    c = await ProcessCluster.start([1, 2, 3]);
    const admin = await c.adminClient();
    const kafka = new Kafka({ brokers: c.bootstrap, logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 200 } });
    // each broker leads one partition: two of them are not the coordinator and add __brook_scheduled with AddPartitionsToTxn v4
    await admin.createTopics({ topics: [{ topic: 'txc', replicaAssignment: [{ partition: 0, replicas: [1, 2, 3] }, { partition: 1, replicas: [2, 3, 1] }, { partition: 2, replicas: [3, 1, 2] }] }], waitForLeaders: true });
    await eventually(async () => (await c!.partition('txc', 0)).leader === 1 && (await c!.partition('txc', 1)).leader === 2 && (await c!.partition('txc', 2)).leader === 3, 'txc led as assigned', CLUSTER_POLL);
    const producer = kafka.producer({ transactionalId: 'sched-cluster-tx', idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      const t1 = await producer.transaction();
      for (const p of [0, 1, 2]) await t1.send({ topic: 'txc', messages: [{ key: `k${p}`, value: `kept ${p}`, partition: p, headers: { 'brook-delay-ms': '1000' } }] });
      await t1.commit();
      const t2 = await producer.transaction();
      for (const p of [0, 1, 2]) await t2.send({ topic: 'txc', messages: [{ key: `k${p}`, value: `dropped ${p}`, partition: p, headers: { 'brook-delay-ms': '0' } }] });
      await t2.abort();
    } finally {
      await producer.disconnect();
    }
    const plain = kafka.producer();
    await plain.connect();
    for (const p of [0, 1, 2]) await plain.send({ topic: 'txc', acks: -1, messages: [{ value: `sentinel ${p}`, partition: p, headers: { 'brook-delay-ms': '2000' } }] });
    await plain.disconnect();
    const values = new Set<string>();
    const consumer = kafka.consumer({ groupId: 'txc-check' });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: 'txc', fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void values.add(message.value!.toString()) });
      await eventually(() => [0, 1, 2].every((p) => values.has(`sentinel ${p}`)), 'the sentinels delivered', { ...CLUSTER_POLL, ms: 120_000 });
    } finally {
      await consumer.disconnect();
    }
    expect([...values].sort()).to.deep.equal(['kept 0', 'kept 1', 'kept 2', 'sentinel 0', 'sentinel 1', 'sentinel 2']);
  });
});
