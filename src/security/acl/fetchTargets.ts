import { ErrorCode } from '../../../protocol/errors';
import type { FetchTarget } from '../../fetch/readPartitions';
import type { RequestContext } from '../../handlers/types';
import { authorizedCluster, authorizedTopic } from './check';
import { AclOperation } from './model';

/**
 * Fetch targets with the unauthorized ones turned into TOPIC_AUTHORIZATION_FAILED
 * answers: consumers need READ on each topic, a follower (replica id >= 0) needs
 * CLUSTER_ACTION. Returns the input untouched when no authorizer is configured.
 */
export function authorizeFetchTargets(ctx: RequestContext, replicaId: number, targets: FetchTarget[]): FetchTarget[] {
  if (ctx.broker.authorizer === undefined) return targets;
  const follower = replicaId >= 0;
  const clusterOk = follower && authorizedCluster(ctx, AclOperation.CLUSTER_ACTION);
  const byTopic = new Map<string, boolean>();
  const allowed = (topic: string): boolean => {
    if (follower) return clusterOk;
    let ok = byTopic.get(topic);
    if (ok === undefined) byTopic.set(topic, (ok = authorizedTopic(ctx, AclOperation.READ, topic)));
    return ok;
  };
  // A topic asked by name is checked whether or not it exists, as in Kafka: an unknown topic answered
  // UNKNOWN_TOPIC_OR_PARTITION would tell a user without READ which names exist. Unknown topic ids tell nothing.
  const unchecked = (t: FetchTarget) => t.topic === null && t.errorCode !== ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
  return targets.map((t) => (unchecked(t) || allowed(t.topicName) ? t : { ...t, topic: null, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED }));
}
