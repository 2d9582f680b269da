/** Who hears how a pending answer ends: the connection's request in flight. Neither method may throw. */
export interface AnswerListener<T> {
  answered(answer: T): void;
  failed(err: unknown): void;
}

type Settled<T> = { ok: true; answer: T } | { ok: false; err: unknown };

/**
 * A handler's answer that is not ready yet, settled by the handler's own
 * callbacks (a produce's partition writes). What a Promise gives the
 * connection without a promise, a reaction and a closure per layer: the
 * connection listens with the request itself. Awaitable (`then`) for callers
 * that do not know it (the HTTP bridge, tests); one listener at most.
 */
export class PendingAnswer<T> implements PromiseLike<T> {
  private settled: Settled<T> | null = null;
  private listener: AnswerListener<T> | null = null;

  resolve(answer: T): void {
    if (this.settled !== null) return;
    this.settled = { ok: true, answer };
    this.listener?.answered(answer);
  }

  /** The first settlement wins, as with a promise. */
  reject(err: unknown): void {
    if (this.settled !== null) return;
    this.settled = { ok: false, err };
    this.listener?.failed(err);
  }

  /** Hears the settlement, at once if it already happened. */
  listen(listener: AnswerListener<T>): void {
    if (this.listener !== null) throw new Error('a pending answer has one listener');
    this.listener = listener;
    const s = this.settled;
    if (s === null) return;
    if (s.ok) listener.answered(s.answer);
    else listener.failed(s.err);
  }

  then<A = T, B = never>(onAnswered?: ((answer: T) => A | PromiseLike<A>) | null, onFailed?: ((err: unknown) => B | PromiseLike<B>) | null): Promise<A | B> {
    return new Promise<T>((answered, failed) => this.listen({ answered, failed })).then(onAnswered, onFailed);
  }
}
