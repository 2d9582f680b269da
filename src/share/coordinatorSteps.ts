import type { Logger } from '../log';
import { ErrorCode } from '../../protocol/errors';
import { normalize, RecordState, type PartitionSnapshot, type Settled } from './partitionState';
import type { ShareCoordinatorDeps, ShareGroupEntry } from './coordinatorTypes';
import { copyToDlq } from './dlq';
import type { SharePartition } from './sharePartition';

/** Records that were acquired when the broker stopped are acquirable again, their delivery counts kept (at the limit: archived by the next acquire). */
export function voidAcquisitions(s: PartitionSnapshot): PartitionSnapshot {
  if (!s.runs.some((r) => r.state === RecordState.ACQUIRED)) return s;
  return normalize(
    s.startOffset,
    s.runs.map((r) => (r.state === RecordState.ACQUIRED ? { ...r, state: RecordState.AVAILABLE, member: null, lockUntil: 0, availableAt: 0 } : r)),
  );
}

/** A planned change: its error (nothing written), or the pending write to wait for. */
export interface Committed {
  errorCode: number;
  written: Promise<void> | null;
}

export async function settle(step: Committed, logger: Logger): Promise<number> {
  if (step.errorCode !== 0 || !step.written) return step.errorCode;
  try {
    await step.written;
    return ErrorCode.NONE;
  } catch (err) {
    logger.warn({ err: String(err) }, 'share-partition write failed; the change is void');
    return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  }
}

export function dedupeBatches(batches: Buffer[]): Buffer[] {
  const seen = new Map<bigint, Buffer>();
  for (const b of batches) seen.set(b.readBigInt64BE(0), b);
  return [...seen.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map((e) => e[1]);
}

/** Copies dead records to the group's dead-letter topic, if it has one, before they are archived; an error code when it cannot. */
export async function deadLetter(deps: ShareCoordinatorDeps, g: ShareGroupEntry, sp: SharePartition, dead: readonly Settled[], now: number): Promise<number> {
  if (dead.length === 0 || !g.config.dlqTopic) return ErrorCode.NONE;
  const found = await deps.partitionLog(sp.topicName, sp.partition);
  if ('errorCode' in found) return found.errorCode;
  try {
    await copyToDlq(deps.dlq, g.config.dlqTopic, { log: found.log, topic: sp.topicName, partition: sp.partition, group: g.id }, dead, now);
  } catch (err) {
    deps.logger.error({ group: g.id, topic: sp.topicName, partition: sp.partition, err: String(err) }, 'cannot write to the dead-letter topic; records stay in flight');
    return ErrorCode.KAFKA_STORAGE_ERROR;
  }
  return ErrorCode.NONE;
}
