import { startTestBroker, type TestBroker } from '../helpers/broker';
import { makeTestCerts, type TestCerts } from '../helpers/certs';
import { plainJaas } from '../helpers/secureBroker';
import type { SecureEndpoint } from './types';

export interface SecureBroker {
  endpoint: SecureEndpoint;
  /** A one-partition topic, made on the broker itself so that every client's run starts from the same state. */
  createTopic(topic: string): Promise<void>;
  close(): Promise<void>;
}

/** One Brook broker with a SASL_SSL listener (PLAIN, throwaway certificates), shared by every client's SASL_SSL cell. */
export async function startSecureEndpoint(): Promise<SecureBroker> {
  const certs: TestCerts = makeTestCerts();
  let broker: TestBroker;
  try {
    broker = await startTestBroker({
      config: {
        listeners: 'SASL_SSL://127.0.0.1:0',
        'group.initial.rebalance.delay.ms': '0',
        'ssl.keystore.type': 'PEM',
        'ssl.key.location': certs.serverKey,
        'ssl.certificate.location': certs.serverCert,
        'listener.name.sasl_ssl.plain.sasl.jaas.config': plainJaas({ compat: 'compat-secret' }),
      },
    });
  } catch (e) {
    certs.remove();
    throw e;
  }
  const port = broker.listeners.find((l) => l.securityProtocol === 'SASL_SSL')!.port;
  return {
    endpoint: { bootstrap: `127.0.0.1:${port}`, mechanism: 'PLAIN', username: 'compat', password: 'compat-secret', caFile: certs.caCert },
    async createTopic(topic) {
      await broker.services.metadata.createTopic(topic, { partitions: 1, configs: {} });
    },
    async close() {
      await broker.destroy();
      certs.remove();
    },
  };
}
