import { ErrorCode } from '../../../protocol/errors';
import type { RequestContext } from '../../handlers/types';
import { AclOperation, CLUSTER_RESOURCE_NAME, ResourceType } from './model';

/**
 * The checks handlers call. Without an authorizer (authorizer.class.name unset)
 * each one is a single branch that allows.
 */

export function authorized(ctx: RequestContext, operation: number, resourceType: number, name: string): boolean {
  const a = ctx.broker.authorizer;
  if (a === undefined) return true;
  return a.authorize(ctx.connection, operation, resourceType, name);
}

export const authorizedTopic = (ctx: RequestContext, operation: number, topic: string): boolean => authorized(ctx, operation, ResourceType.TOPIC, topic);
export const authorizedGroup = (ctx: RequestContext, operation: number, group: string): boolean => authorized(ctx, operation, ResourceType.GROUP, group);
export const authorizedTransactionalId = (ctx: RequestContext, operation: number, id: string): boolean =>
  authorized(ctx, operation, ResourceType.TRANSACTIONAL_ID, id);

/** For CLUSTER operations (S1's SCRAM admin APIs and S3's quota APIs use this too). */
export const authorizedCluster = (ctx: RequestContext, operation: number): boolean => authorized(ctx, operation, ResourceType.CLUSTER, CLUSTER_RESOURCE_NAME);

/** May the requester perform `operation` on some resource of the type (idempotent producers: WRITE on any topic). */
export function authorizedAny(ctx: RequestContext, operation: number, resourceType: number): boolean {
  const a = ctx.broker.authorizer;
  if (a === undefined) return true;
  return a.authorizeAny(ctx.connection, operation, resourceType);
}

/**
 * Kafka's authorized-operations bit field for a resource: all of `candidates`
 * without an authorizer, else the ones the requester may perform.
 */
export function authorizedOperations(ctx: RequestContext, resourceType: number, name: string, candidates: readonly number[]): number {
  const a = ctx.broker.authorizer;
  if (a === undefined) return candidates.reduce((bits, op) => bits | (1 << op), 0);
  return a.authorizedOperations(ctx.connection, resourceType, name, candidates);
}

/** Operations Kafka reports for each resource type in authorized-operations fields. */
const O = AclOperation;
export const TOPIC_OPERATIONS: readonly number[] = [O.READ, O.WRITE, O.CREATE, O.DELETE, O.ALTER, O.DESCRIBE, O.DESCRIBE_CONFIGS, O.ALTER_CONFIGS];
export const CLUSTER_OPERATIONS: readonly number[] = [O.CREATE, O.ALTER, O.DESCRIBE, O.CLUSTER_ACTION, O.DESCRIBE_CONFIGS, O.ALTER_CONFIGS, O.IDEMPOTENT_WRITE];
// group configs (KIP-848, KIP-932) made DESCRIBE_CONFIGS and ALTER_CONFIGS group operations
export const GROUP_OPERATIONS: readonly number[] = [O.READ, O.DELETE, O.DESCRIBE, O.DESCRIBE_CONFIGS, O.ALTER_CONFIGS];

/** Kafka lets a topic be created by CREATE on the cluster or on the topic itself. */
export const authorizedToCreateTopic = (ctx: RequestContext, topic: string): boolean =>
  ctx.broker.authorizer === undefined || authorizedCluster(ctx, AclOperation.CREATE) || authorizedTopic(ctx, AclOperation.CREATE, topic);

/** DescribeConfigs' resource types for topics and groups (src/admin/configTypes; not imported so this module stays below admin). */
const CONFIG_RESOURCE_TOPIC = 2;
const CONFIG_RESOURCE_GROUP = 32;

/**
 * DescribeConfigs / AlterConfigs: topics are checked on the topic, groups on the group (as Kafka does for share and
 * consumer group configs), broker, logger and client-metrics resources on the cluster. 0 when allowed, else the
 * error code to answer.
 */

export function configResourceDenied(ctx: RequestContext, operation: number, configResourceType: number, name: string): number {
  if (ctx.broker.authorizer === undefined) return 0;
  if (configResourceType === CONFIG_RESOURCE_TOPIC) return authorizedTopic(ctx, operation, name) ? 0 : ErrorCode.TOPIC_AUTHORIZATION_FAILED;
  if (configResourceType === CONFIG_RESOURCE_GROUP) return authorizedGroup(ctx, operation, name) ? 0 : ErrorCode.GROUP_AUTHORIZATION_FAILED;
  return authorizedCluster(ctx, operation) ? 0 : ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
}

/** FindCoordinator: DESCRIBE on the group (key type 0) or transactional id (key type 1). 0 when allowed, else the error code. */
export function coordinatorKeyDenied(ctx: RequestContext, keyType: number, key: string): number {
  if (ctx.broker.authorizer === undefined) return 0;
  if (keyType === 0) return authorizedGroup(ctx, AclOperation.DESCRIBE, key) ? 0 : ErrorCode.GROUP_AUTHORIZATION_FAILED;
  if (keyType === 1) return authorizedTransactionalId(ctx, AclOperation.DESCRIBE, key) ? 0 : ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
  // Share-partition keys are asked by brokers only (Kafka: CLUSTER_ACTION).
  if (keyType === 2) return authorizedCluster(ctx, AclOperation.CLUSTER_ACTION) ? 0 : ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
  return 0;
}
