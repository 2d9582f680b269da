import type { ProducerIdAllocator } from './producerIdAllocator';
import type { TransactionCoordinator } from './coordinator';

/** What the producer-facing APIs share; lives in BrokerServices.txn. */
export interface TxnServices {
  producerIds: ProducerIdAllocator;
  /** Transaction coordinator (transactional ids). */
  coordinator: TransactionCoordinator;
  /** Writes producer-state snapshots; call after the server stopped and before the logs close. */
  stop(): Promise<void>;
}
