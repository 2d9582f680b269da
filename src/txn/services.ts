import type { BrokerServices, RequestContext } from '../handlers/types';
import { noteLogsOpened, snapshotProducerState } from '../../storage/producerStateStore';
import { ProducerIdAllocator } from './producerIdAllocator';
import { TransactionCoordinator } from './coordinator';

/** What the producer-facing APIs share; lives in BrokerServices.txn. */
export interface TxnServices {
  producerIds: ProducerIdAllocator;
  /** Transaction coordinator (transactional ids). */
  coordinator: TransactionCoordinator;
  /** Writes producer-state snapshots; call after the server stopped and before the logs close. */
  stop(): Promise<void>;
}

export async function startTxnServices(services: BrokerServices): Promise<TxnServices> {
  noteLogsOpened(services.logs.partitions().map((p) => p.log));
  const producerIds = await ProducerIdAllocator.open(services.config.dataDir);
  const coordinator = new TransactionCoordinator(services, producerIds);
  await coordinator.start(Number(services.config.raw['transaction.abort.timed.out.transaction.cleanup.interval.ms'] ?? 1000));
  const txn: TxnServices = {
    producerIds,
    coordinator,
    async stop() {
      coordinator.stop();
      await Promise.all(
        services.logs.partitions().map(({ topic, partition, log }) =>
          snapshotProducerState(log).catch((err: unknown) =>
            services.logger.warn({ topic, partition, err: String(err) }, 'producer state snapshot failed; the next start replays the log'),
          ),
        ),
      );
    },
  };
  services.txn = txn;
  return txn;
}

/** The broker's TxnServices, started on first use when services were built by hand (tests). */
export function txnServices(ctx: RequestContext): Promise<TxnServices> {
  const b = ctx.broker as BrokerServices & { txnStarting?: Promise<TxnServices> };
  if (b.txn) return Promise.resolve(b.txn as TxnServices);
  b.txnStarting ??= startTxnServices(b);
  return b.txnStarting;
}
