/**
 * A byte rate over time (token bucket holding at most one second of rate):
 * traffic is recorded after it happened, and once the bucket is in debt the
 * throttled side waits until it has paid it back. Unlimited by default.
 */
export class RateLimiter {
  private rate = Infinity;
  private tokens = 0;
  private last = Date.now();

  get limited(): boolean {
    return this.rate !== Infinity;
  }

  get bytesPerSecond(): number {
    return this.rate;
  }

  setRate(bytesPerSecond: number): void {
    if (bytesPerSecond === this.rate) return;
    this.rate = bytesPerSecond > 0 ? bytesPerSecond : Infinity;
    this.tokens = this.limited ? Math.min(this.tokens, this.rate) : 0;
    this.last = Date.now();
  }

  private refill(now: number): void {
    this.tokens = Math.min(this.rate, this.tokens + ((now - this.last) * this.rate) / 1000);
    this.last = now;
  }

  /** Milliseconds until throttled traffic may go again; 0 = now. */
  delayMs(now = Date.now()): number {
    if (!this.limited) return 0;
    this.refill(now);
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens * 1000) / this.rate);
  }

  /** Bytes throttled traffic may take now (at least one batch goes anyway). */
  allowance(now = Date.now()): number {
    if (!this.limited) return Infinity;
    this.refill(now);
    return Math.max(0, Math.floor(this.tokens));
  }

  record(bytes: number, now = Date.now()): void {
    if (!this.limited || bytes <= 0) return;
    this.refill(now);
    this.tokens -= bytes;
  }
}

/**
 * Kafka's replication quotas for reassignment catch-up traffic: the leader's
 * rate of answers to replicas being added (leader.replication.throttled.rate)
 * and the follower's rate of fetches for partitions it is being added to
 * (follower.replication.throttled.rate). Followers already in sync are never throttled.
 */
export class ReplicationThrottle {
  readonly leader = new RateLimiter();
  readonly follower = new RateLimiter();

  setRates(leaderBytesPerSecond: number, followerBytesPerSecond: number): void {
    this.leader.setRate(leaderBytesPerSecond);
    this.follower.setRate(followerBytesPerSecond);
  }
}
