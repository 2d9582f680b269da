import { ErrorCode } from '../../protocol/errors';
import type { OffsetDeleteRequest } from '../../protocol/generated/messages/OffsetDeleteRequest';
import type { OffsetDeleteResponseInput } from '../../protocol/generated/messages/OffsetDeleteResponse';
import { groupCoordinator } from '../groups/services';
import { byTopic } from './offsetCommit';
import type { Handler } from './types';

export const handleOffsetDelete: Handler<OffsetDeleteRequest, OffsetDeleteResponseInput> = async (ctx, req) => {
  const coord = groupCoordinator(ctx);
  if (!coord) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, throttleTimeMs: 0, topics: [] };
  const r = await coord.deleteOffsets(
    req.groupId,
    req.topics.map((t) => ({ topic: t.name, partitions: t.partitions.map((p) => p.partitionIndex) })),
  );
  return { errorCode: r.errorCode, throttleTimeMs: 0, topics: byTopic(r.results) };
};
