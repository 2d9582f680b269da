import type { BrokerIdentity } from '../metadata/types';
import type { RequestContext } from './types';

/**
 * Where a client should reach broker `b`: for this broker, the advertised
 * address of the listener the request came in on (a SASL_SSL client must be
 * sent back to the SASL_SSL port, not the first listener's).
 */
export function endpointFor(ctx: RequestContext, b: Pick<BrokerIdentity, 'nodeId' | 'host' | 'port'>): { host: string; port: number } {
  if (b.nodeId === ctx.broker.config.nodeId) {
    const own = ctx.broker.listenerEndpoints?.get(ctx.connection.listenerName);
    if (own) return own;
  }
  return { host: b.host, port: b.port };
}
