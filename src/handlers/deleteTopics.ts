/**
 * DeleteTopics: v0-6
 *
 * Behavior:
 * - Needs DELETE on each topic (TOPIC_AUTHORIZATION_FAILED, checked before whether it exists). Unknown names:
 *   UNKNOWN_TOPIC_OR_PARTITION; unknown ids: UNKNOWN_TOPIC_ID.
 * - delete.topic.enable=false: TOPIC_DELETION_DISABLED. Internal topics are refused with INVALID_REQUEST.
 * - A source of filtered views is refused with POLICY_VIOLATION while a view of it is left; views named in the
 *   same request are deleted first, so a source and all its views go together.
 * - As Kafka's controller (ControllerApis.deleteTopics): a name given more than once is answered once with
 *   INVALID_REQUEST "Duplicate topic name." (an id: "Duplicate topic id.") and not deleted; a name whose topic's id
 *   is also given is refused the same way. Never THROTTLING_QUOTA_EXCEEDED (no controller mutation quota).
 *
 * Version notes:
 * - v0-3: topic names only; v1 adds throttle_time_ms. v4+: flexible. v5: error_message in the answer.
 * - v6: each entry names a topic or gives its id, not both and not neither (INVALID_REQUEST); the answer carries the
 *   id.
 */
import { ErrorCode } from '../../protocol/errors';
import type { DeleteTopicsRequest } from '../../protocol/generated/messages/DeleteTopicsRequest';
import type { DeleteTopicsResponseInput } from '../../protocol/generated/messages/DeleteTopicsResponse';
import { MetadataError, type TopicInfo } from '../metadata/types';
import type { Handler, RequestContext } from './types';
import { authorizedTopic } from '../security/acl/check';
import { AclOperation } from '../security/acl/model';
import { isView, viewsOf } from '../views/viewTopics';

type TopicResult = NonNullable<DeleteTopicsResponseInput['responses']>[number];

const NO_ID = Buffer.alloc(16);

/** What a request names: v0-5 names only, v6+ a name or a topic id per entry. */
type Target = { name: string | null; id: Buffer };

function targets(ctx: RequestContext, req: DeleteTopicsRequest): Target[] {
  if (ctx.apiVersion >= 6) return req.topics.map((t) => ({ name: t.name, id: t.topicId }));
  return req.topicNames.map((name) => ({ name, id: NO_ID }));
}

function result(name: string | null, id: Buffer, errorCode: number, errorMessage: string | null = null): TopicResult {
  return { name, topicId: id, errorCode, errorMessage };
}

type Lookup = { topic: TopicInfo } | { errorCode: number; message: string };

function find(ctx: RequestContext, t: Target): Lookup {
  const hasId = !t.id.equals(NO_ID);
  if (t.name !== null && hasId) return { errorCode: ErrorCode.INVALID_REQUEST, message: 'give a topic name or a topic id, not both' };
  if (t.name === null && !hasId) return { errorCode: ErrorCode.INVALID_REQUEST, message: 'neither a topic name nor a topic id given' };
  const topic = t.name !== null ? ctx.broker.metadata.topic(t.name) : ctx.broker.metadata.topicById(t.id);
  if (topic) return { topic };
  return t.name !== null
    ? { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: `unknown topic ${t.name}` }
    : { errorCode: ErrorCode.UNKNOWN_TOPIC_ID, message: `unknown topic id ${t.id.toString('hex')}` };
}

async function deleteOne(ctx: RequestContext, topic: TopicInfo): Promise<TopicResult> {
  if (topic.internal) return result(topic.name, topic.id, ErrorCode.INVALID_REQUEST, `${topic.name} is an internal topic the broker needs`);
  // a view without its source would have nothing to serve; the operator deletes the views first (or with it)
  const views = viewsOf(ctx.broker.metadata, topic.name);
  if (views.length > 0) {
    ctx.broker.logger.warn({ topic: topic.name, views }, 'delete of a view source refused');
    return result(topic.name, topic.id, ErrorCode.POLICY_VIOLATION, `${topic.name} is the source of filtered views ${views.join(', ')}: delete them first or in the same request`);
  }
  try {
    await ctx.broker.metadata.deleteTopic(topic.name);
  } catch (err) {
    if (err instanceof MetadataError) return result(topic.name, topic.id, err.errorCode, err.message);
    throw err;
  }
  // The broker's metadata listener has removed the files by now (the change waits for it);
  // this covers services built without that listener and is a no-op otherwise.
  await ctx.broker.logs.deleteTopic(topic.name);
  return result(topic.name, topic.id, 0);
}

/** Names and ids given more than once: each answered once with INVALID_REQUEST, none of them deleted (Kafka's rule). */
function duplicatesIn(all: Target[]): { responses: TopicResult[]; rest: Target[] } {
  const count = new Map<string, number>();
  const keyOf = (t: Target): string | null => {
    const hasId = !t.id.equals(NO_ID);
    if (t.name !== null && !hasId) return `n:${t.name}`;
    if (t.name === null && hasId) return `i:${t.id.toString('hex')}`;
    return null; // both or neither: refused on its own
  };
  for (const t of all) {
    const k = keyOf(t);
    if (k !== null) count.set(k, (count.get(k) ?? 0) + 1);
  }
  const responses: TopicResult[] = [];
  for (const [k, n] of count) {
    if (n < 2) continue;
    responses.push(k.startsWith('n:')
      ? result(k.slice(2), NO_ID, ErrorCode.INVALID_REQUEST, 'Duplicate topic name.')
      : result(null, Buffer.from(k.slice(2), 'hex'), ErrorCode.INVALID_REQUEST, 'Duplicate topic id.'));
  }
  return { responses, rest: all.filter((t) => (count.get(keyOf(t) ?? '') ?? 0) < 2) };
}

export const handleDeleteTopics: Handler<DeleteTopicsRequest, DeleteTopicsResponseInput> = async (ctx, req) => {
  const { responses, rest } = duplicatesIn(targets(ctx, req));
  // views first, so a source named in the same request as its views is no longer their source when its turn comes
  const asked = rest.map((t) => ({ t, lookup: find(ctx, t) }));
  // a topic given by name and by id: Kafka refuses the name (once authorized) and deletes neither
  const byId = new Set(asked.filter((a) => a.t.name === null && 'topic' in a.lookup).map((a) => (a.lookup as { topic: TopicInfo }).topic.name));
  const clashing = new Set(asked.filter((a) => a.t.name !== null && 'topic' in a.lookup && byId.has(a.t.name) && authorizedTopic(ctx, AclOperation.DELETE, a.t.name)).map((a) => a.t.name!));
  const viewFirst = [...asked.filter((a) => 'topic' in a.lookup && isView(a.lookup.topic)), ...asked.filter((a) => !('topic' in a.lookup && isView(a.lookup.topic)))];
  for (const { t, lookup } of viewFirst) {
    const name = 'topic' in lookup ? lookup.topic.name : t.name;
    if (name !== null && !authorizedTopic(ctx, AclOperation.DELETE, name)) {
      responses.push(result(t.name, t.id, ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'deleting a topic needs DELETE on it'));
      continue;
    }
    if ('errorCode' in lookup) {
      responses.push(result(t.name, t.id, lookup.errorCode, lookup.message));
      continue;
    }
    const { topic } = lookup;
    if (clashing.has(topic.name)) {
      if (t.name !== null) responses.push(result(t.name, topic.id, ErrorCode.INVALID_REQUEST, 'The provided topic name maps to an ID that was already supplied.'));
      continue;
    }
    if (!ctx.broker.config.deleteTopicEnable) {
      responses.push(result(topic.name, topic.id, ErrorCode.TOPIC_DELETION_DISABLED, 'delete.topic.enable is false on this broker'));
      continue;
    }
    responses.push(await deleteOne(ctx, topic));
  }
  return { throttleTimeMs: 0, responses };
};
