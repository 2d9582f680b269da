import { DataWaiters } from './dataWaiter';
import { FetchSessionCache } from './sessionCache';

/** Broker-wide data-path state shared by all Fetch requests. */
export class FetchState {
  readonly sessions: FetchSessionCache;
  readonly waiters = new DataWaiters();

  constructor(sessionSlots: number) {
    this.sessions = new FetchSessionCache(sessionSlots);
  }
}
