/**
 * DescribeUserScramCredentials: v0
 *
 * Behavior:
 * - KIP-554: mechanisms and iterations per user, never salts or keys. Needs DESCRIBE on the cluster (top-level
 *   CLUSTER_AUTHORIZATION_FAILED).
 * - Null or empty user list: every user with credentials. A user named twice: DUPLICATE_RESOURCE; a user without
 *   credentials: RESOURCE_NOT_FOUND.
 *
 * Version notes:
 * - v0: the only version.
 */
import { ErrorCode } from '../../protocol/errors';
import type { DescribeUserScramCredentialsRequest } from '../../protocol/generated/messages/DescribeUserScramCredentialsRequest';
import type {
  DescribeUserScramCredentialsResponseInput,
  DescribeUserScramCredentialsResultInput,
} from '../../protocol/generated/messages/DescribeUserScramCredentialsResponse';
import { authorizedCluster } from '../security/acl/check';
import { AclOperation } from '../security/acl/model';
import type { ScramUserInfo } from '../security/scram/store';
import type { Handler } from './types';

function described(info: ScramUserInfo): DescribeUserScramCredentialsResultInput {
  return {
    user: info.user,
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    credentialInfos: info.credentials.map((c) => ({ mechanism: c.mechanism.code, iterations: c.iterations })),
  };
}

export const handleDescribeUserScramCredentials: Handler<DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponseInput> = (ctx, req) => {
  if (!authorizedCluster(ctx, AclOperation.DESCRIBE)) {
    return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null, results: [] };
  }
  const all = ctx.broker.scram?.users() ?? [];
  if (req.users === null || req.users.length === 0) return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, results: all.map(described) };
  const byName = new Map(all.map((u) => [u.user, u]));
  const counts = new Map<string, number>();
  for (const u of req.users) counts.set(u.name, (counts.get(u.name) ?? 0) + 1);
  const results: DescribeUserScramCredentialsResultInput[] = [];
  for (const [user, count] of counts) {
    const info = byName.get(user);
    if (count > 1) {
      results.push({ user, errorCode: ErrorCode.DUPLICATE_RESOURCE, errorMessage: 'Cannot describe SCRAM credentials for the same user twice in a single request', credentialInfos: [] });
    } else if (!info) {
      results.push({ user, errorCode: ErrorCode.RESOURCE_NOT_FOUND, errorMessage: `Attempt to describe nonexistent SCRAM credential for user ${user}`, credentialInfos: [] });
    } else {
      results.push(described(info));
    }
  }
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, results };
};
