import type { BrokerIdentity } from '../../metadata/types';

/**
 * Where another broker is reached on the inter-broker listener: its advertised
 * endpoint for that listener, else (a registration without endpoints, or
 * without that listener) the address it registered, which is its own
 * inter-broker listener's.
 */
export function interBrokerAddress(broker: BrokerIdentity, listenerName: string): { host: string; port: number } {
  const at = broker.endpoints?.[listenerName];
  return at ? { host: at.host, port: at.port } : { host: broker.host, port: broker.port };
}
