import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { makeTestCerts, type TestCerts } from '../helpers/certs';
import { startEtcd, type TestEtcd } from '../helpers/etcd';
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
        'authorizer.class.name': 'brook',
        'super.users': `${BROKER_PRINCIPAL};${OPERATOR_PRINCIPAL}`,
        'replica.fetch.wait.max.ms': '100',
        'replica.fetch.backoff.ms': '100',
      },
    });
    await eventually(() => [1, 2, 3].every((id) => cluster.broker(id).services.metadata.brokers().length === 3), 'three registered brokers');
  });
  after(async () => {
    await cluster?.stop();
    await etcd?.stop();
    certs?.remove();
  });

  it('followers present the broker certificate, replicate an acks=all RF=3 topic and stay in the ISR', async () => {
    const kafka = new Kafka({
      clientId: 'mtls-test',
      brokers: cluster.bootstrap,
      logLevel: logLevel.NOTHING,
      ssl: { ca: [readFileSync(certs.caCert, 'utf8')], cert: readFileSync(certs.clientCert, 'utf8'), key: readFileSync(certs.clientKey, 'utf8') },
      retry: { retries: 10, initialRetryTime: 100 },
    });
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
});
