/**
 * DeleteAcls: v0-3
 *
 * Behavior:
 * - Needs an authorizer (else SECURITY_DISABLED) and ALTER on the cluster (CLUSTER_AUTHORIZATION_FAILED); an invalid
 *   filter is INVALID_REQUEST for that filter.
 * - Each filter reports the bindings it removed; a failed store write answers UNKNOWN_SERVER_ERROR for every filter.
 *
 * Version notes:
 * - v0: literal resource names only. v1+: pattern type filter.
 * - v2+: flexible. v3: USER resource type.
 */
import { ErrorCode } from '../../protocol/errors';
import type { DeleteAclsRequest } from '../../protocol/generated/messages/DeleteAclsRequest';
import type { DeleteAclsResponseInput } from '../../protocol/generated/messages/DeleteAclsResponse';
import { authorizedCluster } from '../security/acl/check';
import { AclOperation, bindingKey, filterMatches, filterProblem, type AclBinding, type AclBindingFilter } from '../security/acl/model';
import type { Handler } from './types';

type FilterResult = NonNullable<DeleteAclsResponseInput['filterResults']>[number];

export const handleDeleteAcls: Handler<DeleteAclsRequest, DeleteAclsResponseInput> = async (ctx, req) => {
  const authorizer = ctx.broker.authorizer;
  const all = (errorCode: number, errorMessage: string): DeleteAclsResponseInput => ({
    throttleTimeMs: 0,
    filterResults: req.filters.map(() => ({ errorCode, errorMessage, matchingAcls: [] })),
  });
  if (!authorizer) return all(ErrorCode.SECURITY_DISABLED, 'no authorizer is configured on the broker (authorizer.class.name)');
  if (!authorizedCluster(ctx, AclOperation.ALTER)) return all(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'deleting ACLs needs ALTER on the cluster');
  const stored = authorizer.store.list();
  const doomed = new Map<string, AclBinding>();
  const results: FilterResult[] = req.filters.map((f) => {
    const filter: AclBindingFilter = {
      resourceType: f.resourceTypeFilter,
      resourceName: f.resourceNameFilter,
      patternType: f.patternTypeFilter,
      principal: f.principalFilter,
      host: f.hostFilter,
      operation: f.operation,
      permission: f.permissionType,
    };
    const problem = filterProblem(filter);
    if (problem) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: problem, matchingAcls: [] };
    const matching = stored.filter((b) => filterMatches(filter, b));
    for (const b of matching) doomed.set(bindingKey(b), b);
    return {
      errorCode: 0,
      errorMessage: null,
      matchingAcls: matching.map((b) => ({
        errorCode: 0,
        errorMessage: null,
        resourceType: b.resourceType,
        resourceName: b.resourceName,
        patternType: b.patternType,
        principal: b.principal,
        host: b.host,
        operation: b.operation,
        permissionType: b.permission,
      })),
    };
  });
  if (doomed.size > 0) {
    try {
      await authorizer.store.remove([...doomed.values()]);
    } catch (err) {
      ctx.broker.logger.error({ err: (err as Error).message }, 'cannot store ACLs');
      return all(ErrorCode.UNKNOWN_SERVER_ERROR, (err as Error).message);
    }
  }
  return { throttleTimeMs: 0, filterResults: results };
};
