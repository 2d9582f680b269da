/** The string logs are keyed by in the log manager's table and its checkpoints (topic names hold no NUL). */
export function logKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
