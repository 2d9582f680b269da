import type { BrokerServices, RequestContext } from '../handlers/types';
import type { AnswerListener } from '../handlers/pendingAnswer';
import type { RegisteredApi } from '../handlers/registry';
import type { ConnectionInfo } from '../net/connection';
import type { ResponseSlot } from './responseSlot';

/** What ends a request in flight: its connection. */
export interface RequestRunner {
  complete(req: ConnectionRequestContext, res: unknown): void;
  handlerFailed(req: ConnectionRequestContext, err: unknown): void;
}

/**
 * One request in flight on a connection: the context its handler gets, and
 * what hears the handler's pending answer (AnswerListener). A class rather
 * than an object literal with closures: every request makes one, so it should
 * cost one object of a fixed shape.
 */
export class ConnectionRequestContext implements RequestContext, AnswerListener<unknown> {
  /** performance.now() when the handler began, for the observer (0 without one). */
  started = 0;

  constructor(
    public apiKey: number,
    public apiVersion: number,
    public correlationId: number,
    public clientId: string | null,
    public connection: ConnectionInfo,
    public broker: BrokerServices,
    public now: number,
    readonly slot: ResponseSlot,
    readonly api: RegisteredApi,
    readonly body: unknown,
    private readonly runner: RequestRunner,
  ) {}

  afterResponseWritten(fn: () => void): void {
    this.slot.runAfterWrite(fn);
  }

  answered(res: unknown): void {
    this.runner.complete(this, res);
  }

  failed(err: unknown): void {
    this.runner.handlerFailed(this, err);
  }
}
