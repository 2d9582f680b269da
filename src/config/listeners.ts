import { hostname } from 'node:os';
import type { SecurityProtocol } from '../net/connection';
import type { AdvertisedListener, ListenerConfig } from '../net/listeners';

export type { ListenerConfig } from '../net/listeners';

/** `PLAINTEXT://host:port,OTHER://h2:p2` -> listeners. */
export function parseListeners(value: string): AdvertisedListener[] {
  if (value.trim() === '') return [];
  return value.split(',').map((entry) => {
    const m = /^\s*([A-Za-z0-9_]+):\/\/(\[[^\]]+\]|[^:]*):(\d+)\s*$/.exec(entry);
    if (!m) throw new Error(`invalid listener ${entry}`);
    return { name: m[1], host: m[2].replace(/^\[|\]$/g, ''), port: Number(m[3]) };
  });
}

export const SECURITY_PROTOCOLS: readonly SecurityProtocol[] = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];

function isSecurityProtocol(s: string): s is SecurityProtocol {
  return (SECURITY_PROTOCOLS as readonly string[]).includes(s);
}

/** `listener.security.protocol.map=INTERNAL:SASL_PLAINTEXT,...`; the four protocol names always map to themselves. */
export function parseProtocolMap(value: string | undefined): Map<string, SecurityProtocol> {
  const map = new Map<string, SecurityProtocol>(SECURITY_PROTOCOLS.map((p) => [p, p]));
  if (value === undefined || value.trim() === '') return map;
  for (const entry of value.split(',')) {
    const m = /^\s*([A-Za-z0-9_]+)\s*:\s*([A-Za-z_]+)\s*$/.exec(entry);
    if (!m) throw new Error(`listener.security.protocol.map: invalid entry "${entry}"`);
    const proto = m[2].toUpperCase();
    if (!isSecurityProtocol(proto)) throw new Error(`listener.security.protocol.map: unknown security protocol ${m[2]}`);
    map.set(m[1].toUpperCase(), proto);
  }
  return map;
}

/** Hosts that mean "every interface": a bind address, never one a client can connect to. */
const META_ADDRESSES = new Set(['0.0.0.0', '::', '0:0:0:0:0:0:0:0']);

/**
 * `advertised.listeners` checked as Kafka checks it (KafkaConfig): no meta-address, one entry per name, only
 * names `listeners` declares. An empty host is advertised as this machine's host name, as Kafka advertises
 * the canonical host name. Without an explicit `listeners` (one PLAINTEXT listener from --host/--port) a
 * single entry applies to that listener whatever its name, as Brook always did.
 */
function advertisedByName(value: string, declared: readonly string[], implicit: boolean): Map<string, AdvertisedListener> {
  const out = new Map<string, AdvertisedListener>();
  for (const l of parseListeners(value)) {
    const name = l.name.toUpperCase();
    if (META_ADDRESSES.has(l.host)) {
      throw new Error(`advertised.listeners: ${l.name}://${l.host}:${l.port} uses the non-routable meta-address ${l.host}; advertise an address clients can reach`);
    }
    if (out.has(name)) throw new Error(`advertised.listeners: listener ${name} appears more than once; each listener must have a different name`);
    out.set(name, { name, host: l.host === '' ? hostname() : l.host, port: l.port });
  }
  if (implicit && declared.length === 1 && out.size === 1) return new Map([[declared[0]!, [...out.values()][0]!]]);
  const unknown = [...out.keys()].filter((n) => !declared.includes(n));
  if (unknown.length > 0) {
    throw new Error(`advertised.listeners: ${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not in listeners (${declared.join(', ')}); advertised listener names must be a subset of the listeners' names`);
  }
  return out;
}

/**
 * Listeners from `listeners` (Kafka syntax) or, without it, one PLAINTEXT
 * listener on host:port (the `--host/--port` flags).
 */
export function listenersFromProps(props: Record<string, string>, host: string, port: number): ListenerConfig[] {
  const protocols = parseProtocolMap(props['listener.security.protocol.map']);
  const implicit = props['listeners'] === undefined || props['listeners'].trim() === '';
  const declared = implicit ? [{ name: 'PLAINTEXT', host, port }] : parseListeners(props['listeners']);
  const seen = new Set<string>();
  const listeners = declared.map((l) => {
    const name = l.name.toUpperCase();
    if (seen.has(name)) throw new Error(`listeners: listener ${name} is declared twice`);
    seen.add(name);
    const securityProtocol = protocols.get(name);
    if (!securityProtocol) throw new Error(`listeners: no security protocol for listener ${name}; add it to listener.security.protocol.map`);
    return { name, host: l.host === '' ? '0.0.0.0' : l.host, port: l.port, securityProtocol };
  });
  const advertised = advertisedByName(props['advertised.listeners'] ?? '', [...seen], implicit);
  return listeners.map((l) => {
    const adv = advertised.get(l.name);
    return { ...l, advertised: adv ? { host: adv.host, port: adv.port } : null };
  });
}

/**
 * A listener's value for a key: `listener.name.<lower-case name>.<key>` first (Kafka's
 * per-listener override), then the broker-wide `<key>`.
 */
export function listenerProp(props: Record<string, string>, listenerName: string, key: string): string | undefined {
  return props[`listener.name.${listenerName.toLowerCase()}.${key}`] ?? props[key];
}
