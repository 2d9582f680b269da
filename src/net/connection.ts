/**
 * Who is on the other end of a client connection and how it reached the
 * broker. A leaf: security, quotas, metrics and the server read these types
 * without depending on the handlers or the services that use them.
 */

/** How a listener is secured, as Kafka names it. */
export type SecurityProtocol = 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';

export const ANONYMOUS_PRINCIPAL = 'User:ANONYMOUS';

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
