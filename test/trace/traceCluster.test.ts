import { expect } from 'chai';
import { Kafka, logLevel } from 'kafkajs';
import { eventually } from '../helpers/eventually';
import { CLUSTER_POLL, ProcessCluster } from '../cluster/helpers/processCluster';
import { brook } from '../ops/cliHarness';

const HTTP_ARGS = ['--console', '--metrics-port', '0', '--metrics-host', '127.0.0.1'];

function httpPort(c: ProcessCluster, nodeId: number): number {
  const line = c.brokers.get(nodeId)!.logs.find((l) => l.msg === 'http listening');
  return typeof line?.port === 'number' ? line.port : 0;
}

interface TraceAnswer {
  traces: Array<{ producer: { clientId: string | null; first: number; last: number } | null; traceEnabled: boolean; unwrittenRanges: number }>;
}

async function traceAt(c: ProcessCluster, nodeId: number, topic: string, offset: number): Promise<TraceAnswer | null> {
  const res = await fetch(`http://127.0.0.1:${httpPort(c, nodeId)}/api/topics/${topic}/trace?partition=0&offset=${offset}`);
  return res.ok ? ((await res.json()) as TraceAnswer) : null;
}

/**
 * Cluster mode: the leader of a traced partition (broker A) records who produced and writes it to
 * the leader of __brook_trace-0 (broker B, over the inter-broker connection); every replica of
 * __brook_trace answers trace queries from its copy, so after kill -9 of B the new leader (and
 * the broker that never recorded anything itself) still shows the producer.
 */
describe('message trace in cluster mode (child-process brokers on etcd, kafkajs)', function () {
  this.timeout(240_000);
  let c: ProcessCluster | undefined;

  afterEach(async () => {
    await c?.stop();
    c = undefined;
  });

  it('a producer recorded on one broker is traced through the __brook_trace leader on another, and after that leader is killed', async () => {
    c = await ProcessCluster.start([1, 2, 3], {}, HTTP_ARGS);
    await eventually(() => [1, 2, 3].every((n) => httpPort(c!, n) > 0), 'every broker serves HTTP', CLUSTER_POLL);
    const admin = await c.adminClient();
    // A first traced write creates __brook_trace; its leader decides where the traced topic goes.
    await admin.createTopics({ topics: [{ topic: 'warmup', numPartitions: 1, replicationFactor: 3, configEntries: [{ name: 'brook.trace.enable', value: 'true' }] }], waitForLeaders: true });
    const warm = new Kafka({ clientId: 'warmup-producer', brokers: c.bootstrap, logLevel: logLevel.NOTHING }).producer();
    await warm.connect();
    await warm.send({ topic: 'warmup', acks: -1, messages: [{ value: 'w' }] });
    await warm.disconnect();
    let traceLeader = -1;
    await eventually(async () => {
      traceLeader = (await c!.partition('__brook_trace', 0)).leader;
      return traceLeader > 0;
    }, '__brook_trace has a leader', CLUSTER_POLL);
    const tracePartition = await c.partition('__brook_trace', 0);
    expect(tracePartition.replicas.length, '__brook_trace is replicated to every broker').to.equal(3);
    const dataLeader = [1, 2, 3].find((n) => n !== traceLeader)!;
    const bystander = [1, 2, 3].find((n) => n !== traceLeader && n !== dataLeader)!;
    await admin.createTopics({
      topics: [{ topic: 'orders', replicaAssignment: [{ partition: 0, replicas: [dataLeader, bystander, traceLeader] }], configEntries: [{ name: 'brook.trace.enable', value: 'true' }] }],
      waitForLeaders: true,
    });
    await eventually(async () => (await c!.partition('orders', 0)).leader === dataLeader, 'orders-0 led by the chosen broker', CLUSTER_POLL);

    const producer = new Kafka({ clientId: 'cluster-trace-client', brokers: c.bootstrap, logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    const [sent] = await producer.send({ topic: 'orders', acks: -1, messages: Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, value: `order ${i}` })) });
    await producer.disconnect();
    const offset = Number(sent!.baseOffset) + 4;

    // acks=all was answered after the identity was acknowledged by __brook_trace's leader: nothing is left unwritten.
    const atDataLeader = await traceAt(c, dataLeader, 'orders', offset);
    expect(atDataLeader?.traces[0]).to.include({ traceEnabled: true, unwrittenRanges: 0 });
    // Every replica of __brook_trace answers from its copy (once the high watermarks moved past the records).
    for (const node of [traceLeader, dataLeader, bystander]) {
      await eventually(async () => (await traceAt(c!, node, 'orders', offset))?.traces[0]?.producer?.clientId === 'cluster-trace-client', `broker ${node} traces the producer`);
    }

    const failures = c.brokers.get(dataLeader)!.logs.filter((l) => l.component === 'trace' && l.level !== 30 && l.level !== 'info');
    expect(failures, 'the data leader wrote to the remote __brook_trace leader without failures').to.deep.equal([]);
    await c.kill9(traceLeader);
    let newLeader = -1;
    await eventually(async () => {
      newLeader = (await c!.partition('__brook_trace', 0)).leader;
      return newLeader > 0 && newLeader !== traceLeader;
    }, 'a new leader for __brook_trace-0', { ...CLUSTER_POLL, ms: 60_000 });
    for (const node of [newLeader, bystander]) {
      const t = await eventually(async () => (await traceAt(c!, node, 'orders', offset)) ?? false, `broker ${node} answers a trace`);
      expect(t.traces[0]!.producer, `broker ${node} after the kill`).to.include({ clientId: 'cluster-trace-client' });
    }

    const cli = await brook(['messages', 'trace', '--http', `http://127.0.0.1:${httpPort(c, newLeader)}`, '--topic', 'orders', '--partition', '0', '--offset', String(offset)]);
    expect(cli.code, cli.stderr).to.equal(0);
    expect(cli.stdout).to.match(/appended by client id "cluster-trace-client"/);

    // Recording goes on: the data leader now writes to the new __brook_trace leader.
    const again = new Kafka({ clientId: 'after-failover-client', brokers: c.bootstrap, logLevel: logLevel.NOTHING }).producer();
    await again.connect();
    const [later] = await again.send({ topic: 'orders', acks: -1, messages: [{ key: 'late', value: 'late order' }] });
    await again.disconnect();
    await eventually(async () => (await traceAt(c!, bystander, 'orders', Number(later!.baseOffset)))?.traces[0]?.producer?.clientId === 'after-failover-client', 'the write after the failover traced');
  });
});
