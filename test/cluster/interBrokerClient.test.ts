import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { ApiKey } from '../../protocol/generated/apis';
import type { MetadataResponse } from '../../protocol/generated/messages/MetadataResponse';
import { buildConfig } from '../../src/config/load';
import type { BrokerIdentity } from '../../src/metadata/types';
import { BrokerClient, InterBrokerAuthError } from '../../src/replication/brokerClient';
import { interBrokerAddress } from '../../src/security/interBroker/address';
import { interBrokerListenerName, interBrokerSecurity } from '../../src/security/interBroker/settings';
import { credentialFromPassword, scramMechanismByName } from '../../src/security/scram/credential';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { makeTestCerts, tlsListenerProps, type TestCerts } from '../helpers/certs';

const JAAS = (mod: string, own: string) => `org.apache.kafka.common.security.${mod} required username="broker" password="${own}" user_broker="pw";`;
const PLAIN_JAAS = (own: string) => JAAS('plain.PlainLoginModule', own);
const SCRAM_JAAS = (own: string) => JAAS('scram.ScramLoginModule', own);

describe('inter-broker client settings', () => {
  it('picks inter.broker.listener.name, else the listener named by security.inter.broker.protocol, else the first', () => {
    const listeners = 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0';
    expect(interBrokerListenerName(buildConfig({ listeners }))).to.equal('PLAINTEXT');
    expect(interBrokerListenerName(buildConfig({ listeners, 'inter.broker.listener.name': 'sasl_plaintext' }))).to.equal('SASL_PLAINTEXT');
    expect(interBrokerListenerName(buildConfig({ listeners, 'security.inter.broker.protocol': 'SASL_PLAINTEXT' }))).to.equal('SASL_PLAINTEXT');
    expect(() => interBrokerListenerName(buildConfig({ listeners, 'security.inter.broker.protocol': 'SSL' }))).to.throw(/SSL is not one of the listeners/);
    expect(() => interBrokerListenerName(buildConfig({ listeners, 'security.inter.broker.protocol': 'PLAINTEXT', 'inter.broker.listener.name': 'PLAINTEXT' }))).to.throw(/exclusive/);
  });

  it('a plaintext inter-broker listener needs neither TLS nor a login', () => {
    expect(interBrokerSecurity(buildConfig({}))).to.deep.equal({ listenerName: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', tls: null, sasl: null });
  });

  it("reads the broker's own login from the listener's JAAS config, PLAIN by default", () => {
    const config = buildConfig({ listeners: 'SASL_PLAINTEXT://127.0.0.1:0', 'listener.name.sasl_plaintext.plain.sasl.jaas.config': PLAIN_JAAS('own') });
    expect(interBrokerSecurity(config).sasl).to.deep.equal({ mechanism: 'PLAIN', username: 'broker', password: 'own' });
  });

  it('takes sasl.mechanism.inter.broker.protocol, which must be enabled on the listener', () => {
    const props = {
      listeners: 'SASL_PLAINTEXT://127.0.0.1:0',
      'sasl.mechanism.inter.broker.protocol': 'SCRAM-SHA-512',
      'listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config': SCRAM_JAAS('s3'),
    };
    expect(interBrokerSecurity(buildConfig(props)).sasl).to.deep.equal({ mechanism: 'SCRAM-SHA-512', username: 'broker', password: 's3' });
    expect(() => interBrokerSecurity(buildConfig({ ...props, 'sasl.enabled.mechanisms': 'PLAIN' }))).to.throw(/SCRAM-SHA-512 is not enabled on listener SASL_PLAINTEXT/);
  });

  it('refuses to start without the username/password the broker logs in with', () => {
    const config = buildConfig({ listeners: 'SASL_PLAINTEXT://127.0.0.1:0', 'listener.name.sasl_plaintext.plain.sasl.jaas.config': 'x.PlainLoginModule required user_broker="pw";' });
    expect(() => interBrokerSecurity(config)).to.throw(/username="\.\.\." password="\.\.\."/);
  });

  it("dials another broker's endpoint on the inter-broker listener when its registration lists endpoints", () => {
    const plain: BrokerIdentity = { nodeId: 2, host: 'h', port: 1, rack: null };
    expect(interBrokerAddress(plain, 'INTERNAL')).to.deep.equal({ host: 'h', port: 1 });
    const withEndpoints = { ...plain, endpoints: { INTERNAL: { host: 'i', port: 9 }, EXTERNAL: { host: 'e', port: 8 } } };
    expect(interBrokerAddress(withEndpoints, 'INTERNAL')).to.deep.equal({ host: 'i', port: 9 });
  });
});

describe('BrokerClient over TLS and SASL', function () {
  this.timeout(60_000);
  let certs: TestCerts;
  let broker: TestBroker;
  const props = (own: string, mechanism = 'PLAIN') => ({
    listeners: 'SASL_SSL://127.0.0.1:0',
    ...tlsListenerProps(certs, 'SASL_SSL'),
    'sasl.mechanism.inter.broker.protocol': mechanism,
    'listener.name.sasl_ssl.plain.sasl.jaas.config': PLAIN_JAAS(own),
    'listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config': SCRAM_JAAS(own),
  });

  before(async () => {
    certs = makeTestCerts();
    broker = await startTestBroker({ config: props('pw') });
    const mech = scramMechanismByName('SCRAM-SHA-256')!;
    await broker.services.scram!.apply([{ user: 'broker', mechanism: mech, credential: credentialFromPassword(mech, 'pw') }]);
  });
  after(async () => {
    await broker?.destroy();
    certs?.remove();
  });

  const metadata = (c: BrokerClient) => c.request<MetadataResponse>(ApiKey.Metadata, 9, { topics: [], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });

  for (const mechanism of ['PLAIN', 'SCRAM-SHA-256']) {
    it(`logs in with ${mechanism} over TLS and then serves requests`, async () => {
      const c = await BrokerClient.connect('127.0.0.1', broker.port, 'ib-test', 5000, interBrokerSecurity(buildConfig(props('pw', mechanism))));
      try {
        expect((await metadata(c)).brokers.map((b) => b.port)).to.deep.equal([broker.port]);
        const conn = broker.servers[0].liveConnections().find((x) => x.info.principal === 'User:broker');
        expect(conn, 'a connection authenticated as the broker').to.not.equal(undefined);
      } finally {
        c.close();
      }
    });

    it(`a wrong ${mechanism} password is an InterBrokerAuthError`, async () => {
      const err = await BrokerClient.connect('127.0.0.1', broker.port, 'ib-test', 5000, interBrokerSecurity(buildConfig(props('wrong', mechanism)))).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(InterBrokerAuthError);
      expect((err as Error).message).to.match(/refused the login of broker/);
    });
  }

  it('a broker that does not trust the CA refuses the TLS handshake', async () => {
    const security = interBrokerSecurity(buildConfig(props('pw')));
    const distrusting = { ...security, tls: { ...security.tls, ca: readFileSync(certs.rogueCaCert, 'utf8') } };
    const err = await BrokerClient.connect('127.0.0.1', broker.port, 'ib-test', 5000, distrusting).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(InterBrokerAuthError);
    expect((err as Error).message).to.match(/TLS with 127\.0\.0\.1/);
  });
});
