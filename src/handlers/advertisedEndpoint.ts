import type { BrokerIdentity } from '../metadata/types';
import type { RequestContext } from './types';

/**
 * Where a client should reach broker `b`: the advertised address of the
 * listener the request came in on (a SASL_SSL client must be sent to SASL_SSL
 * ports, not to the first or inter-broker listener's). Null when `b` has no
 * such listener: Kafka leaves that broker out of the answer.
 */
export function listenerEndpointOf(ctx: RequestContext, b: Pick<BrokerIdentity, 'nodeId' | 'host' | 'port' | 'endpoints'>): { host: string; port: number } | null {
  // the request reached this broker, so it is always reachable on the request's listener
  if (b.nodeId === ctx.broker.config.nodeId) return ctx.broker.listenerEndpoints?.get(ctx.connection.listenerName) ?? { host: b.host, port: b.port };
  if (b.endpoints) {
    const at = b.endpoints[ctx.connection.listenerName];
    return at ? { host: at.host, port: at.port } : null;
  }
  return { host: b.host, port: b.port };
}

/** As listenerEndpointOf, falling back to the registered address (single broker: always this one). */
export function endpointFor(ctx: RequestContext, b: Pick<BrokerIdentity, 'nodeId' | 'host' | 'port' | 'endpoints'>): { host: string; port: number } {
  return listenerEndpointOf(ctx, b) ?? { host: b.host, port: b.port };
}

/** The live brokers reachable on the request's listener, each with its address there. */
export function brokersOnListener(ctx: RequestContext): Array<{ nodeId: number; host: string; port: number; rack: string | null }> {
  const out = [];
  for (const b of ctx.broker.metadata.brokers()) {
    const at = listenerEndpointOf(ctx, b);
    if (at) out.push({ nodeId: b.nodeId, host: at.host, port: at.port, rack: b.rack });
  }
  return out;
}
