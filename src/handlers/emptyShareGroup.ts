import { ErrorCode } from '../../protocol/errors';
import { groupCoordinatorError } from '../groups/services';
import { authorizedGroup } from '../security/acl/check';
import { shareServicesOf, type ShareServices } from '../share/services';
import type { RequestContext } from './types';

/**
 * What AlterShareGroupOffsets and DeleteShareGroupOffsets both check first (KIP-932): share groups served here,
 * `operation` allowed on the group, this broker its coordinator, the group known and without members. Either the
 * share services to act with, or the error the whole response carries.
 */
export async function emptyShareGroup(
  ctx: RequestContext,
  groupId: string,
  /** An AclOperation: READ to alter, DELETE to delete (Kafka's authorization of these two APIs). */
  operation: number,
): Promise<{ share: ShareServices } | { share: null; errorCode: number; errorMessage: string | null }> {
  const fail = (errorCode: number, errorMessage: string | null = null) => ({ share: null, errorCode, errorMessage });
  const share = shareServicesOf(ctx.broker);
  if (!share) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  if (!authorizedGroup(ctx, operation, groupId)) return fail(ErrorCode.GROUP_AUTHORIZATION_FAILED);
  const placement = groupCoordinatorError(ctx, groupId);
  if (placement !== ErrorCode.NONE) return fail(placement);
  if (share.cluster) await share.coordinator.loadGroup(groupId);
  const g = share.coordinator.group(groupId);
  if (!g) return fail(ErrorCode.GROUP_ID_NOT_FOUND, `share group ${groupId} not found`);
  if (g.membership.members.size > 0) return fail(ErrorCode.NON_EMPTY_GROUP, 'the share group has members');
  return { share };
}
