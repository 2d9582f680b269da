import { buildControlBatch } from '../../protocol/records/control';
import type { PartitionLog } from '../../storage';
import { applyMarker } from '../../storage/producerState';
import type { BrokerServices } from '../handlers/types';
import { minInsyncFor } from '../replication/config';
import { awaitReplicated } from '../replication/leadership';

/** Kafka's request.timeout.ms default: how long a marker may wait for the partition's ISR. */
const MARKER_REPLICATION_TIMEOUT_MS = 30_000;

/**
 * Appends a commit or abort marker for `producerId` to one partition and
 * closes the producer's transaction there (moving the LSO, indexing aborts).
 * Returns the marker's offset.
 */
export async function writeTxnMarker(log: PartitionLog, producerId: bigint, epoch: number, commit: boolean, coordinatorEpoch: number, now: number): Promise<number> {
  const table = await log.producerState.table();
  const batch = buildControlBatch({ producerId, producerEpoch: epoch, commit, coordinatorEpoch, timestamp: BigInt(now) });
  const res = await log.append(batch, { now, leaderEpoch: 0 });
  applyMarker(table, producerId, epoch, !commit, res.baseOffset, now);
  return res.baseOffset;
}

/**
 * Kafka appends markers with acks=all: a marker counts (and the coordinator may
 * complete the transaction) only once the partition's ISR has it, or a leader
 * failover could drop it and leave the transaction open there for good.
 * Resolves 0 or the error code; at once without replication.
 */
export function awaitMarkerReplicated(services: BrokerServices, topic: string, partition: number, markerOffset: number): Promise<number> {
  const replication = services.replication;
  if (!replication) return Promise.resolve(0);
  const minInsync = minInsyncFor(services.metadata.topic(topic)?.configs ?? {}, replication.config.minInsyncReplicas);
  const timeoutMs = Number(services.config.raw['request.timeout.ms'] ?? MARKER_REPLICATION_TIMEOUT_MS);
  return awaitReplicated(services, topic, partition, markerOffset, timeoutMs, minInsync);
}
