import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { createLogger } from '../../src/log';
import { PYTHON, ProcessMember } from './processMember';
import { eventually } from '../helpers/eventually';

/** Short timeouts so rebalances happen in test time; the broker floor must allow them. */
const BROKER_CONFIG = {
  'num.partitions': '6',
  'group.initial.rebalance.delay.ms': '500',
  'group.min.session.timeout.ms': '1000',
};

function kafkaFor(b: TestBroker, clientId: string): Kafka {
  return new Kafka({ brokers: [b.bootstrap], clientId, logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
}

async function produce(producer: Producer, topic: string, values: string[]): Promise<void> {
  await producer.send({ topic, messages: values.map((v, i) => ({ key: `k${i}`, value: v })) });
}

/**
 * One marker record per partition after the data. A consumer that has read all of them has read everything
 * before them, duplicates included, so "nothing more arrives" can be judged without a fixed wait.
 */
async function produceMarkers(producer: Producer, topic: string, partitions = 6): Promise<string[]> {
  const markers = Array.from({ length: partitions }, (_, p) => `marker-${topic}-${p}`);
  await producer.send({ topic, messages: markers.map((value, partition) => ({ partition, value })) });
  return markers;
}

function range(prefix: string, from: number, to: number): string[] {
  return Array.from({ length: to - from }, (_, i) => `${prefix}${from + i}`);
}

/** Every partition's consumed offsets, checked for gaps: nothing skipped from 0 to the highest seen. */
function assertNoGaps(offsetsByPartition: Map<number, Set<number>>): void {
  for (const [p, offsets] of offsetsByPartition) {
    const max = Math.max(...offsets);
    for (let o = 0; o <= max; o++) expect(offsets.has(o), `partition ${p} offset ${o} skipped`).to.equal(true);
  }
}

/** Runs the kafka-python consumer script: joins, reads `count` messages, commits, leaves. */
function kafkaPythonConsume(bootstrap: string, topic: string, group: string, count: number) {
  return new Promise<{ values: string[]; committed: Record<string, number> }>((resolve, reject) => {
    const child = spawn(PYTHON, [join(__dirname, 'drivers', 'kafka_python_consume.py'), bootstrap, topic, group, String(count)]);
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => {
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()!));
      } catch {
        reject(new Error(`kafka-python exited ${code}: ${err.slice(-1500)}`));
      }
    });
  });
}

describe('consumer groups with real clients', function () {
  this.timeout(120_000);
  let broker: TestBroker;
  let producer: Producer;
  const consumers: Consumer[] = [];
  const processes: ProcessMember[] = [];

  beforeEach(async () => {
    // BROOK_TEST_LOG=info shows the coordinator's decisions when a run needs explaining.
    const logger = process.env.BROOK_TEST_LOG ? createLogger(process.env.BROOK_TEST_LOG as 'info') : undefined;
    broker = await startTestBroker({ config: BROKER_CONFIG, logger });
    producer = kafkaFor(broker, 'producer').producer({ allowAutoTopicCreation: true });
    await producer.connect();
  });

  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((c) => c.disconnect().catch(() => undefined)));
    await Promise.all(processes.splice(0).map((p) => p.kill().catch(() => undefined)));
    await producer.disconnect();
    await broker.destroy();
  });

  it('kafkajs: three groups each read every message of the same topic exactly once', async () => {
    const values = range('fan-', 0, 90);
    await produce(producer, 'fanout', values);
    const seen = new Map<string, string[]>();
    for (const g of ['ga', 'gb', 'gc']) {
      const c = kafkaFor(broker, g).consumer({ groupId: g, sessionTimeout: 6000, heartbeatInterval: 500 });
      consumers.push(c);
      seen.set(g, []);
      await c.connect();
      await c.subscribe({ topic: 'fanout', fromBeginning: true });
      await c.run({ eachMessage: async ({ message }) => void seen.get(g)!.push(message.value!.toString()) });
    }
    await eventually(() => [...seen.values()].every((v) => v.length >= 90), 'every group to read 90 messages', 30_000);
    const markers = await produceMarkers(producer, 'fanout');
    await eventually(() => [...seen.values()].every((got) => markers.every((m) => got.includes(m))), 'every group to read the markers', 30_000);
    for (const [g, got] of seen) expect(got.filter((v) => !markers.includes(v)).sort(), g).to.deep.equal([...values].sort());
  });

  it('kafkajs, confluent-kafka and kafka-python: three groups of different clients each read every message once', async () => {
    const values = range('mix-', 0, 60);
    await produce(producer, 'mixed', values);
    const js: string[] = [];
    const c = kafkaFor(broker, 'mix-js').consumer({ groupId: 'mix-kafkajs', sessionTimeout: 6000, heartbeatInterval: 500 });
    consumers.push(c);
    await c.connect();
    await c.subscribe({ topic: 'mixed', fromBeginning: true });
    await c.run({ eachMessage: async ({ message }) => void js.push(message.value!.toString()) });
    const rd = new ProcessMember(broker.bootstrap, 'mixed', 'mix-confluent', 6000);
    processes.push(rd);
    const py = await kafkaPythonConsume(broker.bootstrap, 'mixed', 'mix-kafka-python', 60);
    await eventually(() => js.length >= 60 && rd.messages.length >= 60, 'kafkajs and confluent-kafka groups to read 60', 30_000);
    expect([...js].sort(), 'kafkajs').to.deep.equal([...values].sort());
    expect(rd.messages.map((m) => m.v!).sort(), 'confluent-kafka').to.deep.equal([...values].sort());
    expect([...py.values].sort(), 'kafka-python').to.deep.equal([...values].sort());
  });

  it('kafkajs: a group of three members splits 6 partitions two each and consumes each message once', async () => {
    await produce(producer, 'split', ['warm-up']);
    const assignments = new Map<string, number[]>();
    const consumedBy = new Map<string, string>();
    const dupes: string[] = [];
    for (const name of ['m1', 'm2', 'm3']) {
      const c = kafkaFor(broker, name).consumer({ groupId: 'splitters', sessionTimeout: 6000, heartbeatInterval: 500 });
      consumers.push(c);
      c.on(c.events.GROUP_JOIN, (e) => assignments.set(name, e.payload.memberAssignment['split'] ?? []));
      await c.connect();
      await c.subscribe({ topic: 'split', fromBeginning: true });
      await c.run({
        eachMessage: async ({ message }) => {
          const v = message.value!.toString();
          if (consumedBy.has(v)) dupes.push(v);
          consumedBy.set(v, name);
        },
      });
    }
    const settled = () => {
      if (assignments.size !== 3) return false;
      const all = [...assignments.values()].flat().sort();
      return all.join() === '0,1,2,3,4,5' && [...assignments.values()].every((a) => a.length === 2);
    };
    await eventually(settled, 'a 2/2/2 split of the six partitions', 30_000);
    const values = range('split-', 0, 120);
    await produce(producer, 'split', values);
    await eventually(() => values.every((v) => consumedBy.has(v)), 'all 120 messages', 30_000);
    expect(dupes).to.deep.equal([]);
    const members = new Set(values.map((v) => consumedBy.get(v)));
    expect(members.size).to.equal(3);
  });

  it('confluent-kafka: a killed member loses its partitions to the survivors after the session timeout, nothing skipped', async () => {
    await produce(producer, 'crash', ['c-first']);
    const sessionMs = 3000;
    for (let i = 0; i < 3; i++) processes.push(new ProcessMember(broker.bootstrap, 'crash', 'crashers', sessionMs));
    const total = () => processes.filter((p) => !p.exited).reduce((n, p) => n + p.assignment.length, 0);
    await eventually(() =>
      total() === 6 && processes.every((p) => p.assignment.length === 2), 'three members holding all six partitions', 60_000);
    await produce(producer, 'crash', range('c-', 0, 60));
    const consumed = () => new Set(processes.flatMap((p) => p.messages.map((m) => m.v!)));
    await eventually(() => range('c-', 0, 60).every((v) => consumed().has(v)), 'first 60 consumed', 30_000);

    const victim = processes[2];
    const orphaned = victim.assignment;
    const killedAt = Date.now();
    await victim.kill();
    await produce(producer, 'crash', range('c-', 60, 120));
    const survivors = processes.slice(0, 2);
    await eventually(() =>
      survivors.reduce((n, p) => n + p.assignment.length, 0) === 6, 'survivors to take over all six partitions', 30_000);
    const takeoverMs = Date.now() - killedAt;
    const taken = survivors.flatMap((p) => p.assignment);
    for (const p of orphaned) expect(taken).to.include(p);
    // Not before the session timeout: the coordinator cannot tell a crash from a pause sooner.
    expect(takeoverMs).to.be.greaterThan(sessionMs - 500);
    await eventually(() => range('c-', 0, 120).every((v) => consumed().has(v)), 'all 120 messages consumed by someone', 30_000);
    const byPartition = new Map<number, Set<number>>();
    for (const p of processes) for (const m of p.messages) {
      if (!byPartition.has(m.p!)) byPartition.set(m.p!, new Set());
      byPartition.get(m.p!)!.add(m.o!);
    }
    assertNoGaps(byPartition);
  });

  it('confluent-kafka: a static member killed and restarted within its session keeps its assignment without a rebalance', async () => {
    await produce(producer, 'static', ['s-first']);
    const sessionMs = 10_000;
    const a = new ProcessMember(broker.bootstrap, 'static', 'statics', sessionMs, 'instance-a');
    const b = new ProcessMember(broker.bootstrap, 'static', 'statics', sessionMs, 'instance-b');
    processes.push(a, b);
    await eventually(() => a.assignment.length === 3 && b.assignment.length === 3, 'a 3/3 split', 60_000);
    const before = b.assignment;
    const aRevocations = a.count('revoked');
    const aAssignments = a.count('assigned');
    await b.kill();
    const b2 = new ProcessMember(broker.bootstrap, 'static', 'statics', sessionMs, 'instance-b');
    processes.push(b2);
    await eventually(() => b2.assignment.length > 0, 'the restarted static member to get its partitions', 30_000);
    expect(b2.assignment).to.deep.equal(before);
    await produce(producer, 'static', range('s-', 0, 30));
    await eventually(() => a.messages.length + b2.messages.length + b.messages.length >= 31, 'both members consuming', 30_000);
    expect(a.count('revoked')).to.equal(aRevocations);
    expect(a.count('assigned')).to.equal(aAssignments);
  });

  it('confluent-kafka cooperative-sticky: members join and leave incrementally, partitions move without loss', async () => {
    await produce(producer, 'coop', ['coop-first']);
    const sessionMs = 6000;
    const a = new ProcessMember(broker.bootstrap, 'coop', 'cooperators', sessionMs, undefined, 'cooperative-sticky');
    processes.push(a);
    await eventually(() => a.assignment.length === 6, 'the first member holding all six', 60_000);
    const b = new ProcessMember(broker.bootstrap, 'coop', 'cooperators', sessionMs, undefined, 'cooperative-sticky');
    const c = new ProcessMember(broker.bootstrap, 'coop', 'cooperators', sessionMs, undefined, 'cooperative-sticky');
    processes.push(b, c);
    await eventually(() => [a, b, c].every((m) => m.assignment.length === 2), 'a 2/2/2 cooperative split', 60_000);
    // Cooperative: a gave up only what moved; it was never told to drop everything.
    expect(a.events.filter((e) => e.ev === 'revoked').every((e) => e.partitions!.length < 6)).to.equal(true);
    await produce(producer, 'coop', range('co-', 0, 60));
    const consumed = () => new Set(processes.flatMap((p) => p.messages.map((m) => m.v!)));
    await eventually(() => range('co-', 0, 60).every((v) => consumed().has(v)), 'first 60 consumed', 30_000);
    await c.stop();
    await eventually(() => a.assignment.length + b.assignment.length === 6, 'a and b holding all six after c left', 30_000);
    await produce(producer, 'coop', range('co-', 60, 120));
    await eventually(() => range('co-', 0, 120).every((v) => consumed().has(v)), 'all 120 consumed', 30_000);
  });

  it('kafka-python: commit, restart Brook, resume right after the last commit', async () => {
    const values = range('r-', 0, 100);
    await produce(producer, 'resume', values);
    const runConsumer = (count: number) => kafkaPythonConsume(broker.bootstrap, 'resume', 'resumers', count);
    const first = await runConsumer(40);
    expect(first.values).to.have.length(40);

    await producer.disconnect();
    const dataDir = broker.dataDir;
    await broker.close();
    broker = await startTestBroker({ dataDir, config: BROKER_CONFIG });
    producer = kafkaFor(broker, 'producer').producer();
    await producer.connect();
    // the member left before the restart (kafka-python's close sends LeaveGroup): the group reloads Empty, so the
    // next member is assigned at once instead of waiting out the departed one's session
    const admin = kafkaFor(broker, 'admin').admin();
    await admin.connect();
    const { groups } = await admin.describeGroups(['resumers']);
    await admin.disconnect();
    expect(groups[0]).to.deep.include({ state: 'Empty', members: [] });

    const second = await runConsumer(60);
    expect(second.values).to.have.length(60);
    expect([...first.values, ...second.values].sort()).to.deep.equal([...values].sort());
  });
});
