import type { ProduceResponseInput } from '../../protocol/generated/messages/ProduceResponse';
import { PendingAnswer } from './pendingAnswer';

export type TopicResponse = NonNullable<ProduceResponseInput['responses']>[number];
export type PartitionResponse = NonNullable<TopicResponse['partitionResponses']>[number];
/** A Produce answer whose topic list is always there (the join makes it). */
export type ProduceAnswer = ProduceResponseInput & { responses: TopicResponse[] };

/**
 * A Produce request's answer, filled in place as its parts end: topics at
 * once or once auto-created, partitions at once, from a promise, or from a
 * write's sink. What Promise.all over per-partition and per-topic promises
 * gives, without them: a request pays for its answer's arrays and, only if a
 * part is still writing when the handler returns, one PendingAnswer that the
 * connection listens to directly.
 */
export class ProduceJoin {
  readonly answer: ProduceAnswer;
  /** Parts not answered yet, plus the handler's own hold until `end()`. */
  private left = 1;
  private failure: { err: unknown } | null = null;
  private pending: PendingAnswer<ProduceAnswer | null> | null = null;

  /** `silent`: acks=0, whose client expects no answer at all; the join still waits for every write. */
  constructor(
    topics: number,
    private readonly silent: boolean,
  ) {
    this.answer = { responses: new Array<TopicResponse>(topics), throttleTimeMs: 0 };
  }

  /** Topic `t` is answered whole (every partition refused). */
  setTopic(t: number, answer: TopicResponse): void {
    this.answer.responses[t] = answer;
  }

  /** Topic `t`'s answer, whose partitions' places `setPartition` fills. */
  openTopic(t: number, answer: TopicResponse): void {
    this.answer.responses[t] = answer;
    this.left += answer.partitionResponses!.length;
  }

  /** A part to wait for that is not a partition yet (a topic being auto-created); `done()` ends it. */
  hold(): void {
    this.left++;
  }

  /** Partition `i` of topic `t` ended with `answer`. */
  setPartition(t: number, i: number, answer: PartitionResponse): void {
    this.answer.responses[t]!.partitionResponses![i] = answer;
    this.done();
  }

  /** Hands a partition's promised answer to the join. */
  await(t: number, i: number, answer: Promise<PartitionResponse>): void {
    answer.then(
      (a) => this.setPartition(t, i, a),
      (err: unknown) => this.fail(err),
    );
  }

  /** A part failed with an exception (a bug): the request fails with the first one, as Promise.all would. */
  fail(err: unknown): void {
    if (this.failure !== null) return;
    this.failure = { err };
    this.pending?.reject(err);
  }

  done(): void {
    if (--this.left === 0 && this.failure === null) this.pending?.resolve(this.silent ? null : this.answer);
  }

  /** Every part was started: the answer now if each one ended, else a pending answer settled when the last does. */
  end(): ProduceAnswer | null | PendingAnswer<ProduceAnswer | null> {
    if (--this.left === 0 && this.failure === null) return this.silent ? null : this.answer;
    const pending = new PendingAnswer<ProduceAnswer | null>();
    if (this.failure !== null) pending.reject(this.failure.err);
    this.pending = pending;
    return pending;
  }
}
