/**
 * WriteShareGroupState: v0
 *
 * Behavior:
 * - KIP-932's inter-broker write of a share-partition's state by the data partition's leader, answered by the share
 *   coordinator (the leader of `__brook_share_state`-0) once the record is replicated (acks=all through the
 *   broker's write path).
 * - Needs CLUSTER_ACTION (CLUSTER_AUTHORIZATION_FAILED). NOT_COORDINATOR off the state topic's leader; a leader
 *   epoch older than the last writer's is FENCED_LEADER_EPOCH, a state epoch other than the current one (a reset
 *   happened since the leader loaded it) FENCED_STATE_EPOCH; state batches that are not contiguous from the start
 *   offset, or carry a state other than 0/2/4, are INVALID_REQUEST. Nothing is written for a refused partition.
 *
 * Version notes:
 * - v0 is the only version. A StartOffset of -1 is refused (Brook always writes it).
 */
import { ErrorCode } from '../../protocol/errors';
import type { WriteShareGroupStateRequest } from '../../protocol/generated/messages/WriteShareGroupStateRequest';
import type { WriteShareGroupStateResponseInput } from '../../protocol/generated/messages/WriteShareGroupStateResponse';
import { fromStateBatches } from '../share/stateBatches';
import type { Handler } from './types';
import { shareStateAccess } from './shareStateAccess';

export const handleWriteShareGroupState: Handler<WriteShareGroupStateRequest, WriteShareGroupStateResponseInput> = async (ctx, req) => {
  const { state, refused } = shareStateAccess(ctx);
  const results = [];
  for (const t of req.topics) {
    const partitions = [];
    for (const p of t.partitions) {
      let errorCode: number = refused ?? ErrorCode.NONE;
      if (errorCode === ErrorCode.NONE) {
        const snapshot = p.startOffset >= 0n ? fromStateBatches(Number(p.startOffset), p.stateBatches) : null;
        errorCode = snapshot ? await state!.write(req.groupId, t.topicId.toString('hex'), p.partition, p.leaderEpoch, p.stateEpoch, snapshot) : ErrorCode.INVALID_REQUEST;
      }
      if (errorCode !== ErrorCode.NONE) ctx.broker.logger.info({ api: 'WriteShareGroupState', group: req.groupId, partition: p.partition, errorCode }, 'share state write refused');
      partitions.push({ partition: p.partition, errorCode, errorMessage: null });
    }
    results.push({ topicId: t.topicId, partitions });
  }
  return { results };
};
