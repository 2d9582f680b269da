import { expect } from 'chai';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { eventually } from '../helpers/eventually';
import { KAFKA_ERRORS } from '../../protocol/errors';
import { CLUSTER_POLL, ProcessCluster } from '../cluster/helpers/processCluster';

const DELAY_MS = 20_000;

/**
 * Cluster mode with an idempotent producer (kafkajs `idempotent: true`): each partition's leader takes the
 * batch's sequences in its own log (a batch without records, replicated like any other), forwards the schedules
 * to the leader of __brook_scheduled, and the producer's plain batches after them are in sequence. kill -9 of the
 * __brook_scheduled leader (which also leads one of the partitions) with every scheduled record pending: each is
 * delivered exactly once by the new leader.
 */
describe('scheduled delivery from an idempotent producer in cluster mode (3 child-process brokers on etcd, kafkajs)', function () {
  this.timeout(360_000);
  let c: ProcessCluster | null = null;
  let consumer: Consumer | null = null;

  after(async () => {
    await consumer?.disconnect().catch(() => undefined);
    await c?.stop();
  });

  it('scheduled and plain batches of one idempotent producer on partitions led by three brokers; kill -9 of the scheduler: every record once', async () => {
    c = await ProcessCluster.start([1, 2, 3]);
    const admin = await c.adminClient();
    const kafka = new Kafka({ brokers: c.bootstrap, logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 200 } });
    await admin.createTopics({ topics: [{ topic: 'warmup', numPartitions: 1, replicationFactor: 3 }], waitForLeaders: true });
    const warm = kafka.producer();
    await warm.connect();
    await warm.send({ topic: 'warmup', acks: -1, messages: [{ value: 'w', headers: { 'brook-delay-ms': '0' } }] });
    await warm.disconnect();
    let s = -1;
    await eventually(async () => (s = (await c!.partition('__brook_scheduled', 0)).leader) > 0, '__brook_scheduled has a leader', CLUSTER_POLL);
    const [a, b] = [1, 2, 3].filter((n) => n !== s) as [number, number];
    await admin.createTopics({
      topics: [{ topic: 'idem', replicaAssignment: [{ partition: 0, replicas: [s, a, b] }, { partition: 1, replicas: [a, b, s] }, { partition: 2, replicas: [b, s, a] }] }],
      waitForLeaders: true,
    });
    await eventually(async () => (await c!.partition('idem', 0)).leader === s && (await c!.partition('idem', 1)).leader === a && (await c!.partition('idem', 2)).leader === b, 'idem led as assigned', CLUSTER_POLL);

    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    for (const p of [0, 1, 2]) {
      const later = Array.from({ length: 3 }, (_, i) => ({ key: `k${p}`, value: `later ${p}-${i}`, partition: p, headers: { 'brook-delay-ms': String(DELAY_MS) } }));
      expect((await producer.send({ topic: 'idem', acks: -1, messages: later }))[0]!.errorCode).to.equal(0);
      for (const i of [0, 1]) expect((await producer.send({ topic: 'idem', acks: -1, messages: [{ key: `k${p}`, value: `now ${p}-${i}`, partition: p }] }))[0]!.errorCode).to.equal(0);
    }
    // each partition: the 3 offsets the sequence batch took, then the 2 plain records; nothing scheduled is there yet
    expect((await admin.fetchTopicOffsets('idem')).sort((x, y) => x.partition - y.partition).map((p) => p.high)).to.deep.equal(['5', '5', '5']);
    await c.kill9(s);
    // the new leader of idem-0 learnt the sequences by replication: the producer's next batch there is in sequence
    await eventually(async () => ![s, -1].includes((await c!.partition('idem', 0)).leader), 'idem-0 has a new leader', CLUSTER_POLL);
    expect((await producer.send({ topic: 'idem', acks: -1, messages: [{ key: 'k0', value: 'after 0', partition: 0 }] }))[0]!.errorCode).to.equal(0);
    await producer.disconnect();

    const values = new Map<string, number>();
    consumer = new Kafka({ brokers: c.bootstrap, logLevel: logLevel.NOTHING }).consumer({ groupId: 'sched-idem-cluster-check' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'idem', fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const v = message.value!.toString();
        values.set(v, (values.get(v) ?? 0) + 1);
      },
    });
    try {
      await eventually(() => values.size === 16, 'all 16 records delivered after the failover', { ...CLUSTER_POLL, ms: 120_000 });
    } catch (err) {
      for (const [id, broker] of c.brokers) console.error(id, JSON.stringify(broker.logs.filter((l) => l.component === 'scheduled' || Number(l.level) >= 40).slice(-20)));
      console.error('seen', [...values.keys()].join(','));
      throw err;
    }
    // a sentinel through the new leader, due a little later: anything delivered twice is in the log before it
    const late = new Kafka({ brokers: c.bootstrap, logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 200 } }).producer({ idempotent: true, maxInFlightRequests: 1 });
    await late.connect();
    await late.send({ topic: 'idem', acks: -1, messages: [{ key: 'sentinel', value: 'sentinel', partition: 1, headers: { 'brook-delay-ms': '2000' } }] });
    await late.disconnect();
    await eventually(() => values.has('sentinel'), 'the sentinel delivered', { ...CLUSTER_POLL, ms: 60_000 });
    expect([...values.values()].every((n) => n === 1), `each record once: ${JSON.stringify([...values])}`).to.equal(true);
    expect(values.size).to.equal(17);
    // the scheduler's repair wrote the sequences to partitions other brokers lead without a refusal: it never gave
    // up on a batch, and no partition answered with a non-retriable error. Retriable answers while leadership moves
    // after the kill (LEADER_NOT_AVAILABLE, NOT_LEADER_OR_FOLLOWER, a journal write to the old leader) are retried.
    const refusal = (l: Record<string, unknown>): boolean =>
      String(l.msg).includes('cannot be recorded in its partition any more') ||
      (String(l.msg).includes('recording its producer sequences in its partition failed') && !KAFKA_ERRORS.find((e) => e.code === Number(l.errorCode))?.retriable);
    const refused = [...c.brokers.values()].flatMap((br) => br.logs.filter(refusal));
    expect(refused).to.deep.equal([]);
  });
});
