/**
 * DescribeCluster: v0-2
 *
 * Behavior:
 * - Anyone may describe the cluster: cluster id, controller and the brokers reachable on the request's listener.
 * - Authorized operations are filled in only when asked for, and only for those with DESCRIBE on the cluster (0
 *   otherwise).
 *
 * Version notes:
 * - v0: brokers, controller, cluster id.
 * - v1+: endpoint_type; anything but BROKER is MISMATCHED_ENDPOINT_TYPE.
 * - v2: include_fenced_brokers and is_fenced (left at their defaults).
 */
import { ErrorCode } from '../../protocol/errors';
import type { DescribeClusterRequest } from '../../protocol/generated/messages/DescribeClusterRequest';
import type { DescribeClusterResponseInput } from '../../protocol/generated/messages/DescribeClusterResponse';
import type { Handler } from './types';
import { authorizedCluster, authorizedOperations } from '../security/acl/check';
import { AclOperation, CLUSTER_RESOURCE_NAME, ResourceType } from '../security/acl/model';
import { brokersOnListener } from './advertisedEndpoint';

/** DescribeClusterRequest.EndpointType values (KIP-919). */
const EndpointType = { BROKER: 1, CONTROLLER: 2 } as const;

/** AclOperation codes that apply to the CLUSTER resource. */
const CLUSTER_OPERATIONS = [
  5, // CREATE
  7, // ALTER
  8, // DESCRIBE
  9, // CLUSTER_ACTION
  10, // DESCRIBE_CONFIGS
  11, // ALTER_CONFIGS
  12, // IDEMPOTENT_WRITE
];
/** Brook has no authorizer, so a client may do everything to the cluster. */
const ALL_CLUSTER_OPERATIONS = CLUSTER_OPERATIONS.reduce((bits, op) => bits | (1 << op), 0);
/** Kafka's "not requested" marker. */
const OPERATIONS_NOT_REQUESTED = -2147483648;

export const handleDescribeCluster: Handler<DescribeClusterRequest, DescribeClusterResponseInput> = (ctx, req) => {
  const { metadata } = ctx.broker;
  const base: DescribeClusterResponseInput = { throttleTimeMs: 0, endpointType: EndpointType.BROKER, clusterId: metadata.clusterId };
  if (ctx.apiVersion >= 1 && req.endpointType !== EndpointType.BROKER) {
    return {
      ...base,
      errorCode: ErrorCode.MISMATCHED_ENDPOINT_TYPE,
      errorMessage: `this is a broker endpoint; endpoint type ${req.endpointType} was asked for`,
      controllerId: -1,
      brokers: [],
    };
  }
  return {
    ...base,
    errorCode: 0,
    errorMessage: null,
    controllerId: metadata.controllerId,
    brokers: brokersOnListener(ctx).map(({ nodeId, ...at }) => ({ brokerId: nodeId, ...at })),
    // As in Kafka, anyone may describe the cluster; the operations are only listed for those with DESCRIBE on it.
    clusterAuthorizedOperations: !req.includeClusterAuthorizedOperations
      ? OPERATIONS_NOT_REQUESTED
      : authorizedCluster(ctx, AclOperation.DESCRIBE)
        ? authorizedOperations(ctx, ResourceType.CLUSTER, CLUSTER_RESOURCE_NAME, CLUSTER_OPERATIONS)
        : 0,
  };
};
