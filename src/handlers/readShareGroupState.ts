/**
 * ReadShareGroupState: v0
 *
 * Behavior:
 * - KIP-932's inter-broker read of a share-partition's persisted state, answered by the share coordinator (the leader
 *   of `__brook_share_state`-0): the start offset (-1 when the group has no state there) and the state batches.
 * - Needs CLUSTER_ACTION (CLUSTER_AUTHORIZATION_FAILED). NOT_COORDINATOR off the state topic's leader,
 *   COORDINATOR_NOT_AVAILABLE when share groups are not running; a leader epoch older than the last writer's is
 *   FENCED_LEADER_EPOCH.
 *
 * Version notes:
 * - v0 is the only version.
 */
import type { ReadShareGroupStateRequest } from '../../protocol/generated/messages/ReadShareGroupStateRequest';
import type { ReadShareGroupStateResponseInput } from '../../protocol/generated/messages/ReadShareGroupStateResponse';
import { toStateBatches } from '../share/stateBatches';
import type { Handler } from './types';
import { shareStateAccess } from './shareStateAccess';

export const handleReadShareGroupState: Handler<ReadShareGroupStateRequest, ReadShareGroupStateResponseInput> = async (ctx, req) => {
  const { state, refused } = shareStateAccess(ctx);
  const results = [];
  for (const t of req.topics) {
    const partitions = [];
    for (const p of t.partitions) {
      const read = refused === null ? await state!.read(req.groupId, t.topicId.toString('hex'), p.partition, p.leaderEpoch) : { errorCode: refused };
      if (read.errorCode !== 0 || !('snapshot' in read) || read.snapshot === undefined) {
        ctx.broker.logger.info({ api: 'ReadShareGroupState', group: req.groupId, partition: p.partition, errorCode: read.errorCode }, 'share state read refused');
        partitions.push({ partition: p.partition, errorCode: read.errorCode, errorMessage: null, stateEpoch: 0, startOffset: -1n, stateBatches: [] });
        continue;
      }
      const s = read.snapshot;
      partitions.push({ partition: p.partition, errorCode: 0, errorMessage: null, stateEpoch: read.stateEpoch, startOffset: s ? BigInt(s.startOffset) : -1n, stateBatches: s ? toStateBatches(s) : [] });
    }
    results.push({ topicId: t.topicId, partitions });
  }
  return { results };
};
