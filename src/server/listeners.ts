import type { BrokerConfig } from '../config/brokerConfig';
import type { BrokerServices } from '../handlers/types';
import type { SecurityProtocol } from '../net/connection';
import { interBrokerListenerName } from '../security/interBroker/settings';
import { listenerSaslSettings } from '../security/sasl/listenerSasl';
import { listenerTlsSettings } from '../security/tls/listenerTls';
import type { ConnectionLimits } from './connection';
import { BrokerServer, type ListenerSpec } from './server';

export interface BoundListener {
  name: string;
  host: string;
  port: number;
  securityProtocol: SecurityProtocol;
  /** What Metadata answers on this listener. */
  advertised: { host: string; port: number };
}

export interface RunningListeners {
  /** In `listeners` order. */
  servers: BrokerServer[];
  bound: BoundListener[];
  close(): Promise<void>;
}

/** Reads every listener's TLS and SASL settings; throws on bad configuration before any port is bound. */
export function listenerSpecs(config: BrokerConfig): ListenerSpec[] {
  interBrokerListenerName(config);
  return config.listeners.map((l) => {
    const tls = l.securityProtocol === 'SSL' || l.securityProtocol === 'SASL_SSL' ? listenerTlsSettings(config.raw, l.name) : null;
    const sasl = l.securityProtocol === 'SASL_PLAINTEXT' || l.securityProtocol === 'SASL_SSL' ? listenerSaslSettings(config.raw, l.name) : null;
    return { name: l.name, securityProtocol: l.securityProtocol, tls, sasl };
  });
}

function connectionLimits(config: BrokerConfig): ConnectionLimits {
  return {
    maxRequestBytes: config.socketRequestMaxBytes,
    maxInFlight: config.maxInFlightRequestsPerConnection,
    writeHighWaterMark: config.socketWriteHighWaterMark,
    idleMs: config.connectionsMaxIdleMs,
  };
}

/**
 * Binds every configured listener and records each one's advertised address
 * in `services.listenerEndpoints` (Metadata answers per listener). If one
 * cannot bind, the ones already bound are closed again.
 */
export async function startListeners(services: BrokerServices, config: BrokerConfig, specs: ListenerSpec[] = listenerSpecs(config)): Promise<RunningListeners> {
  const limits = connectionLimits(config);
  const ids = { next: 1 };
  const servers: BrokerServer[] = [];
  const bound: BoundListener[] = [];
  try {
    for (let i = 0; i < specs.length; i++) {
      const server = new BrokerServer(services, limits, specs[i], ids);
      const l = config.listeners[i];
      const addr = await server.listen(l.host, l.port);
      servers.push(server);
      // an advertised port 0 means the port bound, as Kafka advertises its listeners' bound ports
      const advertised = l.advertised
        ? { host: l.advertised.host, port: l.advertised.port === 0 ? addr.port : l.advertised.port }
        : { host: addr.host === '0.0.0.0' || addr.host === '::' ? '127.0.0.1' : addr.host, port: addr.port };
      bound.push({ name: l.name, host: addr.host, port: addr.port, securityProtocol: l.securityProtocol, advertised });
    }
  } catch (err) {
    await Promise.all(servers.map((s) => s.close(0)));
    throw err;
  }
  services.listenerEndpoints = new Map(bound.map((b) => [b.name, b.advertised]));
  return { servers, bound, close: async () => void (await Promise.all(servers.map((s) => s.close()))) };
}

/**
 * The listener whose advertised address this broker registers in the cluster's
 * metadata, which other brokers (replica fetchers) and clients asking another
 * broker use: `inter.broker.listener.name` or `security.inter.broker.protocol`, else the first listener.
 */
export function interBrokerListener(bound: BoundListener[], config: BrokerConfig): BoundListener {
  const name = interBrokerListenerName(config);
  return bound.find((l) => l.name === name) ?? bound[0];
}
