/**
 * FindCoordinator: v0-6
 *
 * Behavior:
 * - Group (0), transaction (1) and, from v6, share (2: "group:topicId:partition", KIP-932's share coordinator, the
 *   leader of `__brook_share_state`) keys; any other key type is INVALID_REQUEST.
 * - Needs DESCRIBE on the group or transactional id (GROUP_ / TRANSACTIONAL_ID_AUTHORIZATION_FAILED).
 * - Single broker: this broker coordinates everything (COORDINATOR_NOT_AVAILABLE when the group coordinator is not
 *   running).
 * - Cluster mode: the leader of the key's internal-topic partition; a leader without the request's listener is
 *   COORDINATOR_NOT_AVAILABLE.
 *
 * Version notes:
 * - v0: groups only. v1+: key_type, throttle_time_ms, error_message. v2: as v1. v3+: flexible.
 * - v4+: several keys per request (KIP-699), each with its own error. v5-6: as v4 for Brook.
 */
import { ErrorCode } from '../../protocol/errors';
import type { FindCoordinatorRequest } from '../../protocol/generated/messages/FindCoordinatorRequest';
import type { FindCoordinatorResponseInput } from '../../protocol/generated/messages/FindCoordinatorResponse';
import { groupCoordinator } from '../groups/services';
import { clusterCoordinator } from '../metadata/coordinatorPlacement';
import type { Handler, RequestContext } from './types';
import { coordinatorKeyDenied } from '../security/acl/check';
import { endpointFor, listenerEndpointOf } from './advertisedEndpoint';

const KEY_GROUP = 0;
const KEY_TRANSACTION = 1;
const KEY_SHARE = 2;

export const handleFindCoordinator: Handler<FindCoordinatorRequest, FindCoordinatorResponseInput> = (ctx, req) => {
  const known = req.keyType === KEY_GROUP || req.keyType === KEY_TRANSACTION || (req.keyType === KEY_SHARE && ctx.apiVersion >= 6);
  if (ctx.broker.clustered && known) return findInCluster(ctx, req);
  const self = ctx.broker.metadata.self();
  const at = endpointFor(ctx, self);
  let errorCode: number = ErrorCode.NONE;
  if (!known) errorCode = ErrorCode.INVALID_REQUEST;
  else if (req.keyType === KEY_GROUP && !groupCoordinator(ctx)) errorCode = ErrorCode.COORDINATOR_NOT_AVAILABLE;
  if (ctx.apiVersion < 4 && errorCode === ErrorCode.NONE) errorCode = coordinatorKeyDenied(ctx, req.keyType, req.key);
  const ok = errorCode === ErrorCode.NONE;
  const where = { nodeId: ok ? self.nodeId : -1, host: ok ? at.host : '', port: ok ? at.port : -1 };
  if (ctx.apiVersion >= 4) {
    return {
      throttleTimeMs: 0,
      coordinators: req.coordinatorKeys.map((key) => {
        const denied = ok ? coordinatorKeyDenied(ctx, req.keyType, key) : 0;
        return denied !== 0 ? { key, nodeId: -1, host: '', port: -1, errorCode: denied, errorMessage: null } : { key, ...where, errorCode, errorMessage: null };
      }),
    };
  }
  return { throttleTimeMs: 0, errorCode, errorMessage: null, ...where };
};

/** Cluster mode: each key's coordinator is the leader of its internal topic partition, on whichever broker that is. */
async function findInCluster(ctx: RequestContext, req: FindCoordinatorRequest): Promise<FindCoordinatorResponseInput> {
  const one = async (key: string) => {
    const denied = coordinatorKeyDenied(ctx, req.keyType, key);
    if (denied !== 0) return { nodeId: -1, host: '', port: -1, errorCode: denied };
    const found = await clusterCoordinator(ctx.broker, req.keyType, key);
    if (!found.node) return { nodeId: -1, host: '', port: -1, errorCode: found.errorCode };
    // a coordinator without the client's listener cannot be reached by it (Kafka answers COORDINATOR_NOT_AVAILABLE)
    const at = listenerEndpointOf(ctx, found.node);
    if (!at) return { nodeId: -1, host: '', port: -1, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
    return { nodeId: found.node.nodeId, ...at, errorCode: ErrorCode.NONE };
  };
  if (ctx.apiVersion >= 4) {
    const coordinators = [];
    for (const key of req.coordinatorKeys) coordinators.push({ key, ...(await one(key)), errorMessage: null });
    return { throttleTimeMs: 0, coordinators };
  }
  return { throttleTimeMs: 0, errorMessage: null, ...(await one(req.key)) };
}
