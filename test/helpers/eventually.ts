export interface EventuallyOptions {
  /** Deadline in ms (default 20 s). */
  ms?: number;
  /** Pause between checks in ms (default 25). */
  intervalMs?: number;
  /**
   * Any error thrown by `check` counts as "not yet" (a broker may be down
   * mid-check); the last one is named at the deadline. Without it only chai
   * assertion failures do, and any other error ends the wait at once.
   */
  retryErrors?: boolean;
}

function isAssertion(err: unknown): boolean {
  return err instanceof Error && err.name === 'AssertionError';
}

/**
 * The tests' one polling helper: calls `check` until it returns a value (not
 * undefined/false) or the deadline passes, then throws naming `what` and the
 * last failed assertion or error. A chai assertion failing inside `check`
 * means "not yet", so a check can state what it expects with `expect`.
 */
export async function eventually<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  opts: number | EventuallyOptions = {},
): Promise<T> {
  const { ms = 20_000, intervalMs = 25, retryErrors = false } = typeof opts === 'number' ? { ms: opts } : opts;
  const deadline = Date.now() + ms;
  for (;;) {
    let last: unknown;
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      if (!retryErrors && !isAssertion(err)) throw err;
      last = err;
    }
    if (Date.now() > deadline) {
      const why = last === undefined ? '' : `: ${last instanceof Error ? last.message : String(last)}`;
      const err = new Error(`timed out after ${ms} ms waiting for ${what}${why}`);
      if (last !== undefined) (err as Error & { cause?: unknown }).cause = last;
      throw err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
