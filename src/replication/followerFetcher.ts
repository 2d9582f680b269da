import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/generated/apis';
import type { FetchResponse } from '../../protocol/generated/messages/FetchResponse';
import type { OffsetForLeaderEpochResponse } from '../../protocol/generated/messages/OffsetForLeaderEpochResponse';
import { BATCH } from '../../protocol/records/batchHeader';
import type { PartitionLog } from '../../storage';
import { StorageError } from '../../storage/errors';
import type { Logger } from '../log';
import type { InterBrokerSecurity } from '../security/interBroker/settings';
import { BrokerClient, InterBrokerAuthError } from './brokerClient';
import type { ReplicationConfig } from './config';
import { type Followed, FollowerRounds } from './followerRounds';
import { FollowerFetchSession, type FollowerPartitionAsk } from './followerSession';
import type { RateLimiter } from './throttle';
import { replicaKey as keyOf } from './partitionStates';

const FETCH_VERSION = 12;
const OFFSET_FOR_LEADER_EPOCH_VERSION = 4;

export interface FetcherHost {
  selfId: number;
  config: ReplicationConfig;
  logger: Logger;
  /** How to reach the leader on the inter-broker listener (TLS, SASL login); null = plain TCP. */
  security: InterBrokerSecurity | null;
  /** Address of a live broker, null when it is not registered. */
  addressOf(nodeId: number): { host: string; port: number } | null;
  /** Catch-up traffic (this broker is being added to the partition) and its rate limit; absent = never throttled. */
  throttle?: { isThrottled(topic: string, partition: number): boolean; limiter: RateLimiter };
}

/** Appends in place: copying the list per partition made every fetch round quadratic in a topic's partitions. */
function addTo<T>(byTopic: Map<string, T[]>, topic: string, item: T): void {
  const list = byTopic.get(topic);
  if (list) list.push(item);
  else byTopic.set(topic, [item]);
}

/**
 * Kafka's ReplicaFetcherThread: one connection to one leader, fetching every
 * partition this broker follows from it with replica_id = our node id. The
 * leader's batches are appended as they arrive (same offsets, same bytes, one
 * Buffer slice from the socket to the file); the leader's high watermark comes
 * back with them. Partitions just handed to this fetcher first ask the leader
 * where their last epoch ends and truncate whatever diverged.
 */
export class FollowerFetcher {
  private readonly partitions = new Map<string, Followed>();
  private readonly session = new FollowerFetchSession();
  private readonly rounds = new FollowerRounds(Date.now());
  private client: BrokerClient | null = null;
  /** Set once a refused login was logged, so a misconfigured broker warns once per leader, not every retry. */
  private authRefusalLogged = false;
  private running = true;
  private signal: (() => void) | null = null;
  /** The log work (append, truncate) of the current round; removal waits for it. */
  private logWork: Promise<void> = Promise.resolve();
  private readonly loop: Promise<void>;

  constructor(
    readonly leaderId: number,
    private readonly host: FetcherHost,
  ) {
    this.loop = this.run();
  }

  get size(): number {
    return this.partitions.size;
  }

  has(topic: string, partition: number): boolean {
    return this.partitions.has(keyOf(topic, partition));
  }

  add(topic: string, partition: number, log: PartitionLog, leaderEpoch: number): void {
    const key = keyOf(topic, partition);
    const p: Followed = { topic, partition, log, leaderEpoch, needsTruncation: true, backoffUntil: 0, ask: { key, topic, partition, fetchOffset: -1, logStartOffset: -1, leaderEpoch, maxBytes: 0, owner: {} } };
    p.ask.owner = p;
    const was = this.partitions.get(key);
    if (was) this.rounds.mark(was);
    this.partitions.set(key, p);
    this.rounds.hold(p);
    this.wake();
  }

  /** Stops following; resolves once no append or truncation of this fetcher is running. */
  async remove(topic: string, partition: number): Promise<void> {
    const key = keyOf(topic, partition);
    const p = this.partitions.get(key);
    if (p) this.rounds.mark(p);
    this.partitions.delete(key);
    await this.logWork;
  }

  /** A broker (re)registered: retry at once instead of after the backoff. */
  poke(): void {
    for (const p of this.rounds.waiting) p.backoffUntil = 0;
    this.wake();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.client?.close();
    this.wake();
    await this.loop;
  }

  private wake(): void {
    const s = this.signal;
    this.signal = null;
    s?.();
  }

  /** Sleeps until woken or `ms` passed. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.signal = null;
        resolve();
      }, ms);
      this.signal = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  private async run(): Promise<void> {
    while (this.running) {
      if (this.partitions.size === 0) {
        await this.pause(60_000);
        continue;
      }
      try {
        const client = await this.connect();
        if (!client) {
          await this.pause(this.host.config.replicaFetchBackoffMs);
          continue;
        }
        await this.truncatePending(client);
        const fetched = await this.fetchOnce(client);
        if (!fetched) {
          const next = this.rounds.earliestBackoff();
          await this.pause(Math.max(1, Math.min(next - Date.now(), this.host.config.replicaFetchBackoffMs)));
        }
      } catch (err) {
        if (!this.running) break;
        if (err instanceof InterBrokerAuthError) {
          if (!this.authRefusalLogged) this.host.logger.error({ leader: this.leaderId, err: err.message }, 'the leader refused this broker\'s inter-broker login; check the inter-broker listener\'s credentials and certificates');
          this.authRefusalLogged = true;
        } else {
          this.host.logger.debug({ leader: this.leaderId, err: err instanceof Error ? err.message : String(err) }, 'replica fetch failed');
        }
        this.client?.close();
        this.client = null;
        // A refused login will be refused again until someone fixes it: retry at the full backoff, not every 200 ms.
        await this.pause(err instanceof InterBrokerAuthError ? this.host.config.replicaFetchBackoffMs : Math.min(this.host.config.replicaFetchBackoffMs, 200));
      }
    }
    this.client?.close();
    this.client = null;
  }

  private async connect(): Promise<BrokerClient | null> {
    if (this.client && !this.client.closed) return this.client;
    const addr = this.host.addressOf(this.leaderId);
    if (!addr) return null;
    this.session.reset();
    this.client = await BrokerClient.connect(addr.host, addr.port, `brook-replica-${this.host.selfId}`, undefined, this.host.security);
    if (this.authRefusalLogged) this.host.logger.info({ leader: this.leaderId }, 'inter-broker login accepted again');
    this.authRefusalLogged = false;
    return this.client;
  }

  /** Runs `fn` as this round's log work, so remove() can wait for it. */
  private async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const p = fn();
    this.logWork = p.then(
      () => undefined,
      () => undefined,
    );
    return p;
  }

  private async truncatePending(client: BrokerClient): Promise<void> {
    const now = Date.now();
    if (this.rounds.waiting.size === 0) return;
    const pending = [...this.rounds.waiting].filter((p) => p.needsTruncation && p.backoffUntil <= now && this.partitions.get(p.ask.key) === p);
    if (pending.length === 0) return;
    const ask: Followed[] = [];
    for (const p of pending) {
      if (p.log.epochs.latestEpoch() >= 0) ask.push(p);
      else await this.exclusive(() => this.truncateWithoutEpochs(p));
    }
    if (ask.length === 0) return;
    const byTopic = new Map<string, Followed[]>();
    for (const p of ask) addTo(byTopic, p.topic, p);
    const res = await client.request<OffsetForLeaderEpochResponse>(ApiKey.OffsetForLeaderEpoch, OFFSET_FOR_LEADER_EPOCH_VERSION, {
      replicaId: this.host.selfId,
      topics: [...byTopic].map(([topic, ps]) => ({
        topic,
        partitions: ps.map((p) => ({ partition: p.partition, currentLeaderEpoch: p.leaderEpoch, leaderEpoch: p.log.epochs.latestEpoch() })),
      })),
    });
    for (const t of res.topics) {
      for (const r of t.partitions) {
        const p = this.partitions.get(keyOf(t.topic, r.partition));
        if (!p || !p.needsTruncation) continue;
        if (r.errorCode !== 0) {
          this.backOff(p);
          continue;
        }
        await this.exclusive(() => this.truncateTo(p, r.leaderEpoch, Number(r.endOffset)));
      }
    }
  }

  /**
   * Where the leader says our last epoch ends. When the leader answers with an
   * older epoch (it never had ours), our own end of the largest epoch up to that
   * one bounds the cut too, and the next round asks again with what is then our
   * latest epoch, until both name the same epoch (KIP-279): the logs then agree
   * up to the cut.
   */
  private async truncateTo(p: Followed, leaderEpoch: number, endOffset: number): Promise<void> {
    const log = p.log;
    if (leaderEpoch < 0 || endOffset < 0) {
      await this.cut(p, log.highWatermark);
      return;
    }
    const ours = log.epochs.endOffsetFor(leaderEpoch, log.logEndOffset);
    const asked = log.epochs.latestEpoch();
    await this.cut(p, ours.epoch < 0 ? endOffset : Math.min(endOffset, ours.endOffset));
    // our epoch differed from the leader's answer and the cut removed it: ask again with the epoch now latest
    if (ours.epoch !== leaderEpoch && log.epochs.latestEpoch() !== asked && log.epochs.latestEpoch() >= 0) this.needTruncation(p);
  }

  /** A log with no epoch history (written before replication, or empty): only what the high watermark covers is kept. */
  private async truncateWithoutEpochs(p: Followed): Promise<void> {
    await this.cut(p, p.log.logEndOffset === p.log.logStartOffset ? p.log.logEndOffset : p.log.highWatermark);
  }

  private async cut(p: Followed, target: number): Promise<void> {
    if (target < p.log.logEndOffset) {
      await p.log.truncateTo(Math.max(target, 0));
      await p.log.producerState.invalidate(true);
      this.host.logger.info({ topic: p.topic, partition: p.partition, leader: this.leaderId, logEndOffset: p.log.logEndOffset }, 'follower truncated to the leader');
    }
    p.needsTruncation = false;
    this.rounds.mark(p);
  }

  /** `p` sits out until the back-off ends (it leaves the leader's session meanwhile). */
  private backOff(p: Followed, until = Date.now() + this.host.config.replicaFetchBackoffMs): void {
    p.backoffUntil = until;
    this.rounds.hold(p);
  }

  private needTruncation(p: Followed): void {
    p.needsTruncation = true;
    this.rounds.hold(p);
  }

  /** One Fetch round; false when nothing could be asked (all partitions backing off or truncating). */
  private async fetchOnce(client: BrokerClient): Promise<boolean> {
    const now = Date.now();
    const throttle = this.host.throttle;
    const throttleDelay = throttle?.limiter.delayMs(now) ?? 0;
    const throttled = (p: Followed) => throttle !== undefined && throttle.limiter.limited && throttle.isThrottled(p.topic, p.partition);
    const allowance = throttle?.limiter.allowance(now) ?? Infinity;
    const cfg = this.host.config;
    const asks: FollowerPartitionAsk[] = [];
    const unready: string[] = [];
    const marked = this.rounds.take(now, this.partitions);
    // no longer followed: dropped from the leader's session (a partition re-added under the key is looked at itself)
    for (const p of marked) if (!this.partitions.has(p.ask.key)) unready.push(p.ask.key);
    // a new session names everything; a throttle's allowance changes every round for whatever it covers
    const scanAll = this.session.opening || (throttle !== undefined && throttle.limiter.limited);
    for (const p of scanAll ? this.partitions.values() : marked) {
      if (this.partitions.get(p.ask.key) !== p) continue;
      if (p.needsTruncation || p.backoffUntil > now) {
        unready.push(p.ask.key);
        continue;
      }
      // over the follower throttle: catch-up partitions sit out until it is paid back; in-sync ones go on
      if (throttleDelay > 0 && throttled(p)) {
        this.backOff(p, now + throttleDelay);
        unready.push(p.ask.key);
        continue;
      }
      const a = p.ask;
      a.fetchOffset = p.log.logEndOffset;
      a.logStartOffset = p.log.logStartOffset;
      a.leaderEpoch = p.leaderEpoch;
      a.maxBytes = throttled(p) ? Math.max(1, Math.min(cfg.replicaFetchMaxBytes, allowance)) : cfg.replicaFetchMaxBytes;
      asks.push(a);
    }
    const plan = this.session.plan(asks, unready);
    if (this.session.size === 0) {
      // nothing ready: no request; the leader's session (if any) is closed by the next opening request
      this.session.reset();
      return false;
    }
    const byTopic = new Map<string, FollowerPartitionAsk[]>();
    for (const a of plan.send) addTo(byTopic, a.topic, a);
    let res: FetchResponse;
    try {
      res = await client.request<FetchResponse>(ApiKey.Fetch, FETCH_VERSION, {
        replicaId: this.host.selfId,
        maxWaitMs: cfg.replicaFetchWaitMaxMs,
        minBytes: cfg.replicaFetchMinBytes,
        maxBytes: cfg.replicaFetchResponseMaxBytes,
        isolationLevel: 0,
        sessionId: plan.sessionId,
        sessionEpoch: plan.sessionEpoch,
        topics: [...byTopic].map(([topic, as]) => ({
          topic,
          partitions: as.map((a) => ({
            partition: a.partition,
            currentLeaderEpoch: a.leaderEpoch,
            fetchOffset: BigInt(a.fetchOffset),
            lastFetchedEpoch: -1,
            logStartOffset: BigInt(a.logStartOffset),
            partitionMaxBytes: a.maxBytes,
          })),
        })),
        forgottenTopicsData: [...plan.forgotten].map(([topic, partitions]) => ({ topic, partitions })),
        rackId: '',
      });
    } catch (err) {
      this.session.reset();
      throw err;
    }
    const outcome = this.session.answered(res.errorCode, res.sessionId);
    // a lost session (evicted from the leader's cache) is normal: the next round starts a new one at once
    if (outcome === 'retry') return true;
    if (outcome === 'refused') throw new Error(`replica fetch refused with error ${res.errorCode}`);
    for (const t of res.responses) {
      for (const r of t.partitions) {
        const k = keyOf(t.topic, r.partitionIndex);
        // what the leader answered: the offset this partition was last asked at, in this request or an earlier one
        const asked = this.session.asked(k);
        // read before answeredWithError, which marks the session's entry as never asked
        const askedOffset = asked?.fetchOffset;
        const askedBy = asked?.owner;
        if (r.errorCode !== 0) this.session.answeredWithError(k);
        const p = this.partitions.get(k);
        // what it answered moves this partition's ask (its offset, an error, a back-off): the next round looks again
        if (p) this.rounds.mark(p);
        // reassigned or moved on while the fetch was out: this answer is stale
        if (askedOffset === undefined || !p || p !== askedBy || p.log.logEndOffset !== askedOffset) continue;
        if (r.records && throttled(p)) throttle!.limiter.record(r.records.length);
        await this.exclusive(() => this.applyPartition(p, r.errorCode, r.records, Number(r.highWatermark), Number(r.logStartOffset), askedOffset));
      }
    }
    return true;
  }

  private async applyPartition(p: Followed, errorCode: number, records: Buffer | null, highWatermark: number, leaderLogStart: number, fetchOffset: number): Promise<void> {
    switch (errorCode) {
      case 0:
        break;
      case ErrorCode.OFFSET_OUT_OF_RANGE:
        if (leaderLogStart > fetchOffset) {
          // the leader no longer has what we would need next: start over where it starts
          await p.log.restartAt(leaderLogStart);
          await p.log.producerState.invalidate(true);
        } else if (highWatermark >= 0 && highWatermark < fetchOffset) {
          // We are past the leader's log end (a leader elected uncleanly, or back with a wiped log, has less than
          // we had) and the epoch answer gave no cut: what we hold past the leader's high watermark is not the
          // leader's, so drop it (Kafka cuts at the leader's log end; the high watermark is at or below it).
          await this.cut(p, highWatermark);
        } else {
          // Nothing to cut to: asking again at once would be answered the same, round after round, so wait.
          this.needTruncation(p);
          this.backOff(p);
        }
        return;
      default:
        // not leader (yet), fenced, unknown: wait for metadata to tell us more
        this.backOff(p);
        return;
    }
    if (records && records.length > 0) {
      // An empty log restarted at the leader's log start, which DeleteRecords put inside a batch: the leader sends
      // that whole batch, starting below our log end. Start the log at the batch instead (Kafka's follower does the
      // same on UnexpectedAppendOffsetException); the leader's log start is followed below once it is committed.
      const base = Number(records.readBigInt64BE(BATCH.BASE_OFFSET));
      const last = base + records.readInt32BE(BATCH.LAST_OFFSET_DELTA);
      if (base < p.log.logEndOffset && last >= p.log.logEndOffset && p.log.logEndOffset === p.log.logStartOffset) {
        await p.log.restartAt(base);
        await p.log.producerState.invalidate(true);
      }
      await this.recordEpochs(p.log, records);
      try {
        await p.log.append(records, { keepOffsets: true });
      } catch (err) {
        if (!(err instanceof StorageError)) throw err;
        this.host.logger.warn({ topic: p.topic, partition: p.partition, err: err.message }, 'appending replicated batches failed');
        this.backOff(p);
        return;
      }
    }
    p.log.setHighWatermark(highWatermark);
    // DeleteRecords on the leader: the follower drops the same prefix once it has it committed
    if (leaderLogStart > p.log.logStartOffset && leaderLogStart <= p.log.highWatermark) {
      try {
        await p.log.deleteRecordsBefore(leaderLogStart);
      } catch (err) {
        if (!(err instanceof StorageError)) throw err;
        this.host.logger.warn({ topic: p.topic, partition: p.partition, err: err.message }, 'following the leader log start failed');
      }
    }
  }

  /** A batch of a newer leader epoch starts that epoch here too. Header reads only. */
  private async recordEpochs(log: PartitionLog, buf: Buffer): Promise<void> {
    let pos = 0;
    while (pos + BATCH.HEADER_SIZE <= buf.length) {
      const epoch = buf.readInt32BE(pos + BATCH.PARTITION_LEADER_EPOCH);
      if (epoch > log.epochs.latestEpoch()) await log.epochs.assign(epoch, Number(buf.readBigInt64BE(pos + BATCH.BASE_OFFSET)));
      pos += BATCH.LOG_OVERHEAD + buf.readInt32BE(pos + BATCH.BATCH_LENGTH);
    }
  }
}
