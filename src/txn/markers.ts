import { buildControlBatch } from '../../protocol/records/control';
import type { PartitionLog } from '../../storage';
import { applyMarker } from '../../storage/producerState';
import type { TxnBroker } from './txnBroker';
import { partitionWriter } from '../replication/partitionWriter';

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

type MarkerListener = (topic: string, partition: number, producerId: bigint, epoch: number, commit: boolean) => void;
const listeners = new WeakMap<object, Set<MarkerListener>>();

/**
 * Called after a marker was appended (and replicated) here as the partition's leader: the scheduler learns
 * that a transaction `__brook_scheduled` took part in ended. Returns the unsubscribe.
 */
export function onMarkerAppended(broker: object, fn: MarkerListener): () => void {
  let set = listeners.get(broker);
  if (!set) listeners.set(broker, (set = new Set()));
  set.add(fn);
  return () => set.delete(fn);
}

/**
 * Kafka appends markers with acks=all: a marker counts (and the coordinator may
 * complete the transaction) only once the partition's ISR has it, or a leader
 * failover could drop it and leave the transaction open there for good. So it
 * goes through the broker's write path: refused off the leader or below
 * min.insync.replicas, answered once replicated. Resolves 0 or the error code.
 */
export async function appendMarker(broker: TxnBroker, log: PartitionLog, topic: string, partition: number, producerId: bigint, epoch: number, commit: boolean, coordinatorEpoch: number, now: number): Promise<number> {
  const timeoutMs = Number(broker.config.raw['request.timeout.ms'] ?? MARKER_REPLICATION_TIMEOUT_MS);
  const out = await partitionWriter(broker).write(topic, partition, timeoutMs, async () => {
    const offset = await writeTxnMarker(log, producerId, epoch, commit, coordinatorEpoch, now);
    return { baseOffset: offset, lastOffset: offset, logAppendTime: -1, logStartOffset: log.logStartOffset };
  });
  if (out.errorCode === 0) for (const fn of listeners.get(broker) ?? []) fn(topic, partition, producerId, epoch, commit);
  return out.errorCode;
}
