import type { RequestContext } from '../../handlers/types';
import { CLUSTER_RESOURCE_NAME, ResourceType } from './model';

/**
 * The checks handlers call. Without an authorizer (authorizer.class.name unset)
 * each one is a single branch that allows.
 */

export function authorized(ctx: RequestContext, operation: number, resourceType: number, name: string): boolean {
  const a = ctx.broker.authorizer;
  if (a === undefined) return true;
  return a.authorize({ principal: ctx.connection.principal, host: ctx.connection.remoteAddress }, operation, resourceType, name);
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
  return a.authorizeAny({ principal: ctx.connection.principal, host: ctx.connection.remoteAddress }, operation, resourceType);
}

/**
 * Kafka's authorized-operations bit field for a resource: all of `candidates`
 * without an authorizer, else the ones the requester may perform.
 */
export function authorizedOperations(ctx: RequestContext, resourceType: number, name: string, candidates: readonly number[]): number {
  const a = ctx.broker.authorizer;
  if (a === undefined) return candidates.reduce((bits, op) => bits | (1 << op), 0);
  return a.authorizedOperations({ principal: ctx.connection.principal, host: ctx.connection.remoteAddress }, resourceType, name, candidates);
}

/** Operations Kafka reports for each resource type in authorized-operations fields. */
export const TOPIC_OPERATIONS = [3, 4, 5, 6, 7, 8, 10, 11] as const; // READ WRITE CREATE DELETE ALTER DESCRIBE DESCRIBE_CONFIGS ALTER_CONFIGS
export const CLUSTER_OPERATIONS = [5, 7, 8, 9, 10, 11, 12] as const; // CREATE ALTER DESCRIBE CLUSTER_ACTION DESCRIBE_CONFIGS ALTER_CONFIGS IDEMPOTENT_WRITE
export const GROUP_OPERATIONS = [3, 6, 8] as const; // READ DELETE DESCRIBE

/** Kafka lets a topic be created by CREATE on the cluster or on the topic itself. */
export const authorizedToCreateTopic = (ctx: RequestContext, topic: string): boolean =>
  ctx.broker.authorizer === undefined || authorizedCluster(ctx, 5 /* CREATE */) || authorizedTopic(ctx, 5, topic);

/**
 * DescribeConfigs / AlterConfigs: topics are checked on the topic, broker and
 * logger resources on the cluster. 0 when allowed, else the error code to answer.
 */
export function configResourceDenied(ctx: RequestContext, operation: number, configResourceType: number, name: string): number {
  if (ctx.broker.authorizer === undefined) return 0;
  if (configResourceType === 2 /* TOPIC */) return authorizedTopic(ctx, operation, name) ? 0 : 29; // TOPIC_AUTHORIZATION_FAILED
  return authorizedCluster(ctx, operation) ? 0 : 31; // CLUSTER_AUTHORIZATION_FAILED
}

/** FindCoordinator: DESCRIBE on the group (key type 0) or transactional id (key type 1). 0 when allowed, else the error code. */
export function coordinatorKeyDenied(ctx: RequestContext, keyType: number, key: string): number {
  if (ctx.broker.authorizer === undefined) return 0;
  if (keyType === 0) return authorizedGroup(ctx, 8 /* DESCRIBE */, key) ? 0 : 30; // GROUP_AUTHORIZATION_FAILED
  if (keyType === 1) return authorizedTransactionalId(ctx, 8, key) ? 0 : 53; // TRANSACTIONAL_ID_AUTHORIZATION_FAILED
  return 0;
}
