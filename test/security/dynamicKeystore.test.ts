import { readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { expect } from 'chai';
import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/generated/apis';
import type { IncrementalAlterConfigsResponse } from '../../protocol/generated/messages/IncrementalAlterConfigsResponse';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { makeTestCerts, tlsListenerProps, type TestCerts } from '../helpers/certs';
import { RawClient } from '../helpers/rawClient';
import { eventually } from '../helpers/eventually';
import { memoryLogger } from '../helpers/memoryLogger';
import { BROKER_CONFIGS_FILE } from '../../src/config/dynamic/store';

/** The certificate a new TLS connection to the SSL listener is served, as a fingerprint (null when the handshake fails). */
function servedCert(port: number, ca: string): Promise<string | null> {
  return new Promise((resolve) => {
    const s = tls.connect({ host: '127.0.0.1', port, ca: readFileSync(ca), servername: 'localhost' }, () => {
      const fp = s.getPeerX509Certificate()?.fingerprint256 ?? null;
      s.end();
      resolve(fp);
    });
    s.on('error', () => resolve(null));
  });
}

describe('security: a listener keystore changed as a dynamic broker config', function () {
  this.timeout(60_000);
  let a: TestCerts;
  let b: TestCerts;
  let broker: TestBroker;
  let raw: RawClient;
  const logger = memoryLogger();

  before(async () => {
    a = makeTestCerts();
    b = makeTestCerts();
    broker = await startTestBroker({
      logger,
      config: {
        listeners: 'PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0',
        ...tlsListenerProps(a, 'SSL'),
      },
    });
    raw = await RawClient.connect(broker.port);
  });
  after(async () => {
    raw?.close();
    await broker?.close();
    a?.remove();
    b?.remove();
  });

  const alter = (resourceName: string, configs: Array<{ name: string; value: string | null; op?: number }>) =>
    raw.request<IncrementalAlterConfigsResponse>(ApiKey.IncrementalAlterConfigs, 1, {
      validateOnly: false,
      resources: [{ resourceType: 4, resourceName, configs: configs.map((c) => ({ name: c.name, configOperation: c.op ?? 0, value: c.value })) }],
    });

  it('new connections get the new certificate at once; a cluster-wide or unreadable keystore is refused', async () => {
    const sslPort = broker.listeners.find((l) => l.name === 'SSL')!.port;
    const certA = new X509Certificate(readFileSync(a.serverCert)).fingerprint256;
    const certB = new X509Certificate(readFileSync(b.serverCert)).fingerprint256;
    expect(await servedCert(sslPort, a.caCert)).to.equal(certA);
    expect(await servedCert(sslPort, b.caCert)).to.equal(null);

    const res = await alter(String(broker.config.nodeId), [
      { name: 'listener.name.ssl.ssl.key.location', value: b.serverKey },
      { name: 'listener.name.ssl.ssl.certificate.location', value: b.serverCert },
    ]);
    expect(res.responses[0]!.errorCode).to.equal(0);
    await eventually(async () => (await servedCert(sslPort, b.caCert)) === certB, 'the SSL listener to serve certificate B');
    expect(await servedCert(sslPort, a.caCert)).to.equal(null);

    const cluster = await alter('', [{ name: 'listener.name.ssl.ssl.key.location', value: a.serverKey }]);
    expect(cluster.responses[0]!.errorCode).to.equal(ErrorCode.INVALID_REQUEST);
    expect(cluster.responses[0]!.errorMessage).to.match(/per broker only/);
    const missing = await alter(String(broker.config.nodeId), [{ name: 'listener.name.ssl.ssl.key.location', value: '/nonexistent/key.pem' }]);
    expect(missing.responses[0]!.errorCode).to.equal(ErrorCode.INVALID_CONFIG);
    expect(await servedCert(sslPort, b.caCert)).to.equal(certB);
  });

  it('secret values are logged as [hidden] (as Kafka logs PASSWORD configs) and the data-dir file is owner-only', async () => {
    const pem = readFileSync(b.serverKey, 'utf8');
    const res = await alter(String(broker.config.nodeId), [
      { name: 'listener.name.plaintext.ssl.key.password', value: 'TopSecretPw1' },
      { name: 'listener.name.plaintext.ssl.keystore.key', value: pem },
      { name: 'listener.name.plaintext.ssl.keystore.certificate.chain', value: readFileSync(b.serverCert, 'utf8') },
    ]);
    expect(res.responses[0]!.errorCode).to.equal(0);
    const applied = await eventually(
      () => logger.entries.find((e) => e.msg === 'dynamic broker configs applied' && JSON.stringify(e.fields).includes('keystore.key')),
      'the applied configs to be logged',
    );
    const altered = logger.entries.find((e) => e.msg === 'dynamic broker configs altered' && JSON.stringify(e.fields).includes('keystore.key'))!;
    expect((altered.fields.configs as Record<string, string>)['listener.name.plaintext.ssl.key.password']).to.equal('[hidden]');
    expect((applied.fields.broker as Record<string, string>)['listener.name.plaintext.ssl.keystore.key']).to.equal('[hidden]');
    // not a secret: shown as given, as DescribeConfigs shows it
    expect((applied.fields.broker as Record<string, string>)['listener.name.plaintext.ssl.keystore.certificate.chain']).to.match(/BEGIN CERTIFICATE/);
    const logged = JSON.stringify(logger.entries);
    expect(logged).not.to.include('TopSecretPw1');
    expect(logged).not.to.include('PRIVATE KEY');
    expect(statSync(path.join(broker.dataDir, BROKER_CONFIGS_FILE)).mode & 0o777).to.equal(0o600);
  });
});
