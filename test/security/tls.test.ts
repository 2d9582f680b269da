import { expect } from 'chai';
import * as tls from 'node:tls';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { credentialFromPassword, SCRAM_MECHANISMS } from '../../src/security/scram/credential';
import { ApiKey } from '../../protocol/generated/apis';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { encodeRequestFrame, RawClient } from '../helpers/rawClient';
import { makeTestCerts, type TestCerts } from '../helpers/certs';
import { plainJaas } from '../helpers/secureBroker';
import { confluentRoundTrip, kafkajsClient, kafkajsRoundTrip, kcatRoundTrip, type ClientSecurity } from './drivers/secureClients';

/** A PEM file's text with its line breaks removed. */
const oneLine = (file: string) => readFileSync(file, 'utf8').replace(/\n/g, '');

/** Key and certificate in one PEM file, as ssl.keystore.location takes it. */
function combinedKeystore(certs: TestCerts): string {
  const file = path.join(certs.dir, 'keystore.pem');
  writeFileSync(file, readFileSync(certs.serverKey, 'utf8') + readFileSync(certs.serverCert, 'utf8'));
  return file;
}

const expected = (n: number) => Array.from({ length: n }, (_, i) => `m${i}`);
const MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;

describe('TLS listeners (SSL, SASL_SSL, mutual TLS) with real clients', function () {
  this.timeout(120_000);
  let certs: TestCerts;
  let broker: TestBroker;
  const addr = (name: string) => `127.0.0.1:${broker.listeners.find((l) => l.name === name)!.port}`;

  before(async () => {
    certs = makeTestCerts();
    broker = await startTestBroker({
      config: {
        listeners: 'SSL://127.0.0.1:0,SASL_SSL://127.0.0.1:0,MTLS://127.0.0.1:0,MAPPED://127.0.0.1:0,PLAINTEXT://127.0.0.1:0,TLS13://127.0.0.1:0,OPTIONAL://127.0.0.1:0,INLINE://127.0.0.1:0,COMBINED://127.0.0.1:0',
        'listener.security.protocol.map': 'MTLS:SSL,MAPPED:SSL,TLS13:SSL,OPTIONAL:SSL,INLINE:SSL,COMBINED:SSL',
        // Inline PEM as a properties file continued over lines delivers it: on one line.
        'listener.name.inline.ssl.keystore.key': oneLine(certs.serverKey),
        'listener.name.inline.ssl.keystore.certificate.chain': oneLine(certs.serverCert),
        'listener.name.inline.ssl.truststore.certificates': oneLine(certs.caCert),
        'listener.name.inline.ssl.client.auth': 'required',
        'listener.name.combined.ssl.keystore.location': combinedKeystore(certs),
        'listener.name.optional.ssl.client.auth': 'requested',
        'listener.name.tls13.ssl.enabled.protocols': 'TLSv1.3',
        // Broker-wide PEM files, per-listener client authentication.
        'ssl.keystore.type': 'PEM',
        'ssl.key.location': certs.serverKey,
        'ssl.certificate.location': certs.serverCert,
        'ssl.truststore.location': certs.caCert,
        'listener.name.mtls.ssl.client.auth': 'required',
        'listener.name.mapped.ssl.client.auth': 'required',
        'listener.name.mapped.ssl.principal.mapping.rules': 'RULE:^CN=(.*?),OU=(.*?),.*$/$1@$2/U,DEFAULT',
        'listener.name.sasl_ssl.plain.sasl.jaas.config': plainJaas({ alice: 'alice-secret' }),
      },
    });
    await broker.services.scram!.apply(SCRAM_MECHANISMS.map((m) => ({ user: 'alice', mechanism: m, credential: credentialFromPassword(m, 'alice-scram') })));
  });
  after(async () => {
    await broker?.destroy();
    certs?.remove();
  });

  const sslSec = (): ClientSecurity => ({ protocol: 'SSL', tls: { caFile: certs.caCert } });
  const mtlsSec = (): ClientSecurity => ({ protocol: 'SSL', tls: { caFile: certs.caCert, certFile: certs.clientCert, keyFile: certs.clientKey } });
  const saslSsl = (mechanism: (typeof MECHANISMS)[number]): ClientSecurity => ({
    protocol: 'SASL_SSL',
    tls: { caFile: certs.caCert },
    sasl: { mechanism, username: 'alice', password: mechanism === 'PLAIN' ? 'alice-secret' : 'alice-scram' },
  });

  it('binds every listener, and Metadata on each answers with that listener\'s address', async () => {
    expect(broker.listeners.map((l) => [l.name, l.securityProtocol])).to.deep.equal([
      ['SSL', 'SSL'],
      ['SASL_SSL', 'SASL_SSL'],
      ['MTLS', 'SSL'],
      ['MAPPED', 'SSL'],
      ['PLAINTEXT', 'PLAINTEXT'],
      ['TLS13', 'SSL'],
      ['OPTIONAL', 'SSL'],
      ['INLINE', 'SSL'],
      ['COMBINED', 'SSL'],
    ]);
    const admin = kafkajsClient(addr('SSL'), sslSec()).admin();
    await admin.connect();
    try {
      const cluster = await admin.describeCluster();
      expect(cluster.brokers.map((b) => `${b.host}:${b.port}`)).to.deep.equal([addr('SSL')]);
    } finally {
      await admin.disconnect();
    }
  });

  it('SSL: kafkajs, confluent-kafka and kcat produce and consume', async () => {
    expect(await kafkajsRoundTrip(addr('SSL'), sslSec(), 'ssl-kjs', 4)).to.deep.equal(expected(4));
    const ck = await confluentRoundTrip(addr('SSL'), sslSec(), 'ssl-ck', 4);
    expect(ck.values, JSON.stringify(ck)).to.deep.equal(expected(4));
    expect(await kcatRoundTrip(addr('SSL'), sslSec(), 'ssl-kcat', 4)).to.deep.equal(expected(4));
  });

  for (const mech of MECHANISMS) {
    const slug = mech.toLowerCase().replace(/-/g, '');
    it(`SASL_SSL ${mech}: kafkajs, confluent-kafka and kcat produce and consume`, async () => {
      expect(await kafkajsRoundTrip(addr('SASL_SSL'), saslSsl(mech), `saslssl-kjs-${slug}`, 3)).to.deep.equal(expected(3));
      const ck = await confluentRoundTrip(addr('SASL_SSL'), saslSsl(mech), `saslssl-ck-${slug}`, 3);
      expect(ck.values, JSON.stringify(ck)).to.deep.equal(expected(3));
      expect(await kcatRoundTrip(addr('SASL_SSL'), saslSsl(mech), `saslssl-kcat-${slug}`, 3)).to.deep.equal(expected(3));
    });
  }

  it('mutual TLS: the principal is the client certificate subject in RFC 2253 form', async () => {
    const admin = kafkajsClient(addr('MTLS'), mtlsSec()).admin();
    await admin.connect();
    try {
      await admin.listTopics();
      const principals = broker.servers[2].liveConnections().map((c) => c.info.principal);
      expect(principals).to.include('User:CN=alice,OU=eng,O=Brook');
      // TLS sockets keep Node's own read buffers (the shared one is for plain TCP reads)
      expect(broker.servers[2].liveConnections().some((c) => c.sharedReads)).to.equal(false);
    } finally {
      await admin.disconnect();
    }
    const ck = await confluentRoundTrip(addr('MTLS'), mtlsSec(), 'mtls-ck', 2);
    expect(ck.values, JSON.stringify(ck)).to.deep.equal(expected(2));
    expect(await kcatRoundTrip(addr('MTLS'), mtlsSec(), 'mtls-kcat', 2)).to.deep.equal(expected(2));
  });

  it('ssl.principal.mapping.rules turns the subject into a short name', async () => {
    const admin = kafkajsClient(addr('MAPPED'), mtlsSec()).admin();
    await admin.connect();
    try {
      await admin.listTopics();
      expect(broker.servers[3].liveConnections().map((c) => c.info.principal)).to.include('User:ALICE@ENG');
    } finally {
      await admin.disconnect();
    }
  });

  it('mutual TLS refuses a client without a certificate and one whose certificate another CA signed', async () => {
    // Sends ApiVersions over TLS: "answered" only when the broker accepted the client and served the request.
    const attempt = (cert?: string, key?: string) =>
      new Promise<string>((resolve) => {
        const port = Number(addr('MTLS').split(':')[1]);
        const s = tls.connect({ host: '127.0.0.1', port, ca: readFileSync(certs.caCert), servername: 'localhost', cert: cert && readFileSync(cert), key: key && readFileSync(key) });
        s.on('error', () => resolve('refused'));
        s.on('close', () => resolve('refused'));
        s.on('data', () => {
          resolve('answered');
          s.destroy();
        });
        s.on('secureConnect', () => s.write(encodeRequestFrame(ApiKey.ApiVersions, 0, {}, 1)));
      });
    expect(await attempt(certs.clientCert, certs.clientKey)).to.equal('answered');
    expect(await attempt()).to.equal('refused');
    expect(await attempt(certs.rogueCert, certs.rogueKey)).to.equal('refused');
    const kjs = await kafkajsRoundTrip(addr('MTLS'), sslSec(), 'never', 1).then(
      () => null,
      (e: Error) => e,
    );
    // a TLS refusal, not a Kafka error: kafkajs gives up connecting after the broker's "certificate required" alert
    expect(kjs).to.have.property('name', 'KafkaJSNumberOfRetriesExceeded');
    expect((kjs as Error & { cause?: Error }).cause).to.have.property('name', 'KafkaJSConnectionError');
    expect(kjs!.message).to.match(/alert certificate required/);
  });

  it('inline PEM (even without line breaks) and a combined key+chain keystore file both serve TLS', async () => {
    const inline = await kafkajsRoundTrip(addr('INLINE'), mtlsSec(), 'inline-pem', 2);
    expect(inline).to.deep.equal(expected(2));
    const combined = await kcatRoundTrip(addr('COMBINED'), sslSec(), 'combined-pem', 2);
    expect(combined).to.deep.equal(expected(2));
  });

  it('ssl.client.auth=requested: no certificate means ANONYMOUS, a trusted one its subject, a foreign one is refused', async () => {
    const server = broker.servers[broker.listeners.findIndex((l) => l.name === 'OPTIONAL')];
    const session = (cert?: string, key?: string) =>
      new Promise<string>((resolve) => {
        const s = tls.connect({ host: '127.0.0.1', port: Number(addr('OPTIONAL').split(':')[1]), ca: readFileSync(certs.caCert), servername: 'localhost', cert: cert && readFileSync(cert), key: key && readFileSync(key) });
        s.on('error', () => resolve('refused'));
        s.on('close', () => resolve('refused'));
        s.on('data', () => {
          // Answered: the connection is live, so its principal can be read before closing.
          resolve(server.liveConnections().at(-1)?.info.principal ?? 'none'); // the newest connection is this one
          s.destroy();
        });
        s.on('secureConnect', () => s.write(encodeRequestFrame(ApiKey.ApiVersions, 0, {}, 1)));
      });
    expect(await session()).to.equal('User:ANONYMOUS');
    expect(await session(certs.clientCert, certs.clientKey)).to.equal('User:CN=alice,OU=eng,O=Brook');
    expect(await session(certs.rogueCert, certs.rogueKey)).to.equal('refused');
  });

  it('ssl.enabled.protocols limits the TLS versions a listener accepts', async () => {
    const negotiated = (listener: string, maxVersion: tls.SecureVersion) =>
      new Promise<string>((resolve) => {
        const s = tls.connect({ host: '127.0.0.1', port: Number(addr(listener).split(':')[1]), ca: readFileSync(certs.caCert), servername: 'localhost', maxVersion });
        s.on('secureConnect', () => {
          resolve(s.getProtocol() ?? 'none');
          s.destroy();
        });
        s.on('error', () => resolve('refused'));
      });
    expect(await negotiated('SSL', 'TLSv1.2')).to.equal('TLSv1.2');
    expect(await negotiated('TLS13', 'TLSv1.3')).to.equal('TLSv1.3');
    expect(await negotiated('TLS13', 'TLSv1.2')).to.equal('refused');
  });

  it('a plain TCP client on a TLS port gets no Kafka answer, and a TLS client with the wrong CA refuses the broker', async () => {
    const raw = await RawClient.connect(Number(addr('SSL').split(':')[1]));
    raw.send(raw.encode(ApiKey.ApiVersions, 0, {}));
    const answer = await raw.nextFrame(5000).then(
      () => 'answered',
      (e: Error) => e.message,
    );
    expect(answer).to.equal('connection closed');
    const wrongCa: ClientSecurity = { protocol: 'SSL', tls: { caFile: certs.rogueCaCert } };
    const err = await kafkajsRoundTrip(addr('SSL'), wrongCa, 'never', 1).then(
      () => null,
      (e: Error) => e,
    );
    expect(err).to.have.property('name', 'KafkaJSNumberOfRetriesExceeded');
    expect((err as Error & { cause?: Error }).cause).to.have.property('name', 'KafkaJSConnectionError');
    expect(err!.message).to.match(/self-signed certificate in certificate chain/);
  });
});
