/**
 * CreateAcls: v0-3
 *
 * Behavior:
 * - Needs an authorizer (else SECURITY_DISABLED for every creation) and ALTER on the cluster
 *   (CLUSTER_AUTHORIZATION_FAILED).
 * - Each creation succeeds or fails on its own: an invalid binding is INVALID_REQUEST; a failed store write is
 *   UNKNOWN_SERVER_ERROR for the valid ones.
 *
 * Version notes:
 * - v0: literal resource names only. v1+: resource pattern type (prefixed patterns).
 * - v2+: flexible. v3: USER resource type.
 */
import { ErrorCode } from '../../protocol/errors';
import type { CreateAclsRequest } from '../../protocol/generated/messages/CreateAclsRequest';
import type { CreateAclsResponseInput } from '../../protocol/generated/messages/CreateAclsResponse';
import { authorizedCluster } from '../security/acl/check';
import { AclOperation, bindingProblem, type AclBinding } from '../security/acl/model';
import type { Handler } from './types';

type Result = NonNullable<CreateAclsResponseInput['results']>[number];

export const handleCreateAcls: Handler<CreateAclsRequest, CreateAclsResponseInput> = async (ctx, req) => {
  const authorizer = ctx.broker.authorizer;
  const all = (errorCode: number, errorMessage: string): CreateAclsResponseInput => ({
    throttleTimeMs: 0,
    results: req.creations.map(() => ({ errorCode, errorMessage })),
  });
  if (!authorizer) return all(ErrorCode.SECURITY_DISABLED, 'no authorizer is configured on the broker (authorizer.class.name)');
  if (!authorizedCluster(ctx, AclOperation.ALTER)) return all(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'creating ACLs needs ALTER on the cluster');
  const results: Result[] = [];
  const valid: AclBinding[] = [];
  for (const c of req.creations) {
    const b: AclBinding = {
      resourceType: c.resourceType,
      resourceName: c.resourceName,
      patternType: c.resourcePatternType,
      principal: c.principal,
      host: c.host,
      operation: c.operation,
      permission: c.permissionType,
    };
    const problem = bindingProblem(b);
    if (problem) {
      results.push({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: problem });
    } else {
      valid.push(b);
      results.push({ errorCode: 0, errorMessage: null });
    }
  }
  if (valid.length > 0) {
    try {
      await authorizer.store.add(valid);
    } catch (err) {
      ctx.broker.logger.error({ err: (err as Error).message }, 'cannot store ACLs');
      for (const r of results) if (r.errorCode === 0) Object.assign(r, { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: (err as Error).message });
    }
  }
  return { throttleTimeMs: 0, results };
};
