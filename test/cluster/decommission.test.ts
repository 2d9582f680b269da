import { existsSync, readdirSync } from 'node:fs';
import { expect } from 'chai';
import { Kafka, logLevel } from 'kafkajs';
import { brook } from '../ops/cliHarness';
import { EtcdTestCluster, eventually } from './helpers/etcdCluster';
import { ContinuousProducer, readAll } from './helpers/continuousProducer';

const FAST_REPLICATION = { 'replica.fetch.wait.max.ms': '200', 'replica.fetch.backoff.ms': '200' };
const PARTITIONS = 100;

describe('cluster: brook cluster decommission / rebalance / reassign', function () {
  this.timeout(300_000);
  let c: EtcdTestCluster;

  afterEach(async () => {
    await c?.stop();
  });

  it('decommissions a broker holding 100 partitions under production: every replica moves off it, its logs go, nothing acknowledged is lost', async () => {
    c = await EtcdTestCluster.start([1, 2, 3, 4], { config: FAST_REPLICATION });
    const kafka = new Kafka({ clientId: 'decom', brokers: c.bootstrap, logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 1000 } });
    const admin = kafka.admin();
    await admin.connect();
    // broker 4 holds (and leads) every partition
    const replicas = (p: number) => [4, 1 + (p % 3)];
    // one etcd transaction holds at most 100 keys: create half, add the other half
    const half = PARTITIONS / 2;
    await admin.createTopics({ topics: [{ topic: 'dc', replicaAssignment: Array.from({ length: half }, (_, p) => ({ partition: p, replicas: replicas(p) })) }] });
    await admin.createPartitions({ topicPartitions: [{ topic: 'dc', count: PARTITIONS, assignments: Array.from({ length: half }, (_, i) => replicas(half + i)) }] });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const acked: string[] = [];
    for (let round = 0; round < 10; round++) {
      const messages = Array.from({ length: PARTITIONS }, (_, p) => ({ partition: p, value: `r${round}-p${p}` }));
      await producer.send({ topic: 'dc', acks: -1, messages });
      acked.push(...messages.map((m) => m.value));
    }
    await producer.disconnect();
    const live = await ContinuousProducer.start(c.bootstrap, 'dc', 7);
    await eventually(() => live.acked.length >= 50, 'the live producer under way');

    const res = await brook(['cluster', 'decommission', '--bootstrap-server', c.bootstrap[0]!, '--broker', '4', '--wait-ms', '240000', '--json', '--timeout-ms', '30000']);
    expect(res.code, res.stderr).to.equal(0);
    const out = JSON.parse(res.stdout) as { moves: unknown[]; completed: boolean };
    expect(out.moves).to.have.length(PARTITIONS);
    expect(out.completed).to.equal(true);
    const atEnd = live.acked.length;
    // the producer finds partition 7's new leader through kafkajs's retries (up to 1 s apart): a generous deadline
    await eventually(
      () => {
        expect(live.acked.length, `last producer errors: ${live.errors.slice(-3).join('; ') || 'none'}`).to.be.at.least(atEnd + 50);
        return true;
      },
      'production going on after the decommission',
      60_000,
    );
    await live.stop();

    for (let p = 0; p < PARTITIONS; p++) {
      const s = c.broker(1).services.metadata.partitionState('dc', p)!;
      expect(s.replicas, `dc-${p}`).to.not.include(4);
      expect(s.replicas, `dc-${p}`).to.have.length(2);
      expect(s.addingReplicas, `dc-${p}`).to.equal(undefined);
    }
    // even spread over the three that are left: 200 replicas, 66 or 67 each
    const counts = [1, 2, 3].map((id) => Array.from({ length: PARTITIONS }, (_, p) => c.broker(1).services.metadata.partitionState('dc', p)!.replicas.includes(id)).filter(Boolean).length);
    expect(Math.max(...counts) - Math.min(...counts)).to.be.at.most(1);
    const dir = c.broker(4).config.dataDir;
    await eventually(() => readdirSync(dir).filter((d) => d.startsWith('dc-')).length === 0, "broker 4's dc logs to be deleted");

    // broker 4 can go now: everything acknowledged is read from the others
    await c.stopBroker(4);
    const read = await readAll(c.bootstrap, 'dc', [...acked, ...live.acked], 120_000);
    expect(new Set(read).size).to.equal(read.length);
    await admin.disconnect();
  });

  it('decommissions a broker that died for good: its replicas are rebuilt on the live brokers from the in-sync ones', async () => {
    // the group that reads at the end is the first: its __consumer_offsets is created on the two brokers left
    c = await EtcdTestCluster.start([1, 2, 3], { config: { ...FAST_REPLICATION, 'offsets.topic.replication.factor': '2' } });
    const kafka = new Kafka({ clientId: 'gone', brokers: c.bootstrap, logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 1000 } });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'gone', replicaAssignment: [0, 1, 2, 3].map((p) => ({ partition: p, replicas: p % 2 ? [3, 1] : [1, 3] })) }] });
    // replication factor 3 on three brokers: with one gone for good, only two may hold its replicas
    await admin.createTopics({ topics: [{ topic: 'three', numPartitions: 1, replicationFactor: 3 }] });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const acked = [0, 1, 2, 3].flatMap((p) => Array.from({ length: 25 }, (_, i) => ({ partition: p, value: `g${p}-${i}` })));
    await producer.send({ topic: 'gone', acks: -1, messages: acked });
    await producer.disconnect();
    await c.stopBroker(3);
    await eventually(() => c!.broker(1).services.metadata.brokers().length === 2, 'broker 3 gone');

    // Found by a user: new partitions of a topic went on the brokers left, with a smaller replication factor for good
    const grown = await admin.createPartitions({ topicPartitions: [{ topic: 'three', count: 2 }] }).then(() => 'created', (err: { type?: string; errors?: Array<{ type?: string }> }) => err.type ?? err.errors?.[0]?.type ?? String(err));
    expect(grown).to.equal('INVALID_REPLICATION_FACTOR');
    expect(c.broker(1).services.metadata.topic('three')!.partitions).to.equal(1);
    // Found by a user: the plan silently lowered replication factors ("replication factors kept", said the help)
    const refused = await brook(['cluster', 'decommission', '--bootstrap-server', c.bootstrap[0]!, '--broker', '3', '--timeout-ms', '30000']);
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.match(/would lower the replication factor of 1 partition\(s\) \(three-0 from 3 to 2\).*--allow-lower-replication/);
    expect([...c.broker(1).services.metadata.partitionState('three', 0)!.replicas].sort()).to.deep.equal([1, 2, 3]);
    const res = await brook(['cluster', 'decommission', '--bootstrap-server', c.bootstrap[0]!, '--broker', '3', '--allow-lower-replication', '--wait-ms', '120000', '--timeout-ms', '30000']);
    expect(res.code, res.stderr).to.equal(0);
    expect(res.stdout).to.match(/Broker 3 is not live/);
    expect([...c.broker(1).services.metadata.partitionState('three', 0)!.replicas].sort()).to.deep.equal([1, 2]);
    for (let p = 0; p < 4; p++) expect([...c.broker(1).services.metadata.partitionState('gone', p)!.replicas].sort(), `gone-${p}`).to.deep.equal([1, 2]);
    for (let p = 0; p < 4; p++) await eventually(() => c!.broker(2).services.logs.get('gone', p)?.logEndOffset === 25, `broker 2 to hold gone-${p}`);
    const read = await readAll(c.bootstrap, 'gone', acked.map((m) => m.value));
    expect(read).to.have.length(100);
    await admin.disconnect();
  });

  it('rebalance evens out replicas and leaders after a broker joins; reassign --dry-run only prints', async () => {
    c = await EtcdTestCluster.start([1, 2], { config: FAST_REPLICATION });
    const admin = new Kafka({ clientId: 'rebal', brokers: c.bootstrap, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'rb', numPartitions: 6, replicationFactor: 2 }] });
    await c.startBroker(3);
    await c.awaitRegistered();

    const dry = await brook(['cluster', 'reassign', '--bootstrap-server', c.bootstrap[0]!, '--topic', 'rb', '--brokers', '2,3', '--dry-run']);
    expect(dry.code, dry.stderr).to.equal(0);
    expect(dry.stdout).to.match(/TOPIC\s+PARTITION\s+FROM\s+TO/);
    expect(c.broker(1).services.metadata.partitionState('rb', 0)!.replicas).to.include(1);

    const throttlesSeen: string[] = [];
    c.broker(1).services.dynamicConfigs!.onChange(() => throttlesSeen.push(c!.broker(1).services.dynamicConfigs!.resource('3')['follower.replication.throttled.rate'] ?? 'none'));
    const res = await brook(['cluster', 'rebalance', '--bootstrap-server', c.bootstrap[0]!, '--topic', 'rb', '--wait-ms', '60000', '--timeout-ms', '30000', '--throttle', '50000000']);
    expect(res.code, res.stderr).to.equal(0);
    // the throttle was set on the brokers involved for the move and removed after it
    // (one change per broker resource: the request names three)
    expect(throttlesSeen).to.include('50000000');
    // the removal reaches broker 1 through its etcd watch, which may lag behind the command's answer
    await eventually(() => throttlesSeen[throttlesSeen.length - 1] === 'none', 'the throttle removal to reach broker 1', { ms: 30_000 });
    for (const id of ['1', '2', '3']) expect(c.broker(1).services.dynamicConfigs!.resource(id), `broker ${id}`).to.deep.equal({});
    expect(res.stdout).to.match(/Completed \d+ partition move/);
    const states = Array.from({ length: 6 }, (_, p) => c.broker(3).services.metadata.partitionState('rb', p)!);
    const replicaCounts = [1, 2, 3].map((id) => states.filter((s) => s.replicas.includes(id)).length);
    expect(replicaCounts).to.deep.equal([4, 4, 4]);
    const leaderCounts = [1, 2, 3].map((id) => states.filter((s) => s.leader === id).length);
    expect(leaderCounts).to.deep.equal([2, 2, 2]);
    await eventually(() => existsSync(c.broker(3).config.dataDir) && readdirSync(c.broker(3).config.dataDir).filter((d) => d.startsWith('rb-')).length === 4, 'broker 3 to hold its 4 replicas');
    await admin.disconnect();
  });
});
