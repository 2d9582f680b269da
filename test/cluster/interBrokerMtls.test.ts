import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { makeTestCerts, type TestCerts } from '../helpers/certs';
import { startEtcd, type TestEtcd } from '../helpers/etcd';
import { memoryLogger } from '../helpers/memoryLogger';
import { tempDataDir } from '../helpers/tempDir';
import { EtcdTestCluster, eventually } from './helpers/etcdCluster';

const BROKER_PRINCIPAL = 'User:CN=broker,O=Brook Test';
/** The test client certificate's principal: an operator allowed everything, so only the brokers use BROKER_PRINCIPAL. */
const OPERATOR_PRINCIPAL = 'User:CN=alice,OU=eng,O=Brook';

/**
 * A broker certificate good for both ends of a TLS connection (serverAuth for
 * its listener, clientAuth for its own connections to the other brokers),
 * signed by the test CA.
 */
function makeBrokerCert(certs: TestCerts): { cert: string; key: string } {
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: certs.dir, stdio: ['ignore', 'ignore', 'pipe'] });
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'broker.key', '-out', 'broker.csr', '-subj', '/O=Brook Test/CN=broker']);
  writeFileSync(path.join(certs.dir, 'broker.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n');
  run(['x509', '-req', '-in', 'broker.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'broker.pem', '-days', '2', '-extfile', 'broker.ext']);
  return { cert: path.join(certs.dir, 'broker.pem'), key: path.join(certs.dir, 'broker.key') };
}

describe('inter-broker traffic over SSL with required client certificates', function () {
  this.timeout(120_000);
  let certs: TestCerts;
  let etcd: TestEtcd;
  let cluster: EtcdTestCluster;
  let brokerCert: { cert: string; key: string };
  let impostor: TestBroker | undefined;

  before(async () => {
    certs = makeTestCerts();
    brokerCert = makeBrokerCert(certs);
    etcd = await startEtcd();
    cluster = await EtcdTestCluster.start([1, 2, 3], {
      etcd,
      config: {
        listeners: 'SSL://127.0.0.1:0',
        'listener.name.ssl.ssl.key.location': brokerCert.key,
        'listener.name.ssl.ssl.certificate.location': brokerCert.cert,
        'listener.name.ssl.ssl.truststore.location': certs.caCert,
        'listener.name.ssl.ssl.client.auth': 'required',
        'replica.lag.time.max.ms': '1500',
        'authorizer.class.name': 'brook',
        'super.users': `${BROKER_PRINCIPAL};${OPERATOR_PRINCIPAL}`,
        'replica.fetch.wait.max.ms': '100',
        'replica.fetch.backoff.ms': '100',
      },
    });
  });
  after(async () => {
    await impostor?.destroy();
    await cluster?.stop();
    await etcd?.stop();
    certs?.remove();
  });

  const operatorClient = () =>
    new Kafka({
      clientId: 'mtls-test',
      brokers: cluster.bootstrap,
      logLevel: logLevel.NOTHING,
      ssl: { ca: [readFileSync(certs.caCert, 'utf8')], cert: readFileSync(certs.clientCert, 'utf8'), key: readFileSync(certs.clientKey, 'utf8') },
      retry: { retries: 10, initialRetryTime: 100 },
    });

  it('followers present the broker certificate, replicate an acks=all RF=3 topic and stay in the ISR', async () => {
    const kafka = operatorClient();
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: 'mtls', numPartitions: 1, replicationFactor: 3 }], waitForLeaders: true });
    } finally {
      await admin.disconnect();
    }
    const producer = kafka.producer();
    await producer.connect();
    try {
      await producer.send({ topic: 'mtls', acks: -1, messages: Array.from({ length: 30 }, (_, i) => ({ partition: 0, value: `v${i}` })) });
    } finally {
      await producer.disconnect();
    }
    const state = () => cluster.broker(1).services.metadata.partitionState('mtls', 0)!;
    await eventually(() => [1, 2, 3].every((id) => cluster.broker(id).services.logs.get('mtls', 0)?.logEndOffset === 30) && state().isr.length === 3, 'three replicas at offset 30, all in sync');
    const leader = cluster.broker(state().leader);
    expect(leader.services.logs.get('mtls', 0)!.highWatermark).to.equal(30);
    // The followers' fetch connections carry the broker certificate's principal, not ANONYMOUS.
    const principals = leader.servers[0].liveConnections().map((c) => c.info.principal);
    expect(principals).to.include(BROKER_PRINCIPAL);
    expect(principals.filter((p) => p !== OPERATOR_PRINCIPAL && p !== BROKER_PRINCIPAL)).to.deep.equal([]);
  });

  it('a broker whose certificate the others do not trust cannot join the ISR, and logs the TLS refusal', async () => {
    const log = memoryLogger();
    impostor = await startTestBroker({
      dataDir: tempDataDir('brook-mtls-impostor-'),
      logger: log,
      config: {
        ...cluster.configFor(4),
        listeners: 'SSL://127.0.0.1:0',
        // It trusts the cluster's CA, but its own certificate comes from another CA.
        'listener.name.ssl.ssl.key.location': certs.rogueKey,
        'listener.name.ssl.ssl.certificate.location': certs.rogueCert,
        'listener.name.ssl.ssl.truststore.location': certs.caCert,
        'listener.name.ssl.ssl.client.auth': 'required',
        'listener.name.ssl.ssl.endpoint.identification.algorithm': '',
        'authorizer.class.name': 'brook',
        'super.users': BROKER_PRINCIPAL,
        'replica.fetch.wait.max.ms': '100',
        'replica.fetch.backoff.ms': '100',
      },
    });
    await eventually(() => cluster.broker(1).services.metadata.brokers().length === 4, 'the fourth broker registered');
    const kafka = operatorClient();
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: 'mtls-locked', replicaAssignment: [{ partition: 0, replicas: [1, 4] }] }], waitForLeaders: true });
    } finally {
      await admin.disconnect();
    }
    const producer = kafka.producer();
    await producer.connect();
    try {
      await producer.send({ topic: 'mtls-locked', acks: 1, messages: [{ partition: 0, value: 'x' }] });
    } finally {
      await producer.disconnect();
    }
    const state = () => cluster.broker(1).services.metadata.partitionState('mtls-locked', 0)!;
    await eventually(() => state().isr.length === 1 && state().isr[0] === 1, 'broker 4 out of the ISR');
    const refusal = await eventually(() => log.entries.find((e) => e.level === 'error' && /inter-broker login/.test(e.msg)), 'the TLS refusal in the log');
    expect(String(refusal.fields.err)).to.match(/TLS/);
    expect(impostor.services.logs.get('mtls-locked', 0)?.logEndOffset ?? 0).to.equal(0);
  });
});
