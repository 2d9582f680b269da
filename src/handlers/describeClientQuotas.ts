/**
 * DescribeClientQuotas: v0-1
 *
 * Behavior:
 * - Needs DESCRIBE_CONFIGS on the cluster (CLUSTER_AUTHORIZATION_FAILED).
 * - Matches stored quota entries against the component filters (strict or not); a malformed filter is
 *   INVALID_REQUEST. UNKNOWN_SERVER_ERROR when quotas are not set up on the broker.
 *
 * Version notes:
 * - v0: as above. v1: flexible.
 */
import { ErrorCode } from '../../protocol/errors';
import type { DescribeClientQuotasRequest } from '../../protocol/generated/messages/DescribeClientQuotasRequest';
import type { DescribeClientQuotasResponseInput } from '../../protocol/generated/messages/DescribeClientQuotasResponse';
import { AclOperation } from '../security/acl/model';
import { authorizedCluster } from '../security/acl/check';
import { describeQuotas, parseFilter } from '../security/quota/describe';
import { entityToWire } from '../security/quota/entity';
import type { Handler } from './types';

function failed(errorCode: number, errorMessage: string | null): DescribeClientQuotasResponseInput {
  return { throttleTimeMs: 0, errorCode, errorMessage, entries: null };
}

export const handleDescribeClientQuotas: Handler<DescribeClientQuotasRequest, DescribeClientQuotasResponseInput> = (ctx, req) => {
  if (!authorizedCluster(ctx, AclOperation.DESCRIBE_CONFIGS)) return failed(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, null);
  const quotas = ctx.broker.quotas;
  if (!quotas) return failed(ErrorCode.UNKNOWN_SERVER_ERROR, 'quotas are not available on this broker');
  const filter = parseFilter(req.components, req.strict);
  if (typeof filter === 'string') return failed(ErrorCode.INVALID_REQUEST, filter);
  return {
    throttleTimeMs: 0,
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    entries: describeQuotas(quotas.store.entries(), filter).map((e) => ({
      entity: entityToWire(e.entity),
      values: Object.entries(e.values).map(([key, value]) => ({ key, value })),
    })),
  };
};
