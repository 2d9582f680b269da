/** Kafka's topic name rules: 1..249 chars of [a-zA-Z0-9._-], and not "." or "..". */
const LEGAL = /^[a-zA-Z0-9._-]+$/;
export const MAX_TOPIC_NAME_LENGTH = 249;

export function topicNameProblem(name: string): string | null {
  if (name.length === 0) return 'topic name is empty';
  if (name === '.' || name === '..') return `topic name cannot be "${name}"`;
  if (name.length > MAX_TOPIC_NAME_LENGTH) return `topic name longer than ${MAX_TOPIC_NAME_LENGTH} characters`;
  if (!LEGAL.test(name)) return 'topic name may only contain ASCII letters, digits, ".", "_" and "-"';
  return null;
}

/**
 * An existing topic whose name differs from `name` only by '.' versus '_', or null. Kafka's controller refuses
 * such a topic whichever way it is created (CreateTopics, auto-creation): both map to the same metric names.
 */
export function collidingTopicName(name: string, existing: Iterable<string>): string | null {
  const key = name.replace(/\./g, '_');
  if (key === name && !name.includes('_')) return null;
  for (const other of existing) {
    if (other !== name && other.replace(/\./g, '_') === key) return other;
  }
  return null;
}

/** `topicNameProblem` plus the '.'/'_' collision with an existing topic: what every path creating a topic checks. */
export function newTopicNameProblem(name: string, existing: Iterable<string>): string | null {
  const problem = topicNameProblem(name);
  if (problem) return problem;
  const clash = collidingTopicName(name, existing);
  return clash === null ? null : `topic ${name} collides with existing topic ${clash}`;
}
