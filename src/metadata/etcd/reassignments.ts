import { ErrorCode } from '../../../protocol/errors';
import { cancelReassignment, startReassignment } from '../controller/reassignment';
import type { ReassignmentRequest, ReassignmentResult } from '../types';
import { casPartition, KEPT_CHANGING, type PartitionWriteContext } from './partitionWrites';

/**
 * AlterPartitionReassignments against etcd: each partition's record gets the
 * reassignment (or loses it, on cancel) in one compare-and-swap write, so the
 * state lives with the partition and a controller taking over midway finds it
 * there and finishes it.
 */
export function alterReassignments(
  ctx: PartitionWriteContext,
  requests: readonly ReassignmentRequest[],
  live: ReadonlySet<number>,
  opts: { allowReplicationFactorChange: boolean },
): Promise<ReassignmentResult[]> {
  return Promise.all(
    requests.map(({ topic, partition, replicas }) => {
      const result = (errorCode: number, message: string | null = null): ReassignmentResult => ({ topic, partition, errorCode, message });
      return casPartition(
        ctx,
        topic,
        partition,
        () => result(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `unknown partition ${topic}-${partition}`),
        () => result(KEPT_CHANGING, `partition ${topic}-${partition} kept changing`),
        (current) => {
          const decision = replicas === null ? cancelReassignment(current, live) : startReassignment(current, replicas, live, live, opts.allowReplicationFactorChange);
          if ('errorCode' in decision) return { result: result(decision.errorCode, decision.message) };
          return decision.state ? { write: decision.state, result: result(ErrorCode.NONE) } : { result: result(ErrorCode.NONE) };
        },
      );
    }),
  );
}
