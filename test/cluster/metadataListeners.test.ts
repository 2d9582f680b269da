import { expect } from 'chai';
import { Kafka, logLevel } from 'kafkajs';
import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/generated/apis';
import type { DescribeClusterResponse } from '../../protocol/generated/messages/DescribeClusterResponse';
import type { FindCoordinatorResponse } from '../../protocol/generated/messages/FindCoordinatorResponse';
import type { MetadataResponse } from '../../protocol/generated/messages/MetadataResponse';
import type { SaslAuthenticateResponse } from '../../protocol/generated/messages/SaslAuthenticateResponse';
import type { SaslHandshakeResponse } from '../../protocol/generated/messages/SaslHandshakeResponse';
import type { TestBroker } from '../helpers/broker';
import { startEtcd, type TestEtcd } from '../helpers/etcd';
import { RawClient } from '../helpers/rawClient';
import { plainJaas } from '../helpers/secureBroker';
import { EtcdTestCluster, eventually } from './helpers/etcdCluster';

const USERS = { alice: 'alice-secret' };

const TWO_LISTENERS = {
  listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
  'listener.name.sasl_plaintext.plain.sasl.jaas.config': plainJaas(USERS),
};

function portOf(b: TestBroker, name: string): number {
  const l = b.listeners.find((x) => x.name === name);
  if (!l) throw new Error(`no listener ${name}`);
  return l.advertised.port;
}

/** A raw connection to a SASL_PLAINTEXT listener, authenticated as alice with PLAIN. */
async function saslClient(port: number): Promise<RawClient> {
  const c = await RawClient.connect(port);
  const hs = await c.request<SaslHandshakeResponse>(ApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' });
  expect(hs.errorCode).to.equal(0);
  const auth = await c.request<SaslAuthenticateResponse>(ApiKey.SaslAuthenticate, 2, { authBytes: Buffer.from(`\u0000alice\u0000${USERS.alice}`) });
  expect(auth.errorCode).to.equal(0);
  return c;
}

describe('cluster: every broker answered on the listener the request came in on', function () {
  this.timeout(120_000);
  let etcd: TestEtcd;
  let cluster: EtcdTestCluster;

  before(async () => {
    etcd = await startEtcd();
    cluster = await EtcdTestCluster.start([1, 2, 3], { etcd, config: TWO_LISTENERS });
    // broker 4 has no SASL listener: SASL clients are never sent to it
    await cluster.startBroker(4, { listeners: 'PLAINTEXT://127.0.0.1:0' });
    for (const b of cluster.brokers.values()) await eventually(() => b.services.metadata.brokers().length === 4, 'four brokers everywhere');
    await cluster.broker(1).services.metadata.createTopic('by-listener', { assignment: [[1, 2], [2, 3], [3, 1]] });
    await cluster.broker(1).services.metadata.createTopic('on-plain-only', { assignment: [[4]] });
  });
  after(async () => {
    await cluster?.stop();
    await etcd?.stop();
  });

  const saslPorts = () => new Map([1, 2, 3].map((id) => [id, portOf(cluster.broker(id), 'SASL_PLAINTEXT')]));
  const plainPorts = () => new Map([1, 2, 3, 4].map((id) => [id, portOf(cluster.broker(id), 'PLAINTEXT')]));

  /** Each group's coordinator as a PLAINTEXT client is told (every broker has that listener). */
  async function coordinatorsOnPlaintext(groups: string[]): Promise<Map<string, number>> {
    const c = await RawClient.connect(plainPorts().get(1)!);
    try {
      return await eventually(async () => {
        const fc = await c.request<FindCoordinatorResponse>(ApiKey.FindCoordinator, 4, { key: '', keyType: 0, coordinatorKeys: groups });
        if (fc.coordinators.some((x) => x.errorCode !== 0)) return undefined;
        return new Map(fc.coordinators.map((x) => [x.key, x.nodeId]));
      }, 'group coordinators');
    } finally {
      c.close();
    }
  }
  const GROUPS = Array.from({ length: 12 }, (_, i) => `g${i}`);

  it('registers every listener of a broker in etcd', () => {
    const seen = cluster.broker(2).services.metadata.brokers().find((b) => b.nodeId === 1)!;
    expect(seen.endpoints).to.deep.equal({
      PLAINTEXT: { host: '127.0.0.1', port: portOf(cluster.broker(1), 'PLAINTEXT') },
      SASL_PLAINTEXT: { host: '127.0.0.1', port: portOf(cluster.broker(1), 'SASL_PLAINTEXT') },
    });
    // the registered host/port stay the inter-broker listener's (replica fetchers use them)
    expect(seen.port).to.equal(portOf(cluster.broker(1), 'PLAINTEXT'));
  });

  it('Metadata, DescribeCluster and FindCoordinator on a SASL listener name SASL addresses only, leaving out a broker without that listener', async () => {
    for (const asked of [1, 2, 3]) {
      const c = await saslClient(saslPorts().get(asked)!);
      try {
        const md = await c.request<MetadataResponse>(ApiKey.Metadata, 12, { topics: [{ name: 'by-listener', topicId: Buffer.alloc(16) }, { name: 'on-plain-only', topicId: Buffer.alloc(16) }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
        expect(new Map(md.brokers.map((b) => [b.nodeId, b.port]))).to.deep.equal(saslPorts());
        const byListener = md.topics.find((t) => t.name === 'by-listener')!;
        expect(byListener.partitions.map((p) => [p.partitionIndex, p.errorCode, p.leaderId]).sort()).to.deep.equal([[0, 0, 1], [1, 0, 2], [2, 0, 3]]);
        // its leader is alive but unreachable from this listener: Kafka's LISTENER_NOT_FOUND without a leader
        const plainOnly = md.topics.find((t) => t.name === 'on-plain-only')!.partitions[0]!;
        expect([plainOnly.errorCode, plainOnly.leaderId]).to.deep.equal([ErrorCode.LISTENER_NOT_FOUND, -1]);

        const dc = await c.request<DescribeClusterResponse>(ApiKey.DescribeCluster, 0, { includeClusterAuthorizedOperations: false });
        expect(new Map(dc.brokers.map((b) => [b.brokerId, b.port]))).to.deep.equal(saslPorts());

        const where = await coordinatorsOnPlaintext(GROUPS);
        expect(new Set(where.values()), 'groups coordinated by every broker, broker 4 included').to.deep.equal(new Set([1, 2, 3, 4]));
        const fc = await c.request<FindCoordinatorResponse>(ApiKey.FindCoordinator, 4, { key: '', keyType: 0, coordinatorKeys: GROUPS });
        for (const coord of fc.coordinators) {
          const node = where.get(coord.key)!;
          // a coordinator on broker 4 cannot be reached from a SASL listener
          if (node === 4) expect([coord.errorCode, coord.nodeId]).to.deep.equal([ErrorCode.COORDINATOR_NOT_AVAILABLE, -1]);
          else expect([coord.errorCode, coord.nodeId, coord.port]).to.deep.equal([0, node, saslPorts().get(node)]);
        }
      } finally {
        c.close();
      }
    }
  });

  it('a PLAINTEXT client is still given every broker with its PLAINTEXT address', async () => {
    const c = await RawClient.connect(plainPorts().get(2)!);
    try {
      const md = await c.request<MetadataResponse>(ApiKey.Metadata, 12, { topics: [{ name: 'on-plain-only', topicId: Buffer.alloc(16) }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
      expect(new Map(md.brokers.map((b) => [b.nodeId, b.port]))).to.deep.equal(plainPorts());
      expect(md.topics[0]!.partitions[0]!).to.include({ errorCode: 0, leaderId: 4 });
    } finally {
      c.close();
    }
  });
});

describe('cluster: a SASL client is sent to the other brokers on their SASL listeners', function () {
  this.timeout(120_000);
  let cluster: EtcdTestCluster;

  before(async () => {
    cluster = await EtcdTestCluster.start([1, 2, 3], { config: TWO_LISTENERS });
    for (const b of cluster.brokers.values()) await eventually(() => b.services.metadata.brokers().length === 3, 'three brokers everywhere');
    await cluster.broker(1).services.metadata.createTopic('by-listener', { assignment: [[1, 2], [2, 3], [3, 1]] });
  });
  after(async () => {
    await cluster?.stop();
  });

  const saslPorts = () => new Map([1, 2, 3].map((id) => [id, portOf(cluster.broker(id), 'SASL_PLAINTEXT')]));

  it('a kafkajs client bootstrapped on one SASL listener produces to and consumes from partitions led by all three brokers', async () => {
    const kafka = new Kafka({ clientId: 'listeners', brokers: [`127.0.0.1:${saslPorts().get(1)}`], sasl: { mechanism: 'plain', username: 'alice', password: USERS.alice }, logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
    const admin = kafka.admin();
    await admin.connect();
    const described = await admin.describeCluster();
    expect(new Map(described.brokers.map((b) => [b.nodeId, b.port]))).to.deep.equal(saslPorts());
    await admin.disconnect();

    const producer = kafka.producer();
    await producer.connect();
    const sent: string[] = [];
    for (let p = 0; p < 3; p++) {
      const values = [0, 1, 2].map((i) => `p${p}-m${i}`);
      sent.push(...values);
      await producer.send({ topic: 'by-listener', acks: -1, messages: values.map((value) => ({ value, partition: p })) });
    }
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: 'listeners-readers' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'by-listener', fromBeginning: true });
    const read: Array<{ partition: number; value: string }> = [];
    let done!: () => void;
    const all = new Promise<void>((r) => (done = r));
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        read.push({ partition, value: message.value!.toString() });
        if (read.length === sent.length) done();
      },
    });
    await all;
    await consumer.disconnect();
    expect(read.map((r) => r.value).sort()).to.deep.equal([...sent].sort());
    for (const r of read) expect(r.value.startsWith(`p${r.partition}-`)).to.equal(true);
  });
});
