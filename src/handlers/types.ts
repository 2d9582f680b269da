import type { BrokerConfig } from '../config/brokerConfig';
import type { Logger } from '../log';
import type { MetadataService } from '../metadata/types';
import type { LogManager } from '../../storage';
import type { FetchState } from '../fetch/fetchState';

export interface ConnectionInfo {
  id: number;
  remoteAddress: string;
  remotePort: number;
  listenerName: string;
  /** PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL: how this connection's listener is secured. */
  securityProtocol: SecurityProtocol;
  /**
   * Who is on the other end, in Kafka's `type:name` form (`User:alice`). Starts as
   * `User:ANONYMOUS` and is replaced by TLS client authentication or SASL; handlers
   * authorize against it, so it is read per request, never cached.
   */
  principal: string;
  /** Set by quota throttling (KIP-219): the server reads nothing more from this connection until then (epoch ms). */
  throttledUntilMs?: number;
}

export type SecurityProtocol = 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';

export const ANONYMOUS_PRINCIPAL = 'User:ANONYMOUS';

export interface RequestContext {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
  connection: ConnectionInfo;
  broker: BrokerServices;
  /** Date.now() when the request was decoded. */
  now: number;
}

/**
 * Watches served traffic from outside the request path (metrics). Called
 * synchronously by the server, so implementations must be cheap and never throw.
 */
export interface BrokerObserver {
  /** After a request was answered; `response` is null for "send nothing" (acks=0), undefined when the handler failed. */
  requestDone(ctx: RequestContext, request: unknown, response: unknown, durationMs: number): void;
  connectionOpened(info: ConnectionInfo): void;
  /** May be called more than once for the same connection. */
  connectionClosed(info: ConnectionInfo): void;
}

/** Returns the response body (the generated `...ResponseInput` type) or null for "send nothing" (acks=0). */
export type Handler<Req, Res> = (ctx: RequestContext, req: Req) => Promise<Res | null> | Res | null;

export interface BrokerServices {
  config: BrokerConfig;
  metadata: MetadataService;
  /** Cluster mode: the metadata is shared with other brokers, which lead some partitions and coordinators. */
  clustered?: boolean;
  logs: LogManager;
  logger: Logger;
  /** Consumer group coordinator (src/groups), filled in by its owner. */
  groups?: unknown;
  /** Fetch sessions and long-poll waiters; created on first use when a test builds services by hand. */
  fetch?: FetchState;
  /** Producer ids and transactions (src/txn), filled in by its owner. */
  txn?: unknown;
  /** Set when metrics are enabled (src/metrics). */
  observer?: BrokerObserver;
  /** Partition roles, follower fetchers, ISR and acks=all (src/replication); absent in single-broker mode. */
  replication?: import('../replication/replicaManager').ReplicaManager;
  /** ACL authorizer (src/security/acl); absent when authorizer.class.name is unset, and then everything is allowed. */
  authorizer?: import('../security/acl/authorizer').AclAuthorizer;
  /** Client quotas and connection limits (src/security/quota). */
  quotas?: import('../security/quota/services').QuotaServices;
  /** SCRAM credentials (src/security/scram), filled in at start. */
  scram?: import('../security/scram/store').ScramCredentialStore;
  /** Dynamic broker configs (AlterConfigs on BROKER resources), shared through etcd in cluster mode. */
  dynamicConfigs?: import('../admin/dynamicBrokerConfigs').DynamicBrokerConfigs;
  /** Advertised host/port of this broker per listener name, filled in once every listener is bound. */
  listenerEndpoints?: Map<string, { host: string; port: number }>;
}
