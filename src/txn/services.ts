import type { BrokerServices, RequestContext } from '../handlers/types';
import { forEachConcurrently } from '../../storage/forEachConcurrently';
import { PRODUCER_EXPIRATION_MS } from '../../storage/producerStateManager';
import { ProducerIdAllocator } from './producerIdAllocator';
import type { TxnServices } from './txnServices';
import { TXN_ID_EXPIRATION_CHECK_MS, TXN_ID_EXPIRATION_MS, TransactionCoordinator } from './coordinator';
import { TXN_STATE_TOPIC } from './txnStateLog';

/** Kafka's producer.id.expiration.check.interval.ms default: 10 minutes. */
const PRODUCER_EXPIRATION_CHECK_MS = 10 * 60 * 1000;
/** Producer-state snapshots written at once at shutdown. */
const SNAPSHOT_CONCURRENCY = 16;

export type { TxnServices } from './txnServices';

export async function startTxnServices(services: BrokerServices): Promise<TxnServices> {
  services.logs.setProducerExpirationMs(Number(services.config.raw['producer.id.expiration.ms'] ?? PRODUCER_EXPIRATION_MS));
  void services.logs.rebuildProducerStateAfterCrash();
  const reserve = services.metadata.reserveProducerIds?.bind(services.metadata);
  const producerIds = reserve ? ProducerIdAllocator.fromBlocks(reserve) : await ProducerIdAllocator.open(services.config.dataDir);
  const coordinator = new TransactionCoordinator(services, producerIds);
  const raw = services.config.raw;
  // Cluster mode: the coordinator is the leader of __transaction_state and moves with it.
  const { metadata } = services;
  const leads = () => metadata.partitionState(TXN_STATE_TOPIC, 0)?.leader === metadata.self().nodeId;
  await coordinator.start(
    {
      sweepMs: Number(raw['transaction.abort.timed.out.transaction.cleanup.interval.ms'] ?? 1000),
      idExpirationMs: Number(raw['transactional.id.expiration.ms'] ?? TXN_ID_EXPIRATION_MS),
      idExpirationCheckMs: Number(raw['transaction.remove.expired.transaction.cleanup.interval.ms'] ?? TXN_ID_EXPIRATION_CHECK_MS),
    },
    services.clustered ? leads() : true,
  );
  const unfollow = services.clustered
    ? metadata.onChange((e) => {
        const moved = (e.type === 'partition-changed' && e.state.topic === TXN_STATE_TOPIC) || (e.type === 'topic-created' && e.topic.name === TXN_STATE_TOPIC);
        if (moved) void coordinator.setLeader(leads()).catch(() => undefined);
      })
    : () => undefined;
  const expiry = setInterval(() => services.logs.expireIdleProducers(), Number(raw['producer.id.expiration.check.interval.ms'] ?? PRODUCER_EXPIRATION_CHECK_MS));
  expiry.unref();
  const txn: TxnServices = {
    producerIds,
    coordinator,
    async stop() {
      unfollow();
      coordinator.stop();
      clearInterval(expiry);
      // only logs whose producer state changed write a file (logs never opened this run keep the one they had at start),
      // a few at a time: 100,000 open logs must not run the process out of descriptors
      const changed = services.logs.openPartitions().filter((log) => log.producerState.changedSinceSnapshot);
      await forEachConcurrently(changed, SNAPSHOT_CONCURRENCY, (log) =>
        log.producerState.snapshot().catch((err: unknown) =>
          services.logger.warn({ topic: log.topic, partition: log.partition, err: String(err) }, 'producer state snapshot failed; the next start replays the log'),
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
  if (b.txn) return Promise.resolve(b.txn);
  b.txnStarting ??= startTxnServices(b);
  return b.txnStarting;
}
