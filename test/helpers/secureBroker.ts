import type { StartBrokerOptions } from '../../src/broker';
import { startTestBroker, type TestBroker } from './broker';

export interface SecureTestBroker extends TestBroker {
  /** host:port of the SASL_PLAINTEXT listener. */
  saslBootstrap: string;
  /** host:port of the PLAINTEXT listener (no authentication, principal User:ANONYMOUS). */
  plainBootstrap: string;
}

/** JAAS text declaring PLAIN users the way Kafka's PlainLoginModule does. */
export function plainJaas(users: Record<string, string>): string {
  const entries = Object.entries(users).map(([u, p]) => `user_${u}="${p.replace(/["\\]/g, '\\$&')}"`);
  return `org.apache.kafka.common.security.plain.PlainLoginModule required ${entries.join(' ')};`;
}

/**
 * A test broker with a SASL_PLAINTEXT listener (first, so `bootstrap` points at it)
 * serving the given PLAIN users, plus a PLAINTEXT listener. `opts.config` is applied
 * on top, e.g. `authorizer.class.name` or `sasl.enabled.mechanisms`.
 *
 * kafkajs: `new Kafka({ brokers: [b.saslBootstrap], sasl: { mechanism: 'plain', username, password } })`.
 */
export async function startSecureTestBroker(users: Record<string, string>, opts: StartBrokerOptions = {}): Promise<SecureTestBroker> {
  const broker = await startTestBroker({
    ...opts,
    config: {
      listeners: 'SASL_PLAINTEXT://127.0.0.1:0,PLAINTEXT://127.0.0.1:0',
      'listener.name.sasl_plaintext.plain.sasl.jaas.config': plainJaas(users),
      ...opts.config,
    },
  });
  const sasl = broker.listeners.find((l) => l.securityProtocol === 'SASL_PLAINTEXT')!;
  const plain = broker.listeners.find((l) => l.securityProtocol === 'PLAINTEXT');
  return Object.assign(broker, {
    saslBootstrap: `127.0.0.1:${sasl.port}`,
    plainBootstrap: plain ? `127.0.0.1:${plain.port}` : '',
  });
}
