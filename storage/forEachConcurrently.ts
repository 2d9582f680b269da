/**
 * Runs `each` over `items`, at most `limit` at a time, in order; no new item starts once `stop()` says so. `each`
 * handles its own failures (a rejection ends the whole run): work over thousands of logs must not open thousands
 * of files at once.
 */
export async function forEachConcurrently<T>(items: readonly T[], limit: number, each: (item: T) => Promise<void>, stop: () => boolean = () => false): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length && !stop()) await each(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
