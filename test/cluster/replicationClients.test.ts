import { expect } from 'chai';
import { Kafka, logLevel } from 'kafkajs';
import { MemoryCluster } from '../helpers/memoryCluster';
import { runPython } from '../helpers/python';
import { eventually } from '../helpers/eventually';
import { coordinatorOf } from '../helpers/coordinators';

/**
 * Creates `__consumer_offsets` while every broker is up (as Kafka's test harness does): a cluster creates it
 * only with as many live brokers as offsets.topic.replication.factor, and these tests first read after a kill.
 */
async function offsetsTopicReady(c: MemoryCluster): Promise<void> {
  await coordinatorOf(c.broker(1).port, 'warm-up');
  await c.settled();
}

/** Checks that per partition the values read are exactly the ones acknowledged, once each, in send order. */
function expectExactlyOnceInOrder(acked: Map<number, string[]>, read: Map<number, string[]>): void {
  for (const [p, values] of acked) expect(read.get(p) ?? [], `partition ${p}`).to.deep.equal(values);
}

describe('cluster: real clients against replicated partitions', function () {
  this.timeout(120_000);
  let c: MemoryCluster;

  afterEach(async () => {
    await c?.stop();
  });

  it('kafkajs: an idempotent acks=all producer keeps going through a leader failover, and a consumer group reads every acked message once, in order', async () => {
    c = await MemoryCluster.start({ brokers: 3 });
    await c.createTopic('kjs', 3, 3);
    const kafka = new Kafka({ clientId: 'brook-repl', brokers: c.bootstrap, logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 1000 } });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const acked = new Map<number, string[]>();
    const send = async (i: number) => {
      const partition = i % 3;
      const value = `m${i}`;
      await producer.send({ topic: 'kjs', acks: -1, messages: [{ partition, value }] });
      acked.set(partition, [...(acked.get(partition) ?? []), value]);
    };
    for (let i = 0; i < 30; i++) await send(i);
    await offsetsTopicReady(c);
    const victim = c.leaderOf('kjs', 0);
    await c.killBroker(victim);
    expect(c.leaderOf('kjs', 0)).to.not.equal(victim);
    for (let i = 30; i < 60; i++) await send(i);
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: 'repl-readers', retry: { retries: 10, initialRetryTime: 100 } });
    await consumer.connect();
    await consumer.subscribe({ topic: 'kjs', fromBeginning: true });
    const read = new Map<number, string[]>();
    let total = 0;
    const done = new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          read.set(partition, [...(read.get(partition) ?? []), message.value!.toString()]);
          if (++total === 60) resolve();
        },
      });
    });
    await Promise.race([done, new Promise((_, reject) => setTimeout(() => reject(new Error(`read ${total} of 60`)), 60_000))]);
    await consumer.disconnect();
    expectExactlyOnceInOrder(acked, read);
  });

  it('librdkafka (confluent-kafka): the leader dies while an idempotent acks=all producer writes; every acked message is read once, in order', async () => {
    c = await MemoryCluster.start({ brokers: 3 });
    await c.createTopic('rdk', 2, 3);
    await offsetsTopicReady(c);
    const bootstrap = c.bootstrap.join(',');
    const victim = c.leaderOf('rdk', 0);
    const producing = runPython([`${__dirname}/drivers/rdkafka_numbered.py`, JSON.stringify({ op: 'produce', bootstrap, topic: 'rdk', partitions: 2, from: 0, count: 400, delayMs: 4 })]);
    const victimLog = c.broker(victim).services.logs.get('rdk', 0)!;
    await eventually(() => victimLog.highWatermark >= 40, 'the producer under way', 30_000);
    await c.killBroker(victim);
    const produced = await producing;
    expect(produced.code, produced.err).to.equal(0);
    const out = JSON.parse(produced.out) as { acked: Record<string, number[]>; errors: string[] };
    expect(out.errors).to.deep.equal([]);
    // after the kill, partition 0 kept taking writes on its new leader
    expect(out.acked['0']!.length).to.equal(200);
    const consumed = await runPython([`${__dirname}/drivers/rdkafka_numbered.py`, JSON.stringify({ op: 'consume', bootstrap: c.bootstrap.join(','), topic: 'rdk', expected: 400, group: 'rdk-readers' })]);
    expect(consumed.code, consumed.err).to.equal(0);
    const r = JSON.parse(consumed.out) as { read: Record<string, number[]> };
    for (const p of ['0', '1']) expect(r.read[p], `partition ${p}`).to.deep.equal(out.acked[p]);
  });

  it('kafkajs transactions on RF=3: after the data leader dies, a read_committed group on the new leader sees every committed message and none of the aborted ones', async () => {
    c = await MemoryCluster.start({ brokers: 3 });
    await c.createTopic('txd', 1, 3);
    const kafka = new Kafka({ clientId: 'brook-repl-txn', brokers: c.bootstrap, logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 1000 } });
    const producer = kafka.producer({ transactionalId: 'repl-txn', idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const committed: string[] = [];
    for (let t = 0; t < 6; t++) {
      const tx = await producer.transaction();
      const values = [`t${t}-a`, `t${t}-b`];
      await tx.send({ topic: 'txd', messages: values.map((value) => ({ partition: 0, value })) });
      if (t % 3 === 2) {
        await tx.abort();
      } else {
        await tx.commit();
        committed.push(...values);
      }
    }
    await producer.disconnect();
    await offsetsTopicReady(c);
    const victim = c.leaderOf('txd', 0);
    await c.killBroker(victim);
    expect(c.leaderOf('txd', 0)).to.not.equal(victim);

    const consumer = kafka.consumer({ groupId: 'repl-txn-readers', readUncommitted: false, retry: { retries: 10, initialRetryTime: 100 } });
    await consumer.connect();
    await consumer.subscribe({ topic: 'txd', fromBeginning: true });
    const read: string[] = [];
    const done = new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          read.push(message.value!.toString());
          if (read.length === committed.length) resolve();
        },
      });
    });
    await Promise.race([done, new Promise((_, reject) => setTimeout(() => reject(new Error(`read ${read.length} of ${committed.length}`)), 60_000))]);
    await consumer.disconnect();
    expect(read).to.deep.equal(committed);
  });

  it('rolling restarts under load: each broker in turn is stopped and brought back while librdkafka writes; every acked message read once in order, replicas identical', async () => {
    c = await MemoryCluster.start({ brokers: 3, config: { 'replica.lag.time.max.ms': '2000' } });
    await c.createTopic('roll', 3, 3, { 'min.insync.replicas': '2' });
    const total = 1800;
    const producing = runPython([`${__dirname}/drivers/rdkafka_numbered.py`, JSON.stringify({ op: 'produce', bootstrap: c.bootstrap.join(','), topic: 'roll', partitions: 3, from: 0, count: total, delayMs: 3, timeoutMs: 120000 })]);
    const committed = () => [0, 1, 2].reduce((n, p) => n + (c.brokers.get(c.leaderOf('roll', p))?.services.logs.get('roll', p)?.highWatermark ?? 0), 0);
    for (const [round, id] of [1, 2, 3].entries()) {
      const target = Math.floor(((round + 1) * total) / 4);
      await eventually(() => committed() >= target, `${target} records committed`, 60_000);
      await c.killBroker(id);
      await eventually(() => committed() >= target + 50, 'writes continue without it', 60_000);
      await c.restartBroker(id);
      await eventually(() => [0, 1, 2].every((p) => c.state('roll', p).isr.length === 3), 'every partition fully in sync again', 60_000);
    }
    const produced = await producing;
    expect(produced.code, produced.err).to.equal(0);
    const out = JSON.parse(produced.out) as { acked: Record<string, number[]>; errors: string[] };
    expect(out.errors).to.deep.equal([]);
    const consumed = await runPython([`${__dirname}/drivers/rdkafka_numbered.py`, JSON.stringify({ op: 'consume', bootstrap: c.bootstrap.join(','), topic: 'roll', expected: total, group: 'roll-readers' })]);
    expect(consumed.code, consumed.err).to.equal(0);
    const read = (JSON.parse(consumed.out) as { read: Record<string, number[]> }).read;
    for (const p of ['0', '1', '2']) expect(read[p], `partition ${p}`).to.deep.equal(out.acked[p]);
    for (const p of [0, 1, 2]) {
      const leaderLog = c.broker(c.leaderOf('roll', p)).services.logs.get('roll', p)!;
      await eventually(() => [1, 2, 3].every((id) => c.broker(id).services.logs.get('roll', p)!.logEndOffset === leaderLog.logEndOffset), `partition ${p} replicas at the leader end`);
      const bytes = await Promise.all([1, 2, 3].map(async (id) => Buffer.concat((await c.broker(id).services.logs.get('roll', p)!.read(0, 64 << 20)).chunks)));
      expect(bytes[1]!.equals(bytes[0]!) && bytes[2]!.equals(bytes[0]!), `partition ${p} replicas byte for byte`).to.equal(true);
    }
  });
});
