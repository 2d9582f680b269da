import type { BrokerConfig } from '../config/brokerConfig';
import type { BrokerIdentity } from '../metadata/types';
import { interBrokerAddress } from '../security/interBroker/address';
import { interBrokerSecurityOf } from '../security/interBroker/settings';
import { BrokerClient } from './brokerClient';

export interface PeerClientsDeps {
  config: BrokerConfig;
  metadata: { brokers(): BrokerIdentity[]; self(): BrokerIdentity };
}

/**
 * One reused inter-broker connection per peer, for the coordinators and
 * schedulers that send requests to another broker's partitions (transaction
 * markers, share state, trace ranges, scheduled moves). A closed or failed
 * connection is dropped and opened again on the next use. `unreachable` turns
 * "not registered" and connection failures into the caller's error (a Kafka
 * code it can answer with); without it they are plain errors.
 */
export class PeerClients {
  private readonly clients = new Map<number, Promise<BrokerClient>>();

  constructor(
    private readonly deps: PeerClientsDeps,
    /** Asked at each connect: this broker's node id may be known only once it registered. */
    private readonly clientId: () => string,
    private readonly unreachable: (message: string) => Error = (message) => new Error(message),
  ) {}

  async get(nodeId: number): Promise<BrokerClient> {
    const cached = this.clients.get(nodeId);
    if (cached) {
      const c = await cached.catch(() => null);
      if (c && !c.closed) return c;
      this.clients.delete(nodeId);
    }
    const broker = this.deps.metadata.brokers().find((b) => b.nodeId === nodeId);
    if (!broker) throw this.unreachable(`broker ${nodeId} is not registered`);
    const security = interBrokerSecurityOf(this.deps.config);
    const at = interBrokerAddress(broker, security.listenerName);
    const p = BrokerClient.connect(at.host, at.port, this.clientId(), undefined, security).catch((err: Error) => {
      throw this.unreachable(`cannot reach broker ${nodeId}: ${err.message}`);
    });
    this.clients.set(nodeId, p);
    p.catch(() => this.clients.delete(nodeId));
    return p;
  }

  close(): void {
    for (const p of this.clients.values()) void p.then((c) => c.close()).catch(() => undefined);
    this.clients.clear();
  }
}
