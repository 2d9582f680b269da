import { listenerProp } from '../../config/listeners';
import { scramMechanismByName } from '../scram/credential';
import type { ScramCredentialStore } from '../scram/store';
import { ScramSaslServer } from '../scram/server';
import { plainUsersFromJaas } from './jaas';
import { MECHANISM_PLAIN, SUPPORTED_MECHANISMS, type SaslServer } from './mechanism';
import { PlainSaslServer } from './plain';

/** How one SASL listener authenticates, read from Kafka-style properties. */
export interface ListenerSaslSettings {
  /** In the order configured: what SaslHandshake offers. */
  enabledMechanisms: string[];
  /** PLAIN users from the JAAS config (`user_<name>="<password>"`). */
  plainUsers: Map<string, string>;
  /** Largest SASL token accepted (Kafka's sasl.server.max.receive.size). */
  maxReceiveSize: number;
  /** A connection that has not authenticated within this long is closed. */
  authenticationTimeoutMs: number;
  /** connections.max.reauth.ms: 0 = sessions never expire. */
  maxReauthMs: number;
  /** connection.failed.authentication.delay.ms: a failed login is answered (and closed) this much later, to slow guessing. */
  failedAuthenticationDelayMs: number;
}

function intValue(props: Record<string, string>, listener: string, key: string, dflt: number): number {
  const v = listenerProp(props, listener, key);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${key}: not a non-negative integer: ${v}`);
  return n;
}

/**
 * Reads a listener's SASL settings. The PLAIN JAAS text is looked up as Kafka does:
 * `listener.name.<l>.plain.sasl.jaas.config`, then `listener.name.<l>.sasl.jaas.config`,
 * then the broker-wide `plain.sasl.jaas.config` / `sasl.jaas.config`.
 */
export function listenerSaslSettings(props: Record<string, string>, listenerName: string): ListenerSaslSettings {
  const enabled = (listenerProp(props, listenerName, 'sasl.enabled.mechanisms') ?? SUPPORTED_MECHANISMS.join(','))
    .split(',')
    .map((s) => s.trim().toUpperCase())
    .filter((s) => s !== '');
  for (const m of enabled) {
    if (!(SUPPORTED_MECHANISMS as readonly string[]).includes(m)) throw new Error(`sasl.enabled.mechanisms: ${m} is not supported (Brook serves ${SUPPORTED_MECHANISMS.join(', ')})`);
  }
  if (enabled.length === 0) throw new Error(`listener ${listenerName}: sasl.enabled.mechanisms is empty`);
  const jaas = listenerProp(props, listenerName, 'plain.sasl.jaas.config') ?? listenerProp(props, listenerName, 'sasl.jaas.config');
  return {
    enabledMechanisms: enabled,
    plainUsers: jaas ? plainUsersFromJaas(jaas) : new Map(),
    maxReceiveSize: intValue(props, listenerName, 'sasl.server.max.receive.size', 524_288),
    authenticationTimeoutMs: intValue(props, listenerName, 'brook.sasl.authentication.timeout.ms', 10_000),
    maxReauthMs: intValue(props, listenerName, 'connections.max.reauth.ms', 0),
    failedAuthenticationDelayMs: intValue(props, listenerName, 'connection.failed.authentication.delay.ms', 100),
  };
}

/** A fresh server for one exchange, or null when the mechanism is not enabled here. */
export function createSaslServer(settings: ListenerSaslSettings, mechanism: string, scram: ScramCredentialStore | undefined): SaslServer | null {
  if (!settings.enabledMechanisms.includes(mechanism)) return null;
  if (mechanism === MECHANISM_PLAIN) return new PlainSaslServer((user) => settings.plainUsers.get(user) ?? null);
  const mech = scramMechanismByName(mechanism);
  if (!mech) return null;
  return new ScramSaslServer(mech, (user, m) => scram?.get(user, m) ?? null);
}
