import { ErrorCode } from '../../../protocol/errors';
import type { RequestContext } from '../../handlers/types';
import { authorizedAny, authorizedCluster, authorizedGroup, authorizedTopic, authorizedTransactionalId } from './check';
import { AclOperation, ResourceType } from './model';

type TopicPartitions = ReadonlyArray<{ name: string; partitions: readonly number[] }>;
type PartitionErrors = Array<{ name: string; results: Array<{ partition: number; errorCode: number }> }>;

/**
 * InitProducerId: a transactional id needs WRITE on it; an idempotent producer
 * needs IDEMPOTENT_WRITE on the cluster or WRITE on some topic. 0 when allowed.
 */
export function initProducerIdDenied(ctx: RequestContext, transactionalId: string | null): number {
  if (ctx.broker.authorizer === undefined) return 0;
  if (transactionalId !== null) return authorizedTransactionalId(ctx, AclOperation.WRITE, transactionalId) ? 0 : ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
  if (authorizedCluster(ctx, AclOperation.IDEMPOTENT_WRITE) || authorizedAny(ctx, AclOperation.WRITE, ResourceType.TOPIC)) return 0;
  return ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
}

/**
 * AddPartitionsToTxn from a producer: WRITE on the transactional id and on every
 * topic. Like Kafka, one refused topic stops the whole batch: refused topics get
 * TOPIC_AUTHORIZATION_FAILED, the others OPERATION_NOT_ATTEMPTED. Null when allowed.
 */
export function addPartitionsDenied(ctx: RequestContext, transactionalId: string, topics: TopicPartitions): PartitionErrors | null {
  if (ctx.broker.authorizer === undefined) return null;
  const all = (errorFor: (topic: string) => number): PartitionErrors =>
    topics.map((t) => ({ name: t.name, results: t.partitions.map((partition) => ({ partition, errorCode: errorFor(t.name) })) }));
  if (!authorizedTransactionalId(ctx, AclOperation.WRITE, transactionalId)) return all(() => ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  const refused = new Set(topics.filter((t) => !authorizedTopic(ctx, AclOperation.WRITE, t.name)).map((t) => t.name));
  if (refused.size === 0) return null;
  return all((topic) => (refused.has(topic) ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : ErrorCode.OPERATION_NOT_ATTEMPTED));
}

/**
 * TxnOffsetCommit: WRITE on the transactional id and READ on the group decide for
 * the whole request (`all`, 0 when allowed), READ on each topic for its partitions.
 */
export function txnOffsetCommitAcl(ctx: RequestContext, transactionalId: string, groupId: string): { all: number; topic: (name: string) => number } {
  if (ctx.broker.authorizer === undefined) return ALLOW_ALL;
  if (!authorizedTransactionalId(ctx, AclOperation.WRITE, transactionalId)) return { all: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, topic: () => 0 };
  if (!authorizedGroup(ctx, AclOperation.READ, groupId)) return { all: ErrorCode.GROUP_AUTHORIZATION_FAILED, topic: () => 0 };
  return { all: 0, topic: (name) => (authorizedTopic(ctx, AclOperation.READ, name) ? 0 : ErrorCode.TOPIC_AUTHORIZATION_FAILED) };
}

const ALLOW_ALL = { all: 0, topic: () => 0 };
