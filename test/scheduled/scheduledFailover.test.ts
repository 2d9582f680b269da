import { expect } from 'chai';
import * as path from 'node:path';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { eventually } from '../helpers/eventually';
import { runPython } from '../helpers/python';
import { CLUSTER_POLL, ProcessCluster } from '../cluster/helpers/processCluster';
import { brook } from '../ops/cliHarness';

const CLIENT = path.join(__dirname, 'helpers', 'clusterClient.py');
/** Scheduled records per test, half sent by kafkajs and half by confluent-kafka. */
const N = 2000;
const PARTITIONS = 3;
/** The records fall due evenly over this window, which starts once both producers had time to finish. */
const WINDOW_MS = 8000;
const LEAD_MS = 8000;
const SCHEDULED_OFFSET = 'brook-scheduled-offset';

interface Delivered {
  partition: number;
  offset: number;
  value: string;
  scheduledOffset: string | null;
}

/**
 * kill -9 in the middle of a delivery window (docs/ARCHITECTURE.md, "Scheduled delivery"): 2000 records fall
 * due over 8 s into a 3-partition topic, scheduled by kafkajs and by confluent-kafka (librdkafka) with
 * acks=all; once a consumer sees them arriving, one broker is killed: the leader of `__brook_scheduled` (its
 * scheduler dies mid-round; the new leader replays and settles its open intents), or the leader of a target
 * partition (the scheduler's appends there fail mid-round; it settles against the new leader). Then both
 * clients read the whole topic: every acknowledged record exactly once, nothing else, nothing twice.
 */
describe('scheduled delivery: kill -9 while delivering (3 child-process brokers, kafkajs + confluent-kafka)', function () {
  this.timeout(600_000);
  let c: ProcessCluster | null = null;
  let observer: Consumer | null = null;

  afterEach(async () => {
    // not awaited: with its coordinator killed a kafkajs consumer can take long to leave, and c.stop() ends it anyway
    void observer?.disconnect().catch(() => undefined);
    observer = null;
    await c?.stop();
    c = null;
  });

  /** A 3-broker cluster with `__brook_scheduled` created (by a warm-up schedule) and a topic `orders` laid out so that partition i is led by leaders[i]. */
  async function cluster(): Promise<{ c: ProcessCluster; kafka: Kafka; scheduler: number; leaders: number[] }> {
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
    await eventually(async () => (await admin.fetchTopicOffsets('warmup'))[0]!.high === '1', 'the warm-up record delivered', CLUSTER_POLL);
    const [a, b] = [1, 2, 3].filter((n) => n !== s) as [number, number];
    const leaders = [s, a, b];
    const replicas = leaders.map((l) => [l, ...[1, 2, 3].filter((n) => n !== l)]);
    await admin.createTopics({ topics: [{ topic: 'orders', replicaAssignment: replicas.map((r, partition) => ({ partition, replicas: r })) }], waitForLeaders: true });
    await eventually(async () => {
      for (let p = 0; p < PARTITIONS; p++) if ((await c!.partition('orders', p)).leader !== leaders[p]) return false;
      return true;
    }, 'orders led as assigned', CLUSTER_POLL);
    return { c, kafka, scheduler: s, leaders };
  }

  /** Schedules N records over the window (kafkajs: even i, confluent-kafka: odd i, in two runs), returns what was acknowledged. */
  async function scheduleWindow(kafka: Kafka, bootstrap: string[]): Promise<Set<string>> {
    const firstDue = Date.now() + LEAD_MS;
    const half = N / 2;
    const acked = new Set<string>();
    const viaKafkajs = (async () => {
      const producer = kafka.producer({ retry: { retries: 0 }, idempotent: false });
      await producer.connect();
      try {
        for (let from = 0; from < half; from += 100) {
          const messages = Array.from({ length: 100 }, (_, j) => {
            const i = from + j;
            return { key: `js-${i}`, value: `js-${i}`, partition: i % PARTITIONS, headers: { 'brook-deliver-at': String(firstDue + Math.floor((2 * i * WINDOW_MS) / N)) } };
          });
          // a failed send is not acknowledged: its records may or may not be delivered (at most once, checked below)
          const ok = await producer.send({ topic: 'orders', acks: -1, messages }).then(
            () => true,
            (err: Error) => console.error(`kafkajs: records ${from}.. not acknowledged: ${err.message}`),
          );
          if (ok) for (const m of messages) acked.add(m.value);
        }
      } finally {
        await producer.disconnect();
      }
    })();
    // confluent-kafka spreads its half over the same window (its own even spacing, interleaved with kafkajs')
    const viaPython = runPython([CLIENT, bootstrap.join(','), 'produce', 'orders', String(PARTITIONS), String(half), 'py', String(firstDue + WINDOW_MS / N), String(WINDOW_MS)]).then((out) => {
      if (out.code !== 0) throw new Error(`confluent-kafka producer failed (${out.code}): ${out.err}`);
      const res = JSON.parse(out.out) as { acked: string[]; failed: Array<[string, string]> };
      for (const v of res.acked) acked.add(v);
      if (res.failed.length > 0) console.error('confluent-kafka: not acknowledged', res.failed.slice(0, 5));
    });
    await Promise.all([viaKafkajs, viaPython]);
    return acked;
  }

  /** A kafkajs consumer that records every (partition, offset) it is handed, as delivery goes on. */
  async function observe(kafka: Kafka, seen: Map<string, string>): Promise<void> {
    observer = kafka.consumer({ groupId: `observer-${Date.now()}` });
    await observer.connect();
    await observer.subscribe({ topic: 'orders', fromBeginning: true });
    await observer.run({ eachMessage: async ({ partition, message }) => void seen.set(`${partition}:${message.offset}`, message.value!.toString()) });
  }

  /**
   * Every record of `orders` up to its high watermarks, read by kafkajs consumer groups on the surviving
   * brokers, kept by (partition, offset) so that a rebalance handing some records out again does not count
   * twice. A consumer that crashes (its coordinator moving after the kill) is replaced by a new one.
   */
  async function readWithKafkajs(c: ProcessCluster): Promise<Delivered[]> {
    const kafka = new Kafka({ brokers: c.bootstrap, logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 200 } });
    const highs = await (await c.adminClient()).fetchTopicOffsets('orders');
    const got = new Map<string, Delivered>();
    const perPartition = new Map<number, number>();
    const complete = () => highs.every((h) => (perPartition.get(h.partition) ?? 0) >= Number(h.high) - Number(h.low));
    await eventually(
      async () => {
        const consumer = kafka.consumer({ groupId: `read-orders-${Date.now()}` });
        let crashed: Error | null = null;
        consumer.on(consumer.events.CRASH, (e) => void (crashed = e.payload.error));
        try {
          await consumer.connect();
          await consumer.subscribe({ topic: 'orders', fromBeginning: true });
          await consumer.run({
            eachMessage: async ({ partition, message }) => {
              const id = `${partition}:${message.offset}`;
              if (got.has(id)) return;
              got.set(id, { partition, offset: Number(message.offset), value: message.value!.toString(), scheduledOffset: message.headers?.[SCHEDULED_OFFSET]?.toString() ?? null });
              perPartition.set(partition, (perPartition.get(partition) ?? 0) + 1);
            },
          });
          return await eventually(() => {
            if (crashed) throw crashed;
            return complete();
          }, 'kafkajs reads orders up to its high watermarks', 60_000);
        } finally {
          await consumer.disconnect().catch(() => undefined);
        }
      },
      'a kafkajs read of orders',
      { ...CLUSTER_POLL, ms: 240_000 },
    );
    return [...got.values()];
  }

  /**
   * Waits until no schedule of `orders` is pending in the committed journal (so nothing can be delivered any
   * more), then reads the whole topic with kafkajs and with confluent-kafka and checks: every acknowledged
   * record exactly once, nothing that was not scheduled, each brook-scheduled-offset once, both reads equal.
   */
  async function expectExactlyOnce(c: ProcessCluster, acked: Set<string>): Promise<void> {
    // Every partition involved led by a live broker again, asked of one live broker directly: until then the
    // CLI finds no journal to read (an empty list) and kafkajs' offset lookups can stall on the dead leader.
    const live = [...c.brokers.keys()];
    await eventually(async () => {
      for (const [topic, p] of [['__brook_scheduled', 0], ...Array.from({ length: PARTITIONS }, (_, i) => ['orders', i] as const)] as const) {
        if (!live.includes((await c.partitionAt(live[0]!, topic, p)).leader)) return false;
      }
      return true;
    }, 'the failover done', CLUSTER_POLL);
    const conn = ['--bootstrap-server', c.bootstrap.join(',')];
    let left = -1;
    try {
      await eventually(async () => {
        const out = await brook(['scheduled', 'list', ...conn, '--json', '-t', 'orders']);
        if (out.code !== 0 || (left = (JSON.parse(out.stdout) as { records: unknown[] }).records.length) !== 0) return false;
        // and (so that a list that read nothing cannot pass for one) every acknowledged record is in orders
        return (await (await c.adminClient()).fetchTopicOffsets('orders')).reduce((n, p) => n + Number(p.high), 0) >= acked.size;
      }, 'no schedule of orders pending in __brook_scheduled, every acknowledged one delivered', { ...CLUSTER_POLL, ms: 180_000, intervalMs: 500 });
    } catch (err) {
      console.error(`still pending: ${left}`);
      for (const [id, broker] of c.brokers) console.error(id, JSON.stringify(broker.logs.filter((l) => l.component === 'scheduled' && (Number(l.level) >= 40 || String(l.msg).includes('settle'))).slice(-15)));
      throw err;
    }

    const js = await readWithKafkajs(c);
    const out = await runPython([CLIENT, c.bootstrap.join(','), 'read', 'orders', String(PARTITIONS)]);
    expect(out.code, out.err).to.equal(0);
    const py: Delivered[] = out.out
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l) as { p: number; o: number; v: string; s: string | null })
      .map((r) => ({ partition: r.p, offset: r.o, value: r.v, scheduledOffset: r.s }));

    for (const [client, records] of [['kafkajs', js], ['confluent-kafka', py]] as const) {
      const count = new Map<string, number>();
      for (const r of records) count.set(r.value, (count.get(r.value) ?? 0) + 1);
      const twice = [...count].filter(([, n]) => n > 1).map(([v]) => v);
      const lost = [...acked].filter((v) => !count.has(v));
      const foreign = [...count.keys()].filter((v) => !/^(js|py)-\d+$/.test(v));
      expect(twice, `${client}: delivered twice`).to.deep.equal([]);
      expect(lost, `${client}: acknowledged but never delivered`).to.deep.equal([]);
      expect(foreign, `${client}: records nobody scheduled`).to.deep.equal([]);
      const ids = new Set(records.map((r) => r.scheduledOffset));
      expect(ids.size, `${client}: one record per ${SCHEDULED_OFFSET}`).to.equal(records.length);
      expect(records.every((r) => r.scheduledOffset !== null)).to.equal(true);
    }
    const key = (r: Delivered) => `${r.partition}:${r.offset}:${r.value}`;
    expect(py.map(key).sort(), 'both clients read the same records').to.deep.equal(js.map(key).sort());
    const highs = await (await c.adminClient()).fetchTopicOffsets('orders');
    expect(highs.reduce((n, p) => n + Number(p.high), 0), 'the partitions hold nothing more').to.equal(js.length);
  }

  it('kill -9 of the __brook_scheduled leader while records fall due: the new leader delivers every acknowledged record exactly once', async () => {
    const { c, kafka, scheduler } = await cluster();
    const acked = await scheduleWindow(kafka, c.bootstrap);
    expect(acked.size, 'the schedules acknowledged (no fault yet; a refused one is checked delivered at most once)').to.be.greaterThan(N * 0.9);
    const seen = new Map<string, string>();
    await observe(kafka, seen);
    await eventually(() => seen.size >= N / 4, 'a quarter of the records delivered', { ms: 120_000, intervalMs: 20 });
    const atKill = seen.size;
    await c.kill9(scheduler);
    expect(atKill, 'the kill landed while records were still falling due').to.be.lessThan(N);
    console.log(`      killed the scheduler's broker ${scheduler} with ${atKill} of ${N} records seen delivered`);
    await expectExactlyOnce(c, acked);
  });

  it("kill -9 of a target partition's leader while records fall due into it: every acknowledged record exactly once", async () => {
    const { c, kafka, leaders } = await cluster();
    const acked = await scheduleWindow(kafka, c.bootstrap);
    expect(acked.size, 'the schedules acknowledged (no fault yet; a refused one is checked delivered at most once)').to.be.greaterThan(N * 0.9);
    // orders-1 is led by a broker that does not run the scheduler: its appends there are remote
    const victim = leaders[1]!;
    const seen = new Map<string, string>();
    await observe(kafka, seen);
    const intoVictim = () => [...seen.keys()].filter((k) => k.startsWith('1:')).length;
    await eventually(() => intoVictim() >= N / PARTITIONS / 4, `a quarter of orders-1's records delivered`, { ms: 120_000, intervalMs: 20 });
    const atKill = intoVictim();
    await c.kill9(victim);
    expect(atKill, 'the kill landed while records were still falling due into orders-1').to.be.lessThan(Math.floor(N / PARTITIONS));
    console.log(`      killed orders-1's leader ${victim} with ${atKill} of its ${Math.ceil(N / PARTITIONS)} records seen delivered`);
    await expectExactlyOnce(c, acked);
  });
});
