/**
 * The answers of a request's parts (a Produce topic's partitions), filled in
 * as each part ends: at once, from a promise, or from a write's sink. What
 * Promise.all over per-part promises gives, without a promise per part: a
 * produce touching thousands of partitions pays for one array and, only if
 * some part is still writing, one promise.
 */
export class AnswerJoin<T> {
  readonly answers: T[];
  private left: number;
  private failure: { err: unknown } | null = null;
  private resolve: ((answers: T[]) => void) | null = null;
  private reject: ((err: unknown) => void) | null = null;

  constructor(parts: number) {
    this.answers = new Array<T>(parts);
    this.left = parts;
  }

  /** Part `i` ended with `answer`. */
  set(i: number, answer: T): void {
    this.answers[i] = answer;
    if (--this.left === 0 && this.resolve !== null && this.failure === null) this.resolve(this.answers);
  }

  /** A part failed with an exception (a bug): the whole join rejects with the first one, as Promise.all would. */
  fail(err: unknown): void {
    if (this.failure !== null) return;
    this.failure = { err };
    this.reject?.(err);
  }

  /** Every part answered already (and none failed): `answers` is complete. */
  get complete(): boolean {
    return this.left === 0 && this.failure === null;
  }

  /** Settles once every part answered, or at the first failure. */
  wait(): Promise<T[]> {
    return new Promise<T[]>((resolve, reject) => {
      if (this.failure !== null) reject(this.failure.err);
      else if (this.left === 0) resolve(this.answers);
      else {
        this.resolve = resolve;
        this.reject = reject;
      }
    });
  }

  /** Hands a part's promised answer to the join. */
  await(i: number, answer: Promise<T>): void {
    answer.then(
      (a) => this.set(i, a),
      (err: unknown) => this.fail(err),
    );
  }
}
