import type { TopicInfo } from '../metadata/types';
import { FilterSyntaxError, parseFilter } from './filterParser';

/** Topic configs that make a topic a filtered view of another. */
export const VIEW_OF = 'brook.view.of';
export const VIEW_FILTER = 'brook.view.filter';

export function isView(topic: TopicInfo): boolean {
  return topic.configs[VIEW_OF] !== undefined;
}

/** The view's filter text; a view without one keeps every record. */
export function viewFilterText(topic: TopicInfo): string {
  return topic.configs[VIEW_FILTER] ?? '*';
}

/** Why a filter expression is refused (INVALID_CONFIG message, with the position), or null. */
export function filterProblem(text: string): string | null {
  try {
    parseFilter(text);
    return null;
  } catch (err) {
    if (err instanceof FilterSyntaxError) return err.message;
    // a parser bug: still a refusal the client is told of, not an exception that drops its connection
    return `does not parse (${err instanceof Error ? err.message : String(err)})`;
  }
}

interface TopicLookup {
  topic(name: string): TopicInfo | undefined | null;
}

/**
 * Why a topic's configs cannot make a valid view (CreateTopics / AlterConfigs), or null. `current` is the topic
 * being altered (null at creation): a view's source is fixed for its lifetime and a plain topic cannot become one,
 * since its own log would then be hidden.
 */
export function viewConfigProblem(metadata: TopicLookup, name: string, configs: Record<string, string | null>, current: TopicInfo | null): string | null {
  const of = configs[VIEW_OF] ?? null;
  const filter = configs[VIEW_FILTER] ?? null;
  const wasView = current !== null && isView(current);
  if (current !== null && (current.configs[VIEW_OF] ?? null) !== of) {
    return wasView ? `${VIEW_OF} of view ${name} cannot be changed or removed` : `${VIEW_OF} can only be set when a topic is created`;
  }
  if (of === null) return filter !== null ? `${VIEW_FILTER} needs ${VIEW_OF}` : null;
  if (of === name) return `${VIEW_OF}: a view cannot be its own source`;
  const source = metadata.topic(of);
  if (!source) return `${VIEW_OF}: source topic ${of} does not exist`;
  if (isView(source)) return `${VIEW_OF}: ${of} is itself a view; views of views are not supported`;
  if (source.internal) return `${VIEW_OF}: ${of} is an internal topic`;
  const problem = filter === null ? null : filterProblem(filter);
  return problem === null ? null : `${VIEW_FILTER}: ${problem}`;
}

/** The topic whose log serves `topic`: its source when it is a view, else itself (undefined/null passed through). */
export function viewSourceOrSelf<T extends TopicInfo | undefined | null>(metadata: TopicLookup, topic: T): T | TopicInfo | undefined {
  if (!topic || !isView(topic)) return topic;
  return metadata.topic(topic.configs[VIEW_OF]!) ?? undefined;
}

/**
 * The topic whose partition states (leader, epoch, replicas, ISR) a topic's clients are told: a view's source,
 * since the source's leader answers the view's reads from the source log, and follows it through leader changes.
 */
export function servingTopicName(topic: TopicInfo): string {
  return topic.configs[VIEW_OF] ?? topic.name;
}

/** The views whose source is `source` (DeleteTopics refuses a source while any is left). */
export function viewsOf(metadata: { topics(): readonly TopicInfo[] }, source: string): string[] {
  return metadata.topics().filter((t) => t.configs[VIEW_OF] === source).map((t) => t.name);
}
