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

/**
 * Listeners from `listeners` (Kafka syntax) or, without it, one PLAINTEXT
 * listener on host:port (the `--host/--port` flags).
 */
export function listenersFromProps(props: Record<string, string>, host: string, port: number): ListenerConfig[] {
  const protocols = parseProtocolMap(props['listener.security.protocol.map']);
  const advertised = new Map(parseListeners(props['advertised.listeners'] ?? '').map((l) => [l.name.toUpperCase(), l]));
  const declared = props['listeners'] !== undefined && props['listeners'].trim() !== '' ? parseListeners(props['listeners']) : [{ name: 'PLAINTEXT', host, port }];
  const seen = new Set<string>();
  return declared.map((l) => {
    const name = l.name.toUpperCase();
    if (seen.has(name)) throw new Error(`listeners: listener ${name} is declared twice`);
    seen.add(name);
    const securityProtocol = protocols.get(name);
    if (!securityProtocol) throw new Error(`listeners: no security protocol for listener ${name}; add it to listener.security.protocol.map`);
    const adv = advertised.get(name) ?? (declared.length === 1 && advertised.size === 1 ? [...advertised.values()][0] : undefined);
    return { name, host: l.host === '' ? '0.0.0.0' : l.host, port: l.port, securityProtocol, advertised: adv ? { host: adv.host, port: adv.port } : null };
  });
}

/**
 * A listener's value for a key: `listener.name.<lower-case name>.<key>` first (Kafka's
 * per-listener override), then the broker-wide `<key>`.
 */
export function listenerProp(props: Record<string, string>, listenerName: string, key: string): string | undefined {
  return props[`listener.name.${listenerName.toLowerCase()}.${key}`] ?? props[key];
}
