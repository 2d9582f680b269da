/**
 * Function-style access to a log's producer state, kept for callers written
 * before each PartitionLog owned its ProducerStateManager (`log.producerState`).
 * Holds no state of its own; new code should call the manager directly.
 */
import type { PartitionLog } from './partitionLog';
import type { ProducerStateTable } from './producerState';
import type { ProducerStateLoadStats } from './producerStateManager';

export { PRODUCER_EXPIRATION_MS, type ProducerStateLoadStats } from './producerStateManager';
export { SNAPSHOT_SUFFIX, SNAPSHOTS_KEPT } from './producerSnapshots';
export { applyBatch, applyMarker } from './producerState';

/** @deprecated use `log.producerState.table()` */
export function producerStateOf(log: PartitionLog): Promise<ProducerStateTable> {
  return log.producerState.table();
}

/** @deprecated use `log.producerState.loaded` */
export function loadedProducerState(log: PartitionLog): ProducerStateTable | undefined {
  return log.producerState.loaded;
}

/** @deprecated use `log.producerState.lastLoadStats` */
export function producerStateLoadStats(log: PartitionLog): ProducerStateLoadStats | undefined {
  return log.producerState.lastLoadStats;
}

/** @deprecated use `log.producerState.invalidate(dropSnapshot)` */
export function invalidateProducerState(log: PartitionLog, dropSnapshot = false): Promise<void> {
  return log.producerState.invalidate(dropSnapshot);
}

/** @deprecated use `log.producerState.snapshot()` */
export function snapshotProducerState(log: PartitionLog): Promise<void> {
  return log.producerState.snapshot();
}
