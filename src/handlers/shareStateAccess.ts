import { ErrorCode } from '../../protocol/errors';
import { authorizedCluster } from '../security/acl/check';
import { AclOperation } from '../security/acl/model';
import { shareServicesOf } from '../share/services';
import type { RequestContext } from './types';

type ShareState = NonNullable<ReturnType<typeof shareServicesOf>>['state'];

/**
 * The share coordinator behind the four *ShareGroupState APIs, or the code every
 * partition of the request is answered with: these are broker-to-broker calls,
 * so CLUSTER_ACTION is required, as in Kafka.
 */
export function shareStateAccess(ctx: RequestContext): { state: ShareState; refused: null } | { state: null; refused: number } {
  if (!authorizedCluster(ctx, AclOperation.CLUSTER_ACTION)) return { state: null, refused: ErrorCode.CLUSTER_AUTHORIZATION_FAILED };
  const state = shareServicesOf(ctx.broker)?.state;
  return state ? { state, refused: null } : { state: null, refused: ErrorCode.COORDINATOR_NOT_AVAILABLE };
}
