import { expect } from 'chai';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, Kafka, logLevel, ResourcePatternTypes } from 'kafkajs';
import { readFileSync } from 'node:fs';
import { credentialFromPassword, scramMechanismByName } from '../../src/security/scram/credential';
import { TXN_STATE_TOPIC } from '../../src/txn/txnStateLog';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { makeTestCerts, tlsListenerProps, type TestCerts } from '../helpers/certs';
import { startEtcd, type TestEtcd } from '../helpers/etcd';
import { memoryLogger } from '../helpers/memoryLogger';
import { tempDataDir } from '../helpers/tempDir';
import { EtcdTestCluster, eventually } from './helpers/etcdCluster';

const BROKER_PASSWORD = 'broker-secret';
const ALICE_PASSWORD = 'alice-secret';

/**
 * A broker whose only listener is SASL_SSL: it serves the users of the JAAS
 * line and logs in to the other brokers as `broker` with `ownPassword`.
 */
function saslSslConfig(certs: TestCerts, ownPassword: string): Record<string, string> {
  return {
    listeners: 'SASL_SSL://127.0.0.1:0',
    ...tlsListenerProps(certs, 'SASL_SSL'),
    'listener.name.sasl_ssl.sasl.enabled.mechanisms': 'PLAIN',
    'listener.name.sasl_ssl.plain.sasl.jaas.config':
      `org.apache.kafka.common.security.plain.PlainLoginModule required username="broker" password="${ownPassword}" ` +
      `user_broker="${BROKER_PASSWORD}" user_alice="${ALICE_PASSWORD}";`,
    'authorizer.class.name': 'brook',
    'super.users': 'User:broker',
    'replica.lag.time.max.ms': '1500',
    'replica.fetch.wait.max.ms': '100',
    'replica.fetch.backoff.ms': '100',
  };
}

function client(bootstrap: string[], certs: TestCerts, user: string, password: string): Kafka {
  return new Kafka({
    clientId: 'inter-broker-test',
    brokers: bootstrap,
    logLevel: logLevel.NOTHING,
    ssl: { ca: [readFileSync(certs.caCert, 'utf8')] },
    sasl: { mechanism: 'plain', username: user, password },
    retry: { retries: 10, initialRetryTime: 100 },
  });
}

/** alice may use topics and groups starting with `ib-` and transactional ids `ib-`, and write idempotently. */
async function grantAlice(admin: ReturnType<Kafka['admin']>): Promise<void> {
  const allow = (resourceType: AclResourceTypes, resourceName: string, operation: AclOperationTypes, prefixed = true) => ({
    resourceType,
    resourceName,
    resourcePatternType: prefixed ? ResourcePatternTypes.PREFIXED : ResourcePatternTypes.LITERAL,
    principal: 'User:alice',
    host: '*',
    operation,
    permissionType: AclPermissionTypes.ALLOW,
  });
  await admin.createAcls({
    acl: [
      allow(AclResourceTypes.TOPIC, 'ib-', AclOperationTypes.ALL),
      allow(AclResourceTypes.GROUP, 'ib-', AclOperationTypes.ALL),
      allow(AclResourceTypes.TRANSACTIONAL_ID, 'ib-', AclOperationTypes.ALL),
      allow(AclResourceTypes.CLUSTER, 'kafka-cluster', AclOperationTypes.IDEMPOTENT_WRITE, false),
    ],
  });
}

async function readAll(kafka: Kafka, topic: string, groupId: string, count: number): Promise<string[]> {
  const consumer = kafka.consumer({ groupId, readUncommitted: false });
  const values: string[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ partition, message }) => void values.push(`${partition}:${message.value!.toString()}`) });
    await eventually(() => values.length >= count, `${count} messages from ${topic}`, 40_000);
  } finally {
    await consumer.disconnect();
  }
  return values;
}

describe('inter-broker traffic over SASL_SSL with ACLs on', function () {
  this.timeout(180_000);
  let certs: TestCerts;
  let etcd: TestEtcd;
  let cluster: EtcdTestCluster;

  before(async () => {
    certs = makeTestCerts();
    etcd = await startEtcd();
    cluster = await EtcdTestCluster.start([1, 2, 3], { etcd, config: saslSslConfig(certs, BROKER_PASSWORD) });
    const admin = client(cluster.bootstrap, certs, 'broker', BROKER_PASSWORD).admin();
    await admin.connect();
    try {
      await grantAlice(admin);
    } finally {
      await admin.disconnect();
    }
    await eventually(() => [1, 2, 3].every((id) => cluster.broker(id).services.authorizer!.store.list().length === 4), 'ACLs on every broker');
  });
  after(async () => {
    await cluster?.stop();
    await etcd?.stop();
    certs?.remove();
  });

  it('registers the SASL_SSL address, the only listener there is', () => {
    for (const [id, b] of cluster.brokers) {
      const self = b.services.metadata.brokers().find((x) => x.nodeId === id)!;
      expect(`${self.host}:${self.port}`).to.equal(b.bootstrap);
      expect(b.listeners.map((l) => l.securityProtocol)).to.deep.equal(['SASL_SSL']);
    }
  });

  it('a transaction over partitions led by every broker commits, its markers sent over SASL_SSL', async () => {
    const kafka = client(cluster.bootstrap, certs, 'alice', ALICE_PASSWORD);
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: 'ib-txn', replicaAssignment: [{ partition: 0, replicas: [1] }, { partition: 1, replicas: [2] }, { partition: 2, replicas: [3] }] }], waitForLeaders: true });
      const producer = kafka.producer({ transactionalId: 'ib-tx', idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      try {
        const txn = await producer.transaction();
        for (let p = 0; p < 3; p++) await txn.send({ topic: 'ib-txn', messages: [{ partition: p, value: `c${p}` }] });
        await txn.commit();
      } finally {
        await producer.disconnect();
      }
      const coordinator = [...cluster.brokers.values()][0].services.metadata.partitionState(TXN_STATE_TOPIC, 0)?.leader;
      expect(coordinator, 'transaction coordinator').to.be.oneOf([1, 2, 3]);
      // Two of the three partitions are led by brokers other than the coordinator: their markers crossed SASL_SSL.
      await eventually(async () => (await admin.fetchTopicOffsets('ib-txn')).every((o) => o.high === '2'), 'a commit marker on every partition');
    } finally {
      await admin.disconnect();
    }
    expect((await readAll(kafka, 'ib-txn', 'ib-txn-readers', 3)).sort()).to.deep.equal(['0:c0', '1:c1', '2:c2']);
  });

  it('an RF=3 topic written with acks=all is in sync on all three and keeps every acked message when its leader closes', async () => {
    const kafka = client(cluster.bootstrap, certs, 'alice', ALICE_PASSWORD);
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: 'ib-acked', numPartitions: 1, replicationFactor: 3 }], waitForLeaders: true });
    } finally {
      await admin.disconnect();
    }
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const acked: string[] = [];
    try {
      for (let i = 0; i < 5; i++) {
        const batch = Array.from({ length: 20 }, (_, j) => ({ partition: 0, value: `m${i * 20 + j}` }));
        await producer.send({ topic: 'ib-acked', acks: -1, messages: batch });
        acked.push(...batch.map((m) => `0:${m.value}`));
      }
    } finally {
      await producer.disconnect();
    }
    const state = () => cluster.broker(1).services.metadata.partitionState('ib-acked', 0)!;
    const leader = state().leader;
    // The ISR only holds followers that fetched up to the leader over the authenticated connection.
    await eventually(() => [1, 2, 3].every((id) => cluster.broker(id).services.logs.get('ib-acked', 0)?.logEndOffset === 100) && state().isr.length === 3, 'all three replicas at offset 100 and in the ISR');
    expect([...state().isr].sort()).to.deep.equal([1, 2, 3]);

    await cluster.stopBroker(leader);
    const survivor = [1, 2, 3].find((id) => id !== leader)!;
    const moved = await eventually(() => {
      const s = cluster.broker(survivor).services.metadata.partitionState('ib-acked', 0)!;
      return s.leader !== leader && s.leader !== -1 ? s : undefined;
    }, 'a new leader');
    expect(moved.isr).to.not.include(leader);
    const values = await readAll(client(cluster.bootstrap, certs, 'alice', ALICE_PASSWORD), 'ib-acked', 'ib-acked-readers', 100);
    expect(values).to.deep.equal(acked);
  });
});

describe('a broker with a wrong inter-broker password', function () {
  this.timeout(120_000);
  let certs: TestCerts;
  let etcd: TestEtcd;
  let cluster: EtcdTestCluster;
  let impostor: TestBroker | undefined;

  before(async () => {
    certs = makeTestCerts();
    etcd = await startEtcd();
    cluster = await EtcdTestCluster.start([1, 2], { etcd, config: saslSslConfig(certs, BROKER_PASSWORD) });
  });
  after(async () => {
    await impostor?.destroy();
    await cluster?.stop();
    await etcd?.stop();
    certs?.remove();
  });

  it('cannot join the ISR, and says why in its log', async () => {
    const log = memoryLogger();
    impostor = await startTestBroker({
      dataDir: tempDataDir('brook-impostor-'),
      logger: log,
      config: { ...cluster.configFor(3), ...saslSslConfig(certs, 'not-the-password') },
    });
    await eventually(() => cluster.broker(1).services.metadata.brokers().length === 3, 'the third broker registered');
    const kafka = client(cluster.bootstrap, certs, 'broker', BROKER_PASSWORD);
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: 'ib-locked', replicaAssignment: [{ partition: 0, replicas: [1, 2, 3] }] }], waitForLeaders: true });
    } finally {
      await admin.disconnect();
    }
    const producer = kafka.producer();
    await producer.connect();
    try {
      await producer.send({ topic: 'ib-locked', acks: 1, messages: [{ partition: 0, value: 'x' }] });
    } finally {
      await producer.disconnect();
    }
    const state = () => cluster.broker(1).services.metadata.partitionState('ib-locked', 0)!;
    // It starts in the ISR (every replica of a new partition does) and is dropped for never fetching.
    await eventually(() => !state().isr.includes(3) && state().isr.length === 2, 'broker 3 out of the ISR');
    await eventually(() => cluster.broker(2).services.logs.get('ib-locked', 0)?.logEndOffset === 1, 'broker 2 has the record');
    const refusal = await eventually(() => log.entries.find((e) => e.level === 'error' && /inter-broker login/.test(e.msg)), 'the refused login in the log');
    expect(String(refusal.fields.err)).to.match(/SASL authentication failed/);
    expect(impostor.services.logs.get('ib-locked', 0)?.logEndOffset ?? 0).to.equal(0);
    // Later records reach the good follower and still never the impostor, which stays out of the ISR.
    const again = kafka.producer();
    await again.connect();
    try {
      await again.send({ topic: 'ib-locked', acks: -1, messages: [{ partition: 0, value: 'y' }] });
    } finally {
      await again.disconnect();
    }
    await eventually(() => cluster.broker(2).services.logs.get('ib-locked', 0)?.logEndOffset === 2, 'broker 2 has both records');
    expect(state().isr).to.not.include(3);
    expect(impostor.services.logs.get('ib-locked', 0)?.logEndOffset ?? 0).to.equal(0);
  });
});

describe('inter-broker SCRAM-SHA-256 login on a cluster', function () {
  this.timeout(120_000);
  let certs: TestCerts;
  let etcd: TestEtcd;
  let cluster: EtcdTestCluster;

  before(async () => {
    certs = makeTestCerts();
    etcd = await startEtcd();
    const jaas = (mod: string, own: string) => `org.apache.kafka.common.security.${mod} required username="broker" password="${own}" user_admin="admin-secret";`;
    cluster = await EtcdTestCluster.start([1, 2, 3], {
      etcd,
      config: {
        ...saslSslConfig(certs, BROKER_PASSWORD),
        'listener.name.sasl_ssl.sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256',
        'sasl.mechanism.inter.broker.protocol': 'SCRAM-SHA-256',
        'listener.name.sasl_ssl.plain.sasl.jaas.config': jaas('plain.PlainLoginModule', 'unused'),
        'listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config': jaas('scram.ScramLoginModule', BROKER_PASSWORD),
        'super.users': 'User:broker;User:admin',
      },
    });
  });
  after(async () => {
    await cluster?.stop();
    await etcd?.stop();
    certs?.remove();
  });

  it('followers wait for the broker credential, then replicate once it exists in the shared SCRAM store', async () => {
    const kafka = client(cluster.bootstrap, certs, 'admin', 'admin-secret');
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: 'scram-ib', replicaAssignment: [{ partition: 0, replicas: [1, 2, 3] }] }], waitForLeaders: true });
    } finally {
      await admin.disconnect();
    }
    const producer = kafka.producer();
    await producer.connect();
    try {
      await producer.send({ topic: 'scram-ib', acks: 1, messages: [{ partition: 0, value: 'before' }] });
      const state = () => cluster.broker(1).services.metadata.partitionState('scram-ib', 0)!;
      // No SCRAM credential for the broker user yet: the followers are refused and leave the ISR.
      await eventually(() => state().isr.length === 1, 'followers out of the ISR without a credential');
      expect([2, 3].map((id) => cluster.broker(id).services.logs.get('scram-ib', 0)?.logEndOffset ?? 0)).to.deep.equal([0, 0]);
      // The operator adds it (on any broker: SCRAM credentials live in etcd in cluster mode).
      const mech = scramMechanismByName('SCRAM-SHA-256')!;
      await cluster.broker(3).services.scram!.apply([{ user: 'broker', mechanism: mech, credential: credentialFromPassword(mech, BROKER_PASSWORD) }]);
      await eventually(() => state().isr.length === 3, 'both followers back in the ISR after logging in', 30_000);
      await producer.send({ topic: 'scram-ib', acks: -1, messages: [{ partition: 0, value: 'after' }] });
      expect([1, 2, 3].map((id) => cluster.broker(id).services.logs.get('scram-ib', 0)?.logEndOffset)).to.deep.equal([2, 2, 2]);
    } finally {
      await producer.disconnect();
    }
  });
});
