/**
 * DescribeAcls: v0-3
 *
 * Behavior:
 * - Needs an authorizer (else SECURITY_DISABLED) and DESCRIBE on the cluster (CLUSTER_AUTHORIZATION_FAILED); an
 *   invalid filter is INVALID_REQUEST.
 * - Matching bindings grouped by resource pattern, in the order the patterns were first stored.
 *
 * Version notes:
 * - v0: literal resource names only. v1+: pattern type filter.
 * - v2+: flexible. v3: USER resource type.
 */
import { ErrorCode } from '../../protocol/errors';
import type { DescribeAclsRequest } from '../../protocol/generated/messages/DescribeAclsRequest';
import type { DescribeAclsResponseInput } from '../../protocol/generated/messages/DescribeAclsResponse';
import { authorizedCluster } from '../security/acl/check';
import { AclOperation, filterMatches, filterProblem, type AclBinding, type AclBindingFilter } from '../security/acl/model';
import type { Handler } from './types';

type Resource = NonNullable<DescribeAclsResponseInput['resources']>[number];

/** Bindings grouped by resource pattern, in the order the patterns were first stored. */
export function groupByResource(bindings: readonly AclBinding[]): Resource[] {
  const byPattern = new Map<string, Resource & { acls: NonNullable<Resource['acls']> }>();
  for (const b of bindings) {
    const key = `${b.resourceType}\u0000${b.patternType}\u0000${b.resourceName}`;
    let r = byPattern.get(key);
    if (!r) byPattern.set(key, (r = { resourceType: b.resourceType, resourceName: b.resourceName, patternType: b.patternType, acls: [] }));
    r.acls.push({ principal: b.principal, host: b.host, operation: b.operation, permissionType: b.permission });
  }
  return [...byPattern.values()];
}

export const handleDescribeAcls: Handler<DescribeAclsRequest, DescribeAclsResponseInput> = (ctx, req) => {
  const failed = (errorCode: number, errorMessage: string): DescribeAclsResponseInput => ({ throttleTimeMs: 0, errorCode, errorMessage, resources: [] });
  const authorizer = ctx.broker.authorizer;
  if (!authorizer) return failed(ErrorCode.SECURITY_DISABLED, 'no authorizer is configured on the broker (authorizer.class.name)');
  if (!authorizedCluster(ctx, AclOperation.DESCRIBE)) return failed(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'describing ACLs needs DESCRIBE on the cluster');
  const filter: AclBindingFilter = {
    resourceType: req.resourceTypeFilter,
    resourceName: req.resourceNameFilter,
    patternType: req.patternTypeFilter,
    principal: req.principalFilter,
    host: req.hostFilter,
    operation: req.operation,
    permission: req.permissionType,
  };
  const problem = filterProblem(filter);
  if (problem) return failed(ErrorCode.INVALID_REQUEST, problem);
  const matching = authorizer.store.list().filter((b) => filterMatches(filter, b));
  return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, resources: groupByResource(matching) };
};
