import type { BrokerIdentity } from '../../metadata/types';

type HostPort = { host: string; port: number };

/**
 * Where another broker is reached on the inter-broker listener: its
 * per-listener endpoint when its registration carries one, else the address it
 * registered (which is its inter-broker listener's).
 */
export function interBrokerAddress(broker: BrokerIdentity, listenerName: string): HostPort {
  // `endpoints` is being added to BrokerIdentity; read it structurally so this works before and after.
  const endpoints = (broker as { endpoints?: Record<string, HostPort> | Map<string, HostPort> }).endpoints;
  const at = endpoints instanceof Map ? endpoints.get(listenerName) : endpoints?.[listenerName];
  return at ? { host: at.host, port: at.port } : { host: broker.host, port: broker.port };
}
