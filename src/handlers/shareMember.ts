/**
 * The checks ShareFetch and ShareAcknowledge make before they touch a share session: share groups are served here,
 * both ids are given, the principal may READ the group, and the member is in it. Not a handler.
 */
import { ErrorCode } from '../../protocol/errors';
import { shareServicesOf, type ShareServices } from '../share/services';
import { authorizedGroup } from '../security/acl/check';
import { AclOperation } from '../security/acl/model';
import type { RequestContext } from './types';
import { groupCoordinatorError } from '../groups/services';

export type ShareMemberCheck = { ok: true; share: ShareServices; group: string; member: string } | { ok: false; errorCode: number; errorMessage: string | null };

export async function checkShareMember(ctx: RequestContext, groupId: string | null, memberId: string | null): Promise<ShareMemberCheck> {
  const share = shareServicesOf(ctx.broker);
  if (!share) return { ok: false, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: null };
  const group = groupId ?? '';
  const member = memberId ?? '';
  if (!group || !member) return { ok: false, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'GroupId and MemberId are required' };
  if (!authorizedGroup(ctx, AclOperation.READ, group)) return { ok: false, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage: null };
  // Cluster mode: a data partition's leader that does not coordinate the group cannot see its members (Kafka's leaders
  // do not check either); the share session still ties the requests to the member id.
  if (ctx.broker.clustered && groupCoordinatorError(ctx, group) !== ErrorCode.NONE) return { ok: true, share, group, member };
  await share.coordinator.loadGroup(group);
  if (!share.coordinator.group(group)?.membership.members.has(member)) {
    return { ok: false, errorCode: ErrorCode.UNKNOWN_MEMBER_ID, errorMessage: `member ${member} is not in share group ${group}` };
  }
  return { ok: true, share, group, member };
}

/**
 * Whether a share group holds `groupId`. One group id, one group type: classic joins, offset commits and KIP-848
 * heartbeats for it are refused with GROUP_ID_NOT_FOUND, as Kafka answers, rather than creating a second group of that
 * name beside it (which would leave its share consumers fatally unable to heartbeat). A group the group coordinator
 * already has cannot be a share group (a share join checks the other way), so only a new id is looked up: in cluster
 * mode that look-up reads the group's records from its __consumer_offsets partition once per coordinator epoch.
 */
export async function heldByShareGroup(ctx: RequestContext, groupId: string, groups: { hasGroup(id: string): boolean }): Promise<boolean> {
  const share = shareServicesOf(ctx.broker);
  if (!share || !groupId || groups.hasGroup(groupId)) return false;
  await share.coordinator.loadGroup(groupId).catch(() => undefined);
  return share.coordinator.group(groupId) !== undefined;
}
