/**
 * DeleteShareGroupState: v0
 *
 * Behavior:
 * - KIP-932's inter-broker delete of share-partition state (DeleteShareGroupOffsets, DeleteGroups), answered by the
 *   share coordinator (the leader of `__brook_share_state`-0) once replicated: the state is reset to none under the
 *   next state epoch, so the partition's leader (whose next write is FENCED_STATE_EPOCH) reloads it.
 * - Needs CLUSTER_ACTION (CLUSTER_AUTHORIZATION_FAILED); NOT_COORDINATOR off the state topic's leader.
 *
 * Version notes:
 * - v0 is the only version.
 */
import type { DeleteShareGroupStateRequest } from '../../protocol/generated/messages/DeleteShareGroupStateRequest';
import type { DeleteShareGroupStateResponseInput } from '../../protocol/generated/messages/DeleteShareGroupStateResponse';
import type { Handler } from './types';
import { shareStateAccess } from './shareStateAccess';

export const handleDeleteShareGroupState: Handler<DeleteShareGroupStateRequest, DeleteShareGroupStateResponseInput> = async (ctx, req) => {
  const { state, refused } = shareStateAccess(ctx);
  const results = [];
  for (const t of req.topics) {
    const partitions = [];
    for (const p of t.partitions) {
      const errorCode = refused ?? (await state!.reset(req.groupId, t.topicId.toString('hex'), p.partition, -1));
      partitions.push({ partition: p.partition, errorCode, errorMessage: null });
    }
    results.push({ topicId: t.topicId, partitions });
  }
  return { results };
};
