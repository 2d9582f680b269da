import { buildControlBatch } from '../../protocol/records/control';
import type { PartitionLog } from '../../storage';
import { producerStateOf, applyMarker } from '../../storage/producerStateStore';

/**
 * Appends a commit or abort marker for `producerId` to one partition and
 * closes the producer's transaction there (moving the LSO, indexing aborts).
 */
export async function writeTxnMarker(log: PartitionLog, producerId: bigint, epoch: number, commit: boolean, coordinatorEpoch: number, now: number): Promise<void> {
  const table = await producerStateOf(log);
  const batch = buildControlBatch({ producerId, producerEpoch: epoch, commit, coordinatorEpoch, timestamp: BigInt(now) });
  const res = await log.append(batch, { now, leaderEpoch: 0 });
  applyMarker(table, producerId, epoch, !commit, res.baseOffset, now);
}
