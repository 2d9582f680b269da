import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { buildConfig } from '../../src/config/load';
import { listenerProp, parseProtocolMap } from '../../src/config/listeners';
import { parseProperties } from '../../src/config/properties';
import { mapPrincipalName, parsePrincipalMappingRules, subjectDn } from '../../src/security/tls/principal';
import { normalizePem } from '../../src/security/tls/listenerTls';
import { listenerSpecs } from '../../src/server/listeners';
import { startTestBroker, tempDataDir } from '../helpers/broker';
import { ApiKey } from '../../protocol/generated/apis';
import type { DescribeClusterResponse } from '../../protocol/generated/messages/DescribeClusterResponse';
import type { DescribeConfigsResponse } from '../../protocol/generated/messages/DescribeConfigsResponse';
import type { FindCoordinatorResponse } from '../../protocol/generated/messages/FindCoordinatorResponse';
import type { MetadataResponse } from '../../protocol/generated/messages/MetadataResponse';
import { RawClient } from '../helpers/rawClient';

describe('listener configuration', () => {
  it('parses listeners with the default and a custom security protocol map, and advertised addresses by name', () => {
    const c = buildConfig({
      listeners: 'PLAINTEXT://127.0.0.1:9092,SASL_SSL://0.0.0.0:9093,internal://[::1]:9094',
      'listener.security.protocol.map': 'INTERNAL:SASL_PLAINTEXT',
      'advertised.listeners': 'SASL_SSL://kafka.example:19093,PLAINTEXT://kafka.example:19092',
    });
    expect(c.listeners).to.deep.equal([
      { name: 'PLAINTEXT', host: '127.0.0.1', port: 9092, securityProtocol: 'PLAINTEXT', advertised: { host: 'kafka.example', port: 19092 } },
      { name: 'SASL_SSL', host: '0.0.0.0', port: 9093, securityProtocol: 'SASL_SSL', advertised: { host: 'kafka.example', port: 19093 } },
      { name: 'INTERNAL', host: '::1', port: 9094, securityProtocol: 'SASL_PLAINTEXT', advertised: null },
    ]);
    expect([c.host, c.port]).to.deep.equal(['127.0.0.1', 9092]);
  });

  it('without `listeners`, --host/--port make one PLAINTEXT listener (the old behaviour)', () => {
    const c = buildConfig({ 'advertised.listeners': 'EXTERNAL://a.example:1' }, { host: '10.0.0.1', port: 7000 });
    expect(c.listeners).to.deep.equal([{ name: 'PLAINTEXT', host: '10.0.0.1', port: 7000, securityProtocol: 'PLAINTEXT', advertised: { host: 'a.example', port: 1 } }]);
  });

  it('refuses unknown protocols, listeners without a protocol and duplicate names', () => {
    expect(() => parseProtocolMap('X:KERBEROS')).to.throw(/unknown security protocol/);
    expect(() => buildConfig({ listeners: 'INTERNAL://h:1' })).to.throw(/no security protocol for listener INTERNAL/);
    expect(() => buildConfig({ listeners: 'PLAINTEXT://h:1,plaintext://h:2' })).to.throw(/declared twice/);
  });

  it('per-listener keys (listener.name.<lower-case>.) win over broker-wide ones', () => {
    const props = { 'ssl.client.auth': 'none', 'listener.name.mtls.ssl.client.auth': 'required' };
    expect(listenerProp(props, 'MTLS', 'ssl.client.auth')).to.equal('required');
    expect(listenerProp(props, 'SSL', 'ssl.client.auth')).to.equal('none');
  });

  it('refuses a TLS listener without key and certificate, and client auth without trusted CAs, before binding anything', () => {
    expect(() => listenerSpecs(buildConfig({ listeners: 'SSL://127.0.0.1:0' }))).to.throw(/TLS needs a key and certificate/);
    expect(() => listenerSpecs(buildConfig({ listeners: 'SSL://127.0.0.1:0', 'ssl.keystore.key': 'k', 'ssl.keystore.certificate.chain': 'c', 'ssl.client.auth': 'required' }))).to.throw(
      /needs trusted CA certificates/,
    );
    expect(() => listenerSpecs(buildConfig({ listeners: 'SASL_PLAINTEXT://127.0.0.1:0', 'sasl.enabled.mechanisms': 'GSSAPI' }))).to.throw(/GSSAPI/);
    expect(() => listenerSpecs(buildConfig({ listeners: 'SSL://127.0.0.1:0', 'ssl.keystore.type': 'JKS', 'ssl.keystore.location': '/x.jks' }))).to.throw(/PEM only/);
    expect(() => listenerSpecs(buildConfig({ listeners: 'SSL://127.0.0.1:0', 'ssl.keystore.key': 'k', 'ssl.keystore.certificate.chain': 'c', 'ssl.enabled.protocols': 'SSLv3' }))).to.throw(
      /unknown protocol SSLv3/,
    );
    expect(() => listenerSpecs(buildConfig({ listeners: 'SSL://127.0.0.1:0', 'ssl.key.location': '/nonexistent/k.pem', 'ssl.certificate.location': '/nonexistent/c.pem' }))).to.throw(
      /ssl.key.location: cannot read/,
    );
  });

  it('a broker whose TLS files are missing fails to start and leaves its data dir usable', async () => {
    const dataDir = tempDataDir();
    const bad = { listeners: 'SSL://127.0.0.1:0', 'ssl.key.location': '/nonexistent/k.pem', 'ssl.certificate.location': '/nonexistent/c.pem' };
    const err = await startTestBroker({ dataDir, config: bad }).then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message).to.match(/cannot read \/nonexistent\/k.pem/);
    const ok = await startTestBroker({ dataDir });
    await ok.destroy();
  });

  it('reads a multi-line sasl.jaas.config written with backslash continuations', () => {
    const props = parseProperties(
      [
        'listeners=SASL_PLAINTEXT://127.0.0.1:0',
        'listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required \\',
        '    user_alice="alice-secret" \\',
        '    user_bob="bob-secret";',
      ].join('\n'),
    );
    const [spec] = listenerSpecs(buildConfig(props));
    expect([...spec.sasl!.plainUsers]).to.deep.equal([
      ['alice', 'alice-secret'],
      ['bob', 'bob-secret'],
    ]);
  });

  it('rebuilds inline PEM blocks that lost their line breaks, and leaves legacy encrypted keys alone', () => {
    const body = 'A'.repeat(100);
    expect(normalizePem(`-----BEGIN CERTIFICATE-----${body}-----END CERTIFICATE----------BEGIN CERTIFICATE-----QUJD-----END CERTIFICATE-----`)).to.equal(
      `-----BEGIN CERTIFICATE-----\n${'A'.repeat(64)}\n${'A'.repeat(36)}\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nQUJD\n-----END CERTIFICATE-----\n`,
    );
    const legacy = '-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nQUJD\n-----END RSA PRIVATE KEY-----';
    expect(normalizePem(legacy)).to.equal(`${legacy}\n`);
    expect(normalizePem('not pem')).to.equal('not pem');
  });

  it('names a certificate as Java\'s X500Principal does, from the subject Node gives (already escaped, one RDN per line)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'brook-dn-'));
    const dnOf = (subject: string, multiValued = false) => {
      const pem = path.join(dir, 'c.pem');
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', path.join(dir, 'k.pem'), '-out', pem, '-days', '1', '-subj', subject, ...(multiValued ? ['-multivalue-rdn'] : [])], { stdio: 'ignore' });
      return subjectDn(new X509Certificate(readFileSync(pem)).subject);
    };
    try {
      // Found by a user: these were escaped twice (`CN=Smith\\\, John`) and joined by ` + `, so ACLs written for Kafka's names missed.
      expect(dnOf('/O=Brook/CN=Smith, John')).to.equal('CN=Smith\\, John,O=Brook');
      expect(dnOf('/O=Brook/CN=bob+UID=42', true)).to.equal('CN=bob+UID=42,O=Brook');
      expect(dnOf('/O=Brook/CN=a \\+ b', true)).to.equal('CN=a \\+ b,O=Brook');
      expect(dnOf('/O=Brook/CN= lead#')).to.equal('CN=\\ lead#,O=Brook');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prints certificate subjects as RFC 2253 names and applies principal mapping rules', () => {
    expect(subjectDn('C=US\nO=Brook\\, Inc.\nOU=eng\nCN=alice')).to.equal('CN=alice,OU=eng,O=Brook\\, Inc.,C=US');
    const rules = parsePrincipalMappingRules('RULE:^CN=(.*?),OU=ServiceUsers,.*$/$1/,RULE:^CN=(.*?),OU=(.*?),.*$/$1@$2/L, DEFAULT');
    expect(rules).to.have.length(3);
    expect(mapPrincipalName('CN=svc,OU=ServiceUsers,O=B', rules)).to.equal('svc');
    expect(mapPrincipalName('CN=Bob,OU=Eng,O=B', rules)).to.equal('bob@eng');
    expect(mapPrincipalName('CN=root', rules)).to.equal('CN=root');
    expect(() => parsePrincipalMappingRules('RULE:broken')).to.throw(/cannot parse/);
  });

  it('a broker with two listeners reports both bound addresses; host/port stay the first one', async () => {
    const b = await startTestBroker({ config: { listeners: 'SASL_PLAINTEXT://127.0.0.1:0,PLAINTEXT://127.0.0.1:0' } });
    try {
      expect(b.listeners.map((l) => l.name)).to.deep.equal(['SASL_PLAINTEXT', 'PLAINTEXT']);
      expect(b.port).to.equal(b.listeners[0].port);
      expect(b.listeners[0].port).to.not.equal(b.listeners[1].port);
      expect(b.listeners.every((l) => l.advertised.port === l.port && l.advertised.host === '127.0.0.1')).to.equal(true);
    } finally {
      await b.destroy();
    }
  });

  it('Metadata, FindCoordinator and DescribeCluster answer with the advertised address of the listener asked', async () => {
    const b = await startTestBroker({
      config: {
        listeners: 'PLAINTEXT://127.0.0.1:0,INTERNAL://127.0.0.1:0',
        'listener.security.protocol.map': 'INTERNAL:PLAINTEXT',
        'advertised.listeners': 'INTERNAL://internal.example:19094',
      },
    });
    try {
      const ask = async (port: number) => {
        const c = await RawClient.connect(port);
        try {
          const md = await c.request<MetadataResponse>(ApiKey.Metadata, 12, { topics: null, allowAutoTopicCreation: false });
          const fc = await c.request<FindCoordinatorResponse>(ApiKey.FindCoordinator, 4, { keyType: 0, coordinatorKeys: ['g'] });
          const dc = await c.request<DescribeClusterResponse>(ApiKey.DescribeCluster, 0, { includeClusterAuthorizedOperations: false });
          return [`${md.brokers[0].host}:${md.brokers[0].port}`, `${fc.coordinators[0].host}:${fc.coordinators[0].port}`, `${dc.brokers[0].host}:${dc.brokers[0].port}`];
        } finally {
          c.close();
        }
      };
      const [plain, internal] = b.listeners;
      expect(await ask(plain.port)).to.deep.equal(Array(3).fill(`127.0.0.1:${plain.port}`));
      expect(await ask(internal.port)).to.deep.equal(Array(3).fill('internal.example:19094'));
    } finally {
      await b.destroy();
    }
  });

  it('DescribeConfigs shows the listeners but never JAAS passwords or inline private keys', async () => {
    const b = await startTestBroker({
      config: {
        listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
        'listener.name.sasl_plaintext.plain.sasl.jaas.config': 'x.PlainLoginModule required user_alice="alice-secret";',
        'sasl.jaas.config': 'x.PlainLoginModule required user_bob="bob-secret";',
        'ssl.keystore.key': '-----BEGIN PRIVATE KEY-----',
        'listener.name.ssl.ssl.keystore.key': '-----BEGIN PRIVATE KEY-----',
      },
    });
    try {
      const c = await RawClient.connect(b.port);
      try {
        const res = await c.request<DescribeConfigsResponse>(ApiKey.DescribeConfigs, 4, {
          resources: [{ resourceType: 4, resourceName: '1', configurationKeys: null }],
          includeSynonyms: false,
          includeDocumentation: false,
        });
        const configs = new Map(res.results[0].configs.map((e) => [e.name, e]));
        expect(configs.get('listeners')?.value).to.equal('PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0');
        for (const key of ['listener.name.sasl_plaintext.plain.sasl.jaas.config', 'sasl.jaas.config', 'ssl.keystore.key', 'listener.name.ssl.ssl.keystore.key']) {
          expect(configs.get(key), key).to.include({ value: null, isSensitive: true });
        }
        expect(JSON.stringify(res, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))).to.not.match(/secret|PRIVATE KEY/);
      } finally {
        c.close();
      }
    } finally {
      await b.destroy();
    }
  });

  it('inter.broker.listener.name picks the address registered in metadata (what other brokers dial); clients still get their own listener', async () => {
    expect(() => listenerSpecs(buildConfig({ listeners: 'PLAINTEXT://127.0.0.1:0', 'inter.broker.listener.name': 'INTERNAL' }))).to.throw(/not one of the listeners/);
    const b = await startTestBroker({
      config: {
        listeners: 'SASL_PLAINTEXT://127.0.0.1:0,INTERNAL://127.0.0.1:0',
        'listener.security.protocol.map': 'INTERNAL:PLAINTEXT',
        'inter.broker.listener.name': 'internal',
      },
    });
    try {
      const internal = b.listeners[1];
      expect(b.services.metadata.self()).to.include({ host: '127.0.0.1', port: internal.port });
      expect(b.port).to.equal(b.listeners[0].port);
      const c = await RawClient.connect(internal.port);
      try {
        const md = await c.request<MetadataResponse>(ApiKey.Metadata, 12, { topics: null, allowAutoTopicCreation: false });
        expect(md.brokers[0].port).to.equal(internal.port);
      } finally {
        c.close();
      }
    } finally {
      await b.destroy();
    }
  });
});
