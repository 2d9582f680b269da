/**
 * InitializeShareGroupState: v0
 *
 * Behavior:
 * - KIP-932's inter-broker initialization of a share-partition's state at a start offset (AlterShareGroupOffsets
 *   from the group's coordinator), answered by the share coordinator (the leader of `__brook_share_state`-0) once
 *   replicated. In-flight records are forgotten; the partition's leader, whose next write is then
 *   FENCED_STATE_EPOCH, reloads the state.
 * - Needs CLUSTER_ACTION (CLUSTER_AUTHORIZATION_FAILED); NOT_COORDINATOR off the state topic's leader; a negative
 *   start offset is INVALID_REQUEST.
 *
 * Version notes:
 * - v0 is the only version. The request's StateEpoch is not used: the share coordinator takes the next one itself.
 */
import { ErrorCode } from '../../protocol/errors';
import type { InitializeShareGroupStateRequest } from '../../protocol/generated/messages/InitializeShareGroupStateRequest';
import type { InitializeShareGroupStateResponseInput } from '../../protocol/generated/messages/InitializeShareGroupStateResponse';
import type { Handler } from './types';
import { shareStateAccess } from './shareStateAccess';

export const handleInitializeShareGroupState: Handler<InitializeShareGroupStateRequest, InitializeShareGroupStateResponseInput> = async (ctx, req) => {
  const { state, refused } = shareStateAccess(ctx);
  const results = [];
  for (const t of req.topics) {
    const partitions = [];
    for (const p of t.partitions) {
      let errorCode: number = refused ?? ErrorCode.NONE;
      if (errorCode === ErrorCode.NONE) errorCode = p.startOffset < 0n ? ErrorCode.INVALID_REQUEST : await state!.reset(req.groupId, t.topicId.toString('hex'), p.partition, Number(p.startOffset));
      if (errorCode !== ErrorCode.NONE) ctx.broker.logger.info({ api: 'InitializeShareGroupState', group: req.groupId, partition: p.partition, errorCode }, 'share state initialization refused');
      partitions.push({ partition: p.partition, errorCode, errorMessage: null });
    }
    results.push({ topicId: t.topicId, partitions });
  }
  return { results };
};
