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
}

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

/** Returns the response body (the generated `...ResponseInput` type) or null for "send nothing" (acks=0). */
export type Handler<Req, Res> = (ctx: RequestContext, req: Req) => Promise<Res | null> | Res | null;

export interface BrokerServices {
  config: BrokerConfig;
  metadata: MetadataService;
  logs: LogManager;
  logger: Logger;
  /** Consumer group coordinator (src/groups), filled in by its owner. */
  groups?: unknown;
  /** Fetch sessions and long-poll waiters; created on first use when a test builds services by hand. */
  fetch?: FetchState;
}
