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
