import type { SecurityProtocol } from '../net/connection';
import type { ListenerSaslSettings } from '../security/sasl/listenerSasl';

/** What a connection needs to know about the listener that accepted it. */
export interface ListenerRuntime {
  name: string;
  securityProtocol: SecurityProtocol;
  /** Set on SASL_PLAINTEXT / SASL_SSL listeners. */
  sasl: ListenerSaslSettings | null;
}
