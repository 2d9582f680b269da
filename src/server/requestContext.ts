import type { BrokerServices, RequestContext } from '../handlers/types';
import type { ConnectionInfo } from '../net/connection';
import type { ResponseSlot } from './responseSlot';

/**
 * The context a connection hands the handler of one request. A class rather than an object literal with an
 * `afterResponseWritten` closure: every request makes one, so it should cost one object of a fixed shape.
 */
export class ConnectionRequestContext implements RequestContext {
  constructor(
    public apiKey: number,
    public apiVersion: number,
    public correlationId: number,
    public clientId: string | null,
    public connection: ConnectionInfo,
    public broker: BrokerServices,
    public now: number,
    private readonly slot: ResponseSlot,
  ) {}

  afterResponseWritten(fn: () => void): void {
    (this.slot.afterWrite ??= []).push(fn);
  }
}
