import { ErrorCode } from '../../protocol/errors';
import type { BrokerServices } from '../handlers/types';
import { SCHEDULED_TOPIC, TXN_STATE_TOPIC } from '../internalTopics/names';
import type { ClusterLink } from './clusterLink';
import { RemoteWriteError } from './clusterLink';
import { SCHEDULED_PARTITION, ensureScheduledTopic } from './scheduleLog';
import { MetadataError } from '../metadata/types';

/**
 * Makes `__brook_scheduled`-0 a partition of the producer's open transaction before its schedules are written
 * there, as AddOffsetsToTxn does for `__consumer_offsets`: the coordinator then writes the transaction's marker
 * there too, and the scheduler holds the schedules until it sees it. The coordinator is asked here when this
 * broker is it, else with AddPartitionsToTxn v4 (the brokers' form). The error code (0 when added).
 */
export async function enlistScheduled(services: BrokerServices, link: ClusterLink | null, transactionalId: string | null, producerId: bigint, epoch: number, now: number): Promise<number> {
  if (transactionalId === null) return ErrorCode.INVALID_TXN_STATE;
  const txn = services.txn;
  if (!txn) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  try {
    await ensureScheduledTopic(services);
  } catch (err) {
    // too few brokers alive to create it yet: retriable, nothing was written
    if (err instanceof MetadataError) return ErrorCode.NOT_ENOUGH_REPLICAS;
    throw err;
  }
  const topics = [{ name: SCHEDULED_TOPIC, partitions: [SCHEDULED_PARTITION] }];
  const coordinator = link ? link.leaderOf(TXN_STATE_TOPIC, 0) : -1;
  if (!link || coordinator === link.selfId) {
    const res = await txn.coordinator.addPartitions(transactionalId, producerId, epoch, topics, ErrorCode.INVALID_PRODUCER_EPOCH, now);
    return res[0]?.results[0]?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
  }
  try {
    return await link.addToTransaction(coordinator, transactionalId, producerId, epoch, SCHEDULED_TOPIC, SCHEDULED_PARTITION);
  } catch (err) {
    return err instanceof RemoteWriteError ? err.errorCode : ErrorCode.COORDINATOR_NOT_AVAILABLE;
  }
}
