/**
 * CreatePartitions: v0-3
 *
 * Behavior:
 * - Needs ALTER on the topic (TOPIC_AUTHORIZATION_FAILED); unknown topic: UNKNOWN_TOPIC_OR_PARTITION.
 * - Partition counts only grow: an equal or lower count is INVALID_PARTITIONS, as is one over
 *   brook.max.partitions.per.topic (Brook-only limit).
 * - Assignments must cover exactly the new partitions and name live brokers (INVALID_REPLICA_ASSIGNMENT). A topic
 *   named twice: INVALID_REQUEST.
 * - validate_only checks without changing anything; new partitions get their logs from the metadata event.
 * - A filtered view (brook.view.of) refuses it (INVALID_REQUEST); growing a source grows its views to the same count.
 *
 * Version notes:
 * - v0-1: the same. v2+: flexible. v3: as v2 (Brook never answers THROTTLING_QUOTA_EXCEEDED).
 */
import { ErrorCode } from '../../protocol/errors';
import type { CreatePartitionsRequest, CreatePartitionsTopic } from '../../protocol/generated/messages/CreatePartitionsRequest';
import type { CreatePartitionsResponseInput } from '../../protocol/generated/messages/CreatePartitionsResponse';
import { maxPartitionsPerTopic } from '../admin/limits';
import { assignmentProblemIn, duplicates } from '../admin/replicaAssignment';
import { MetadataError } from '../metadata/types';
import type { Handler, RequestContext } from './types';
import { authorizedTopic } from '../security/acl/check';
import { AclOperation } from '../security/acl/model';
import { growViewsOf } from '../views/followSource';
import { isView, VIEW_OF } from '../views/viewTopics';

type TopicResult = NonNullable<CreatePartitionsResponseInput['results']>[number];

const result = (name: string, errorCode: number, errorMessage: string | null = null): TopicResult => ({ name, errorCode, errorMessage });

/** Error for a topic that cannot grow to `t.count` partitions, or null. */
function problem(ctx: RequestContext, t: CreatePartitionsTopic): TopicResult | null {
  if (!authorizedTopic(ctx, AclOperation.ALTER, t.name)) return result(t.name, ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'adding partitions needs ALTER on the topic');
  const topic = ctx.broker.metadata.topic(t.name);
  if (!topic) return result(t.name, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `unknown topic ${t.name}`);
  if (isView(topic)) return result(t.name, ErrorCode.INVALID_REQUEST, `${t.name} is a filtered view: its partitions follow its source ${topic.configs[VIEW_OF]}`);
  if (t.count <= topic.partitions) {
    const what = t.count === topic.partitions ? `topic already has ${topic.partitions} partitions` : `partitions can only be added (topic has ${topic.partitions}, asked for ${t.count})`;
    return result(t.name, ErrorCode.INVALID_PARTITIONS, what);
  }
  const limit = maxPartitionsPerTopic(ctx.broker.config);
  if (t.count > limit) return result(t.name, ErrorCode.INVALID_PARTITIONS, `${t.count} partitions exceed brook.max.partitions.per.topic=${limit}`);
  if (t.assignments !== null) {
    const added = t.count - topic.partitions;
    if (t.assignments.length !== added) {
      return result(t.name, ErrorCode.INVALID_REPLICA_ASSIGNMENT, `${t.assignments.length} assignments given for ${added} new partitions`);
    }
    const self = ctx.broker.metadata.self().nodeId;
    const ids = ctx.broker.metadata.brokers().map((b) => b.nodeId);
    const liveIds = ids.includes(self) ? ids : [...ids, self];
    for (const a of t.assignments) {
      const why = assignmentProblemIn(a.brokerIds, liveIds);
      if (why) return result(t.name, ErrorCode.INVALID_REPLICA_ASSIGNMENT, why);
    }
  }
  return null;
}

export const handleCreatePartitions: Handler<CreatePartitionsRequest, CreatePartitionsResponseInput> = async (ctx, req) => {
  const dup = duplicates(req.topics.map((t) => t.name));
  const results: TopicResult[] = [];
  const answered = new Set<string>();
  for (const t of req.topics) {
    if (answered.has(t.name)) continue;
    answered.add(t.name);
    if (dup.has(t.name)) {
      results.push(result(t.name, ErrorCode.INVALID_REQUEST, `topic ${t.name} appears more than once in the request`));
      continue;
    }
    const refused = problem(ctx, t);
    if (refused) {
      results.push(refused);
      continue;
    }
    if (req.validateOnly) {
      results.push(result(t.name, 0));
      continue;
    }
    try {
      await ctx.broker.metadata.addPartitions(t.name, t.count, t.assignments?.map((a) => [...a.brokerIds]));
      await growViewsOf(ctx.broker, t.name);
      results.push(result(t.name, 0));
    } catch (err) {
      if (!(err instanceof MetadataError)) throw err;
      results.push(result(t.name, err.errorCode, err.message));
    }
  }
  return { throttleTimeMs: 0, results };
};
