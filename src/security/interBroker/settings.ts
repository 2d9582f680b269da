import type { ConnectionOptions } from 'node:tls';
import type { BrokerConfig } from '../../config/brokerConfig';
import { listenerProp } from '../../config/listeners';
import type { SecurityProtocol } from '../../net/connection';
import { parseJaasConfig } from '../sasl/jaas';
import { listenerSaslSettings } from '../sasl/listenerSasl';
import { MECHANISM_PLAIN } from '../sasl/mechanism';
import type { SaslCredentials } from '../sasl/clientLogin';
import { listenerTlsSettings } from '../tls/listenerTls';

/** How this broker connects to the others: the inter-broker listener's security protocol, as a client. */
export interface InterBrokerSecurity {
  /** The listener other brokers are reached on (its name in their `listeners`). */
  listenerName: string;
  securityProtocol: SecurityProtocol;
  /** node:tls client options (truststore, and the broker's own certificate for mutual TLS); null without TLS. */
  tls: ConnectionOptions | null;
  /** The broker's own login; null without SASL. */
  sasl: SaslCredentials | null;
}

/** Brook's default for `sasl.mechanism.inter.broker.protocol` (Kafka's is GSSAPI, which Brook does not speak). */
export const DEFAULT_INTER_BROKER_MECHANISM = MECHANISM_PLAIN;

/**
 * The inter-broker listener's name: `inter.broker.listener.name`, or the
 * listener named after `security.inter.broker.protocol` (Kafka's rule: the two
 * are exclusive), else the first listener.
 */
export function interBrokerListenerName(config: BrokerConfig): string {
  const byName = config.raw['inter.broker.listener.name']?.trim();
  const byProtocol = config.raw['security.inter.broker.protocol']?.trim();
  if (byName && byProtocol) throw new Error('inter.broker.listener.name and security.inter.broker.protocol are exclusive: set one');
  const wanted = (byName || byProtocol)?.toUpperCase();
  if (!wanted) return config.listeners[0].name;
  if (!config.listeners.some((l) => l.name === wanted)) {
    const key = byName ? 'inter.broker.listener.name' : 'security.inter.broker.protocol';
    throw new Error(`${key}: ${wanted} is not one of the listeners (${config.listeners.map((l) => l.name).join(', ')})`);
  }
  return wanted;
}

/**
 * The broker's own login on a SASL listener, from that listener's JAAS config
 * as Kafka reads it (`listener.name.<l>.<mechanism>.sasl.jaas.config`, then the
 * less specific keys): the `username`/`password` options of the login module
 * are what the broker authenticates with, next to the `user_<name>` entries it
 * serves.
 */
function brokerLogin(props: Record<string, string>, listener: string, mechanism: string): SaslCredentials {
  const key = `${mechanism.toLowerCase()}.sasl.jaas.config`;
  const jaas = listenerProp(props, listener, key) ?? listenerProp(props, listener, 'sasl.jaas.config');
  const wantModule = mechanism === MECHANISM_PLAIN ? 'PlainLoginModule' : 'ScramLoginModule';
  const module = jaas ? parseJaasConfig(jaas).find((m) => m.loginModule.endsWith(wantModule)) : undefined;
  const username = module?.options.username;
  const password = module?.options.password;
  if (username === undefined || password === undefined) {
    throw new Error(
      `inter-broker SASL ${mechanism} on listener ${listener}: set username="..." password="..." in listener.name.${listener.toLowerCase()}.${key} (the broker's own login)`,
    );
  }
  return { mechanism, username, password };
}

/**
 * Reads the client side of the inter-broker listener from the broker's
 * properties; throws on configuration that could never log in, so a broker
 * fails at start rather than retrying forever.
 */
export function interBrokerSecurity(config: BrokerConfig): InterBrokerSecurity {
  const listenerName = interBrokerListenerName(config);
  const listener = config.listeners.find((l) => l.name === listenerName)!;
  const { securityProtocol } = listener;
  const props = config.raw;
  let tls: ConnectionOptions | null = null;
  if (securityProtocol === 'SSL' || securityProtocol === 'SASL_SSL') {
    // The listener's own keystore is the broker's identity as a client too (what mutual TLS checks),
    // and its truststore decides which brokers it believes.
    const server = listenerTlsSettings(props, listenerName).options;
    const identification = (listenerProp(props, listenerName, 'ssl.endpoint.identification.algorithm') ?? 'https').trim().toLowerCase();
    tls = {
      key: server.key,
      cert: server.cert,
      passphrase: server.passphrase,
      ca: server.ca,
      minVersion: server.minVersion,
      maxVersion: server.maxVersion,
      rejectUnauthorized: true,
      // Kafka's ssl.endpoint.identification.algorithm= (empty) turns host name checking off; the chain is still verified.
      ...(identification === '' ? { checkServerIdentity: () => undefined } : {}),
    };
  }
  let sasl: SaslCredentials | null = null;
  if (securityProtocol === 'SASL_PLAINTEXT' || securityProtocol === 'SASL_SSL') {
    const mechanism = (props['sasl.mechanism.inter.broker.protocol'] ?? DEFAULT_INTER_BROKER_MECHANISM).trim().toUpperCase();
    const enabled = listenerSaslSettings(props, listenerName).enabledMechanisms;
    if (!enabled.includes(mechanism)) {
      throw new Error(`sasl.mechanism.inter.broker.protocol: ${mechanism} is not enabled on listener ${listenerName} (sasl.enabled.mechanisms: ${enabled.join(', ')})`);
    }
    sasl = brokerLogin(props, listenerName, mechanism);
  }
  return { listenerName, securityProtocol, tls, sasl };
}

const cache = new WeakMap<BrokerConfig, InterBrokerSecurity>();

/** interBrokerSecurity, read once per broker (the config object is the broker's). */
export function interBrokerSecurityOf(config: BrokerConfig): InterBrokerSecurity {
  let s = cache.get(config);
  if (!s) cache.set(config, (s = interBrokerSecurity(config)));
  return s;
}
