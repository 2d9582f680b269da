import { ErrorCode } from '../../../protocol/errors';
import type { FetchedTopic } from '../../groups/coordinator';
import type { RequestContext } from '../../handlers/types';
import { authorizedTopic } from './check';
import { AclOperation } from './model';

/**
 * OffsetFetch answers only for topics the requester may DESCRIBE: asked-for
 * ones it may not see get TOPIC_AUTHORIZATION_FAILED, and in an "all topics"
 * fetch they are left out, as Kafka does.
 */
export function authorizeFetchedOffsets(ctx: RequestContext, topics: FetchedTopic[], askedForAll: boolean): FetchedTopic[] {
  if (ctx.broker.authorizer === undefined) return topics;
  const out: FetchedTopic[] = [];
  for (const t of topics) {
    if (authorizedTopic(ctx, AclOperation.DESCRIBE, t.topic)) out.push(t);
    else if (!askedForAll) {
      out.push({
        topic: t.topic,
        partitions: t.partitions.map((p) => ({ partition: p.partition, offset: -1, leaderEpoch: -1, metadata: '', errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED })),
      });
    }
  }
  return out;
}
