import { expect } from 'chai';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { eventually } from '../helpers/eventually';
import { CLUSTER_POLL, ProcessCluster } from '../cluster/helpers/processCluster';
import { brook } from '../ops/cliHarness';

const N = 60;
const DELAY_MS = 30_000;

/**
 * Cluster mode (docs/ARCHITECTURE.md, "Scheduled delivery"): schedules live in the replicated
 * __brook_scheduled; the target partition's leader forwards them to that topic's leader (acks=all), whose
 * scheduler delivers into targets it leads or, over the inter-broker connection, into targets others
 * lead. kill -9 of the __brook_scheduled leader while every record is pending: the new leader replays
 * its replica and delivers every record exactly once (counted by brook-scheduled-offset).
 */
describe('scheduled delivery in cluster mode (3 child-process brokers on etcd, kafkajs)', function () {
  this.timeout(360_000);
  let c: ProcessCluster | null = null;
  let consumer: Consumer | null = null;

  after(async () => {
    await consumer?.disconnect().catch(() => undefined);
    await c?.stop();
  });

  it('kill -9 of the __brook_scheduled leader with records pending: every record delivered once, none lost', async () => {
    c = await ProcessCluster.start([1, 2, 3]);
    const admin = await c.adminClient();
    const kafka = new Kafka({ brokers: c.bootstrap, logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 200 } });
    // A first scheduled produce creates __brook_scheduled (due at once); its leader decides the layout below.
    await admin.createTopics({ topics: [{ topic: 'warmup', numPartitions: 1, replicationFactor: 3 }], waitForLeaders: true });
    const warm = kafka.producer();
    await warm.connect();
    await warm.send({ topic: 'warmup', acks: -1, messages: [{ value: 'w', headers: { 'brook-delay-ms': '0' } }] });
    await warm.disconnect();
    let s = -1;
    await eventually(async () => (s = (await c!.partition('__brook_scheduled', 0)).leader) > 0, '__brook_scheduled has a leader', CLUSTER_POLL);
    expect((await c.partition('__brook_scheduled', 0)).replicas.length, '__brook_scheduled is replicated').to.equal(3);
    await eventually(async () => (await admin.fetchTopicOffsets('warmup'))[0]!.high === '1', 'the warm-up record delivered', CLUSTER_POLL);

    // orders-0 led by the scheduler's broker (killed below), orders-1 and -2 by the others: local and remote
    // schedule writes, local and remote deliveries, and a target whose leader dies with the scheduler.
    const [a, b] = [1, 2, 3].filter((n) => n !== s) as [number, number];
    await admin.createTopics({
      topics: [{ topic: 'orders', replicaAssignment: [{ partition: 0, replicas: [s, a, b] }, { partition: 1, replicas: [a, b, s] }, { partition: 2, replicas: [b, s, a] }] }],
      waitForLeaders: true,
    });
    await eventually(async () => (await c!.partition('orders', 0)).leader === s && (await c!.partition('orders', 1)).leader === a && (await c!.partition('orders', 2)).leader === b, 'orders led as assigned', CLUSTER_POLL);

    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: 'orders',
      acks: -1,
      messages: Array.from({ length: N }, (_, i) => ({ key: `k${i}`, value: `order ${i}`, partition: i % 3, headers: { 'brook-delay-ms': String(DELAY_MS) } })),
    });
    // a cancel through orders-1's leader, forwarded to the scheduler's broker like the schedules
    await producer.send({ topic: 'orders', acks: -1, messages: [{ key: 'k1', value: null, partition: 1, headers: { 'brook-cancel': '' } }] });
    await producer.disconnect();
    // every record is still pending when its scheduler dies (the delay is far longer than this takes)
    expect((await admin.fetchTopicOffsets('orders')).map((p) => p.high)).to.deep.equal(['0', '0', '0']);
    await c.kill9(s);

    // The CLI against the survivors: list reads the new leader's __brook_scheduled; cancel by id is a produce
    // to the target partition, forwarded to the scheduler. (30 s of delay leave room for both under load.)
    const conn = ['--bootstrap-server', c.bootstrap.join(',')];
    const listed = await eventually(async () => {
      const out = await brook(['scheduled', 'list', ...conn, '--json', '-t', 'orders']);
      const records = out.code === 0 && (JSON.parse(out.stdout) as { records: Array<{ id: number; key: string }> }).records;
      // once the new leader's high watermark covers them: every record but the cancelled k1
      return records && records.length === N - 1 && records;
    }, 'brook scheduled list shows the pending records after the failover', CLUSTER_POLL);
    const k2 = listed.find((r) => r.key === 'k2');
    expect(k2, 'k2 listed as pending').to.not.equal(undefined);
    const cancelled = await brook(['scheduled', 'cancel', ...conn, '--id', String(k2!.id)]);
    expect(cancelled.code, cancelled.stderr).to.equal(0);

    const seen = new Map<string, number>();
    const values = new Set<string>();
    consumer = new Kafka({ brokers: c.bootstrap, logLevel: logLevel.NOTHING }).consumer({ groupId: 'sched-cluster-check' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'orders', fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const at = message.headers?.['brook-scheduled-offset']?.toString() ?? 'none';
        seen.set(at, (seen.get(at) ?? 0) + 1);
        values.add(message.value!.toString());
      },
    });
    try {
      await eventually(() => values.size === N - 2, `all ${N - 2} records not cancelled delivered after the failover`, { ...CLUSTER_POLL, ms: 120_000 });
    } catch (err) {
      for (const [id, broker] of c.brokers) console.error(id, JSON.stringify(broker.logs.filter((l) => l.component === 'scheduled' || Number(l.level) >= 40).slice(-20)));
      console.error('seen', values.size, [...values].map((v) => Number(v.split(' ')[1]) % 3).join(''), JSON.stringify(await admin.fetchTopicOffsets('orders').catch((e: Error) => e.message)), s, a, b);
      for (const p of [0, 1, 2]) console.error(p, JSON.stringify(await c.partition('orders', p)));
      throw err;
    }

    // A sentinel scheduled after the failover (through the new leader, or forwarded to it) due a little
    // later: once it is delivered, anything the takeover would have delivered twice is in the log too.
    const late = new Kafka({ brokers: c.bootstrap, logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 200 } }).producer();
    await late.connect();
    await late.send({ topic: 'orders', acks: -1, messages: [{ key: 'sentinel', value: 'sentinel', partition: 1, headers: { 'brook-delay-ms': '3000' } }] });
    await late.disconnect();
    await eventually(() => values.has('sentinel'), 'the sentinel delivered', { ...CLUSTER_POLL, ms: 60_000 });
    const highs = (await admin.fetchTopicOffsets('orders')).reduce((n, p) => n + Number(p.high), 0);
    expect(values.has('order 1') || values.has('order 2'), 'the cancelled records never appear').to.equal(false);
    expect(highs, 'nothing delivered twice').to.equal(N - 1);
    expect([...seen.values()].every((n) => n === 1), 'each brook-scheduled-offset once').to.equal(true);
    expect(seen.size).to.equal(N - 1);
  });
});
