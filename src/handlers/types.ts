import type { BrokerCore } from '../brokerCore';
import type { FetchState } from '../fetch/fetchState';
import type { ConnectionInfo } from '../net/connection';
import type { GroupCoordinator } from '../groups/coordinator';
import type { ConsumerGroupOverrides } from '../groups/config';
import type { TxnServices } from '../txn/txnServices';
import type { ReplicaManager } from '../replication/replicaManager';
import type { AclAuthorizer } from '../security/acl/authorizer';
import type { QuotaServices } from '../security/quota/services';
import type { ScramCredentialStore } from '../security/scram/store';
import type { DynamicBrokerConfigs } from '../admin/dynamicBrokerConfigs';
import type { PendingAnswer } from './pendingAnswer';

export { ANONYMOUS_PRINCIPAL, type ConnectionInfo, type SecurityProtocol } from '../net/connection';

export interface RequestContext {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
  connection: ConnectionInfo;
  broker: BrokerServices;
  /** Date.now() when the request was decoded. */
  now: number;
  /**
   * Runs `fn` once this request's response was written to the socket: for
   * buffers the response links, which may be reused after. Never runs when the
   * connection closes first (the buffers are then left to the GC). Absent when
   * the caller keeps the response itself (the HTTP bridge): then nothing may be
   * reused, and handlers must not borrow buffers.
   */
  afterResponseWritten?: (fn: () => void) => void;
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
  /** A SaslHandshake / SaslAuthenticate the connection's SASL gate answered itself (before authentication). */
  saslRequest?(apiKey: number): void;
  /** An authentication (or re-authentication) that succeeded or failed. */
  authentication?(mechanism: string, ok: boolean): void;
}

/**
 * Returns the response body (the generated `...ResponseInput` type) or null for "send nothing" (acks=0), at once,
 * as a promise, or as a PendingAnswer the handler settles itself (no promise layers on a hot path).
 */
export type Handler<Req, Res> = (ctx: RequestContext, req: Req) => Promise<Res | null> | PendingAnswer<Res | null> | Res | null;

export interface BrokerServices extends BrokerCore {
  /** Consumer group coordinator (src/groups), filled in by its owner. */
  groups?: GroupCoordinator;
  /** A group's own configs (GROUP resource), filled in by the share coordinator that keeps them (src/share). */
  groupConfigs?: (groupId: string) => ConsumerGroupOverrides | undefined;
  /** Fetch sessions and long-poll waiters; created on first use when a test builds services by hand. */
  fetch?: FetchState;
  /** Producer ids and transactions (src/txn), filled in by its owner. */
  txn?: TxnServices;
  /** Set when metrics are enabled (src/metrics). */
  observer?: BrokerObserver;
  /** Partition roles, follower fetchers, ISR and acks=all (src/replication); absent in single-broker mode. */
  replication?: ReplicaManager;
  /** ACL authorizer (src/security/acl); absent when authorizer.class.name is unset, and then everything is allowed. */
  authorizer?: AclAuthorizer;
  /** Client quotas and connection limits (src/security/quota). */
  quotas?: QuotaServices;
  /** SCRAM credentials (src/security/scram), filled in at start. */
  scram?: ScramCredentialStore;
  /** Dynamic broker configs (AlterConfigs on BROKER resources), shared through etcd in cluster mode. */
  dynamicConfigs?: DynamicBrokerConfigs;
  /** Advertised host/port of this broker per listener name, filled in once every listener is bound. */
  listenerEndpoints?: Map<string, { host: string; port: number }>;
}
