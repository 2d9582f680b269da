import { ReadBufferPool } from '../../storage/readBuffers';
import { DataWaiters } from './dataWaiter';
import { FetchSessionCache } from './sessionCache';

/** Broker-wide data-path state shared by all Fetch requests. */
export class FetchState {
  readonly sessions: FetchSessionCache;
  readonly waiters = new DataWaiters();
  /** Recycled read buffers: a fetch borrows them and gives them back once its answer was written. */
  readonly readBuffers = new ReadBufferPool();

  constructor(sessionSlots: number) {
    this.sessions = new FetchSessionCache(sessionSlots);
  }
}
