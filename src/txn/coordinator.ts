import { ErrorCode } from '../../protocol/errors';
import type { InitProducerIdRequest } from '../../protocol/generated/messages/InitProducerIdRequest';
import type { InitProducerIdResponseInput } from '../../protocol/generated/messages/InitProducerIdResponse';
import type { TxnBroker } from './txnBroker';
import type { Logger } from '../log';
import { MarkerWriter } from './clusterMarkers';
import type { ProducerIdAllocator } from './producerIdAllocator';
import { TxnStatus, type StagedOffset } from './txnLogRecords';
import { TxnStateLog } from './txnStateLog';
import { CoordinatorWriteError, writeErrorCode } from '../internalTopics/writeErrors';
import { WriteFailures } from '../internalTopics/writeFailures';
import { IllegalTxnTransition, TxnStateMachine, decodeTxnStateRecord, encodeTxnStateRecord, txnExpiry, txnTransition, type TxnChange, type TxnMeta, type TxnStateRecord } from './txnStateMachine';

export type { TxnMeta } from './txnStateMachine';

/**
 * Kafka's answer for a `__transaction_state` write that failed (TransactionStateManager):
 * too few replicas or a timeout is COORDINATOR_NOT_AVAILABLE, a lost leadership NOT_COORDINATOR.
 */
export function txnWriteError(err: unknown): number {
  const code = writeErrorCode(err);
  switch (code) {
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    default:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  }
}

/** Kafka's transaction.max.timeout.ms default. */
export const MAX_TXN_TIMEOUT_MS = 900_000;
const MAX_EPOCH = 32766;
/** Markers are written by this broker for itself; its coordinator epoch never changes. */
const COORDINATOR_EPOCH = 0;

export type TxnResult = { errorCode: number };

/** Kafka's transactional.id.expiration.ms default: 7 days. */
export const TXN_ID_EXPIRATION_MS = 7 * 24 * 60 * 60 * 1000;
/** Kafka's transaction.remove.expired.transaction.cleanup.interval.ms default: 1 hour. */
export const TXN_ID_EXPIRATION_CHECK_MS = 60 * 60 * 1000;

export interface TxnCoordinatorOptions {
  /** Period of the timeout sweep (aborts and retried completions). */
  sweepMs: number;
  /** Ids idle this long with no transaction in progress are forgotten. */
  idExpirationMs: number;
  idExpirationCheckMs: number;
}

/**
 * Transaction coordinator for every transactional id: producer id and epoch
 * per id (fencing older producers), the partitions and offsets of the open
 * transaction, and its completion — every state change is in
 * `__transaction_state` before it is answered. Completion writes the markers
 * itself (single broker), commits staged offsets, and is resumed after a
 * restart for transactions that were preparing. Open transactions past their
 * timeout are aborted with a bumped epoch, which fences their producer.
 */
export class TransactionCoordinator {
  private readonly txns = new TxnStateMachine();
  /** Failed `__transaction_state` writes per operation (each also answered with an error or logged). */
  readonly writeFailures = new WriteFailures();
  /** Operations on one transactional id run one at a time. */
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly log: TxnStateLog;
  private timer: NodeJS.Timeout | null = null;
  private expiryTimer: NodeJS.Timeout | null = null;
  private idExpirationMs = TXN_ID_EXPIRATION_MS;
  private readonly logger: Logger;
  /**
   * Cluster mode: whether this broker leads `__transaction_state` and so is
   * the coordinator; elsewhere every transactional request gets NOT_COORDINATOR.
   * Always true on a single broker.
   */
  private active = true;
  /** Loads and unloads run one at a time, in the order leadership changed. */
  private leadership: Promise<void> = Promise.resolve();
  private readonly markers: MarkerWriter;
  /** Bumped whenever the state is dropped for a leadership change: a write begun before it must not replay. */
  private loads = 0;

  constructor(
    private readonly services: TxnBroker,
    private readonly producerIds: ProducerIdAllocator,
  ) {
    this.log = new TxnStateLog(services);
    this.markers = new MarkerWriter(services);
    this.logger = services.logger.child({ component: 'txn' });
  }

  /** Replays `__transaction_state`, finishes transactions caught preparing, starts the timeout sweep. */
  async start(opts: Partial<TxnCoordinatorOptions> = {}, active = true): Promise<void> {
    const sweepMs = opts.sweepMs ?? 1000;
    this.idExpirationMs = opts.idExpirationMs ?? TXN_ID_EXPIRATION_MS;
    this.active = active;
    if (active) await this.load();
    this.timer = setInterval(() => void this.sweep(Date.now()).catch((err: unknown) => this.logger.error({ err: String(err) }, 'transaction timeout sweep failed')), sweepMs);
    this.timer.unref();
    this.expiryTimer = setInterval(() => void this.expireTransactionalIds(Date.now()).catch((err: unknown) => this.logger.error({ err: String(err) }, 'transactional id expiry failed')), opts.idExpirationCheckMs ?? TXN_ID_EXPIRATION_CHECK_MS);
    this.expiryTimer.unref();
  }

  /** Cluster mode: this broker became (or stopped being) the leader of `__transaction_state`. */
  setLeader(leader: boolean): Promise<void> {
    const run = this.leadership.then(async () => {
      if (leader === this.active) return;
      if (!leader) {
        this.active = false;
        this.txns.clear();
        this.loads++;
        this.logger.info({}, 'transaction coordinator moved away');
        return;
      }
      this.txns.clear();
      this.loads++;
      await this.load();
      this.active = true;
      this.logger.info({ transactionalIds: this.txns.size }, 'became transaction coordinator');
    });
    this.leadership = run.catch((err: unknown) => this.logger.error({ err: String(err) }, 'loading transaction state failed'));
    return run;
  }

  get isCoordinator(): boolean {
    return this.active;
  }

  /** Replays `__transaction_state` and finishes transactions caught preparing. */
  private async load(): Promise<void> {
    for await (const rec of this.log.load()) this.txns.replay(decodeTxnStateRecord(rec));
    for (const meta of [...this.txns.values()]) {
      if (meta.status === TxnStatus.PrepareCommit || meta.status === TxnStatus.PrepareAbort) {
        await this.locked(meta.transactionalId, () => this.complete(meta, meta.status === TxnStatus.PrepareCommit, Date.now()));
      }
    }
    if (this.txns.size > 0) this.logger.info({ transactionalIds: this.txns.size }, 'transaction state loaded');
  }

  stop(): void {
    this.markers.close();
    if (this.timer) clearInterval(this.timer);
    if (this.expiryTimer) clearInterval(this.expiryTimer);
    this.timer = null;
    this.expiryTimer = null;
  }

  /**
   * transactional.id.expiration.ms: ids with no transaction in progress and no
   * state change for that long are tombstoned in `__transaction_state`, so the
   * topic and this map do not grow with every id ever used. A later
   * InitProducerId of the id starts afresh with a new producer id.
   */
  async expireTransactionalIds(now: number): Promise<number> {
    let n = 0;
    for (const meta of [...this.txns.values()]) {
      if (!this.expired(meta, now)) continue;
      const gone = await this.locked(meta.transactionalId, async () => {
        // re-checked under the lock: a request may have used the id meanwhile
        if (this.txns.get(meta.transactionalId) !== meta || !this.expired(meta, now)) return false;
        try {
          await this.write(txnExpiry(meta));
        } catch (err) {
          this.writeFailures.note('expire');
          this.logger.warn({ transactionalId: meta.transactionalId, err: String(err) }, 'expiring transactional id failed; will retry');
          return false;
        }
        return true;
      });
      if (gone) n++;
    }
    if (n > 0) this.logger.info({ expired: n, idleMs: this.idExpirationMs }, 'expired idle transactional ids');
    return n;
  }

  private expired(meta: TxnMeta, now: number): boolean {
    const idle = meta.status === TxnStatus.Empty || meta.status === TxnStatus.CompleteCommit || meta.status === TxnStatus.CompleteAbort;
    return idle && now - meta.lastUpdateMs > this.idExpirationMs;
  }

  get(transactionalId: string): TxnMeta | undefined {
    return this.txns.get(transactionalId);
  }

  all(): IterableIterator<TxnMeta> {
    return this.txns.values();
  }

  private locked<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(id) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.locks.set(id, tail);
    void tail.then(() => {
      if (this.locks.get(id) === tail) this.locks.delete(id);
    });
    return run;
  }

  /**
   * The only way state changes at run time: the records go to
   * `__transaction_state` (acks=all in cluster mode) and are replayed once
   * acknowledged. A failed write throws and replays nothing, so memory never
   * runs ahead of the log.
   */
  private async write(records: readonly TxnStateRecord[]): Promise<void> {
    const loaded = this.loads;
    await this.log.append(records.map(encodeTxnStateRecord));
    // Leadership moved (and the state was dropped or reloaded from the log) while the write was in flight.
    if (loaded !== this.loads) throw new CoordinatorWriteError(ErrorCode.NOT_LEADER_OR_FOLLOWER, 'transaction coordinator moved while writing');
    for (const r of records) this.txns.replay(r);
  }

  /** Writes one transition of `meta` (undefined: a new id); false after logging and counting a failed write. */
  private async transition(id: string, meta: TxnMeta | undefined, change: TxnChange, now: number, operation: string): Promise<unknown> {
    const record = txnTransition(id, meta, change, now); // an illegal transition throws: a bug, not a write failure
    try {
      await this.write([record]);
      return null;
    } catch (err) {
      this.writeFailures.note(operation);
      this.logger.warn({ transactionalId: id, operation, err: String(err) }, 'transaction state not persisted');
      return err;
    }
  }

  /** Producer id and (bumped) epoch for a transactional id; an open transaction of the previous holder is aborted. */
  initProducerId(req: InitProducerIdRequest, now: number): Promise<InitProducerIdResponseInput> {
    const id = req.transactionalId!;
    const fail = (errorCode: number): InitProducerIdResponseInput => ({ throttleTimeMs: 0, errorCode, producerId: -1n, producerEpoch: -1 });
    if (id === '') return Promise.resolve(fail(ErrorCode.INVALID_REQUEST));
    if (!this.active) return Promise.resolve(fail(ErrorCode.NOT_COORDINATOR));
    if (req.transactionTimeoutMs <= 0 || req.transactionTimeoutMs > MAX_TXN_TIMEOUT_MS) return Promise.resolve(fail(ErrorCode.INVALID_TRANSACTION_TIMEOUT));
    return this.locked(id, async () => {
      const meta = this.txns.get(id);
      if (meta && req.producerId >= 0n && (req.producerId !== meta.producerId || req.producerEpoch !== meta.epoch)) {
        // KIP-360 bump by a producer that is no longer the current one
        return fail(ErrorCode.PRODUCER_FENCED);
      }
      if (!meta) {
        const producerId = await this.producerIds.allocate();
        const err = await this.transition(id, undefined, { status: TxnStatus.Empty, producerId, epoch: 0, timeoutMs: req.transactionTimeoutMs, startMs: -1 }, now, 'init-producer-id');
        if (err) return fail(txnWriteError(err));
        return { throttleTimeMs: 0, errorCode: 0, producerId, producerEpoch: 0 };
      }
      const code = await this.fenceAndReset(meta, req.transactionTimeoutMs, now);
      if (code !== ErrorCode.NONE) return fail(code);
      return { throttleTimeMs: 0, errorCode: 0, producerId: meta.producerId, producerEpoch: meta.epoch };
    });
  }

  /** New epoch (or new producer id when epochs run out); an open transaction is aborted under the new epoch first. */
  private async fenceAndReset(meta: TxnMeta, timeoutMs: number, now: number): Promise<number> {
    // An open transaction still completing answers CONCURRENT_TRANSACTIONS (the producer retries), as in Kafka.
    const pending = (code: number) => (code === ErrorCode.NOT_COORDINATOR ? code : ErrorCode.CONCURRENT_TRANSACTIONS);
    if (meta.status === TxnStatus.Ongoing || meta.status === TxnStatus.PrepareAbort) {
      // The abort goes out under a bumped epoch, which fences the previous producer.
      const epoch = meta.status === TxnStatus.Ongoing ? Math.min(meta.epoch + 1, MAX_EPOCH + 1) : meta.epoch;
      const code = await this.complete(meta, false, now, epoch);
      if (code !== ErrorCode.NONE) return pending(code);
    } else if (meta.status === TxnStatus.PrepareCommit) {
      const code = await this.complete(meta, true, now);
      if (code !== ErrorCode.NONE) return pending(code);
    }
    const exhausted = meta.epoch >= MAX_EPOCH;
    const producerId = exhausted ? await this.producerIds.allocate() : meta.producerId;
    const epoch = exhausted ? 0 : meta.epoch + 1;
    const err = await this.transition(meta.transactionalId, meta, { status: TxnStatus.Empty, producerId, epoch, timeoutMs, partitions: new Map(), startMs: -1 }, now, 'init-producer-id');
    return err ? txnWriteError(err) : ErrorCode.NONE;
  }

  /** The error for a request from (producerId, epoch) on this transactional id, or null when it may proceed. */
  private validate(meta: TxnMeta | undefined, producerId: bigint, epoch: number, fencedCode: number): number | null {
    if (!this.active) return ErrorCode.NOT_COORDINATOR;
    if (!meta || meta.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (epoch < meta.epoch) return fencedCode;
    if (epoch > meta.epoch) return ErrorCode.INVALID_PRODUCER_EPOCH;
    if (meta.status === TxnStatus.PrepareCommit || meta.status === TxnStatus.PrepareAbort) return ErrorCode.CONCURRENT_TRANSACTIONS;
    return null;
  }

  /** The open transaction with `add` joined to it (a new one when none is open). */
  private ongoing(meta: TxnMeta, now: number, add: ReadonlyArray<{ topic: string; partitions: readonly number[] }>): TxnChange {
    const starts = meta.status !== TxnStatus.Ongoing;
    const partitions = new Map<string, Set<number>>(starts ? [] : [...meta.partitions].map(([t, ps]) => [t, new Set(ps)]));
    for (const { topic, partitions: ps } of add) {
      let set = partitions.get(topic);
      if (!set) partitions.set(topic, (set = new Set()));
      for (const p of ps) set.add(p);
    }
    return { status: TxnStatus.Ongoing, partitions, startMs: starts ? now : meta.startMs };
  }

  /**
   * Produce of a transactional batch: the partition must be in the open
   * transaction of this producer, or the data would hold the partition's LSO
   * back with no marker ever coming. Returns the error code, 0 when allowed.
   */
  verifyTransactionalAppend(transactionalId: string | null, producerId: bigint, epoch: number, topic: string, partition: number): number {
    // Cluster mode with the coordinator on another broker: no local state to check against (as before KIP-890).
    if (!this.active) return ErrorCode.NONE;
    const meta = transactionalId === null ? undefined : this.txns.get(transactionalId);
    if (!meta || meta.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    // exactly the coordinator's epoch (KIP-890's verification): a higher one was never issued, and taken by the
    // partition it would fence the real producer there
    if (epoch !== meta.epoch) return ErrorCode.INVALID_PRODUCER_EPOCH;
    if (meta.status !== TxnStatus.Ongoing || !meta.partitions.get(topic)?.has(partition)) return ErrorCode.INVALID_TXN_STATE;
    return ErrorCode.NONE;
  }

  /** AddPartitionsToTxn: per partition error codes, in request order. */
  addPartitions(id: string, producerId: bigint, epoch: number, topics: ReadonlyArray<{ name: string; partitions: readonly number[] }>, fencedCode: number, now: number): Promise<Array<{ name: string; results: Array<{ partition: number; errorCode: number }> }>> {
    const answer = (code: (topic: string, p: number) => number) => topics.map((t) => ({ name: t.name, results: t.partitions.map((p) => ({ partition: p, errorCode: code(t.name, p) })) }));
    return this.locked(id, async () => {
      const meta = this.txns.get(id);
      const err = this.validate(meta, producerId, epoch, fencedCode);
      if (err !== null) return answer(() => err);
      const unknown = new Set<string>();
      for (const t of topics) {
        const info = this.services.metadata.topic(t.name);
        for (const p of t.partitions) if (!info || p < 0 || p >= info.partitions) unknown.add(`${t.name}\0${p}`);
      }
      if (unknown.size > 0) {
        // Kafka adds nothing when any partition is bad; the others are reported as not attempted
        return answer((topic, p) => (unknown.has(`${topic}\0${p}`) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.OPERATION_NOT_ATTEMPTED));
      }
      const change = this.ongoing(meta!, now, topics.map((t) => ({ topic: t.name, partitions: t.partitions })));
      const failed = await this.transition(id, meta, change, now, 'add-partitions');
      if (failed) {
        const code = txnWriteError(failed);
        return answer(() => code);
      }
      return answer(() => ErrorCode.NONE);
    });
  }

  /**
   * AddPartitionsToTxn v4+ with verify_only: whether each partition is already
   * in the producer's open transaction (INVALID_TXN_STATE when not), changing nothing.
   */
  verifyPartitions(id: string, producerId: bigint, epoch: number, topics: ReadonlyArray<{ name: string; partitions: readonly number[] }>, fencedCode: number): Promise<Array<{ name: string; results: Array<{ partition: number; errorCode: number }> }>> {
    return this.locked(id, async () => {
      const meta = this.txns.get(id);
      const err = this.validate(meta, producerId, epoch, fencedCode);
      return topics.map((t) => ({
        name: t.name,
        results: t.partitions.map((p) => {
          if (err !== null) return { partition: p, errorCode: err };
          const inTxn = meta!.status === TxnStatus.Ongoing && meta!.partitions.get(t.name)?.has(p) === true;
          return { partition: p, errorCode: inTxn ? ErrorCode.NONE : ErrorCode.INVALID_TXN_STATE };
        }),
      }));
    });
  }

  /** AddOffsetsToTxn: the transaction will commit offsets of this group. */
  addOffsets(id: string, producerId: bigint, epoch: number, fencedCode: number, now: number, offsetsPartition: { topic: string; partition: number } | null = null): Promise<number> {
    return this.locked(id, async () => {
      const meta = this.txns.get(id);
      const err = this.validate(meta, producerId, epoch, fencedCode);
      if (err !== null) return err;
      // Cluster mode: the group's offsets partition gets a marker too, which commits the offsets its leader holds.
      const change = this.ongoing(meta!, now, offsetsPartition ? [{ topic: offsetsPartition.topic, partitions: [offsetsPartition.partition] }] : []);
      const failed = await this.transition(id, meta, change, now, 'add-offsets');
      if (failed) return txnWriteError(failed);
      return ErrorCode.NONE;
    });
  }

  /** TxnOffsetCommit: stages offsets that become the group's committed offsets when the transaction commits. */
  stageOffsets(id: string, producerId: bigint, epoch: number, offsets: readonly StagedOffset[], fencedCode: number): Promise<number> {
    return this.locked(id, async () => {
      const meta = this.txns.get(id);
      const err = this.validate(meta, producerId, epoch, fencedCode);
      if (err !== null) return err;
      if (meta!.status !== TxnStatus.Ongoing) return ErrorCode.INVALID_TXN_STATE;
      const keyOf = (o: StagedOffset) => `${o.groupId}\0${o.topic}\0${o.partition}`;
      const merged = new Map(meta!.staged.map((o) => [keyOf(o), o]));
      for (const o of offsets) merged.set(keyOf(o), o);
      try {
        await this.write([{ type: 'staged-offsets', transactionalId: id, offsets: [...merged.values()] }]);
      } catch (e) {
        this.writeFailures.note('stage-offsets');
        this.logger.warn({ transactionalId: id, err: String(e) }, 'staged offsets not persisted');
        return txnWriteError(e);
      }
      return ErrorCode.NONE;
    });
  }

  /** EndTxn. A retried commit/abort of a transaction that already completed that way succeeds again. */
  endTxn(id: string, producerId: bigint, epoch: number, commit: boolean, fencedCode: number, now: number): Promise<number> {
    return this.locked(id, async () => {
      const meta = this.txns.get(id);
      const err = this.validate(meta, producerId, epoch, fencedCode);
      if (err !== null) return err;
      const m = meta!;
      if (m.status === TxnStatus.CompleteCommit) return commit ? ErrorCode.NONE : ErrorCode.INVALID_TXN_STATE;
      if (m.status === TxnStatus.CompleteAbort) return commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.NONE;
      if (m.status !== TxnStatus.Ongoing) return ErrorCode.INVALID_TXN_STATE;
      return this.complete(m, commit, now);
    });
  }

  /**
   * Prepare (replicated) -> markers on every partition and staged offsets ->
   * complete (replicated). Returns 0, or the error code when it must be retried
   * (the sweep does). Every step's record is replayed only once written: when
   * the prepare write fails the transaction stays as it was (`epoch`, a bump
   * that fences the producer, included) and no marker is sent; a later failure
   * leaves it prepared, as the log has it.
   */
  private async complete(meta: TxnMeta, commit: boolean, now: number, epoch = meta.epoch): Promise<number> {
    const id = meta.transactionalId;
    const prepare = commit ? TxnStatus.PrepareCommit : TxnStatus.PrepareAbort;
    // A transaction found prepared (after a failover, or retried by the sweep) has its prepare in the log already.
    if (meta.status !== prepare) {
      const failed = await this.transition(id, meta, { status: prepare, epoch }, now, commit ? 'prepare-commit' : 'prepare-abort');
      if (failed) return txnWriteError(failed);
    }
    try {
      const writes: Promise<void>[] = [];
      for (const [topic, parts] of meta.partitions) {
        const info = this.services.metadata.topic(topic);
        if (!info) continue; // deleted meanwhile: nothing left to mark
        for (const p of parts) {
          writes.push(
            this.markers.write(info, p, meta.producerId, meta.epoch, commit, COORDINATOR_EPOCH, now),
          );
        }
      }
      await Promise.all(writes);
      if (commit && meta.staged.length > 0) await this.commitStaged(meta);
      else for (const o of meta.staged) this.services.groups?.txnOffsets.forgetStagedOffsets(o.groupId, meta.producerId, [o]);
      if (meta.staged.length > 0) await this.write([{ type: 'staged-offsets', transactionalId: id, offsets: null }]);
      await this.write([txnTransition(id, meta, { status: commit ? TxnStatus.CompleteCommit : TxnStatus.CompleteAbort, partitions: new Map() }, now)]);
      return ErrorCode.NONE;
    } catch (err) {
      if (err instanceof IllegalTxnTransition) throw err;
      this.writeFailures.note(commit ? 'complete-commit' : 'complete-abort');
      this.logger.warn({ transactionalId: id, commit, err: String(err) }, 'completing transaction failed; will retry');
      return txnWriteError(err);
    }
  }

  private async commitStaged(meta: TxnMeta): Promise<void> {
    const groups = this.services.groups;
    if (!groups) throw new Error('group coordinator not running');
    const byGroup = new Map<string, StagedOffset[]>();
    for (const o of meta.staged) {
      let list = byGroup.get(o.groupId);
      if (!list) byGroup.set(o.groupId, (list = []));
      list.push(o);
    }
    for (const [groupId, offsets] of byGroup) {
      const res = await groups.txnOffsets.commitTransactionalOffsets(
        groupId,
        offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset, leaderEpoch: o.leaderEpoch, metadata: o.metadata })),
        meta.producerId,
      );
      const bad = res.find((r) => r.errorCode !== ErrorCode.NONE);
      if (bad) throw new Error(`committing offsets of group ${groupId} failed with error ${bad.errorCode}`);
    }
  }

  /** Aborts open transactions past their timeout (bumping the epoch fences the producer) and retries stuck completions. */
  async sweep(now: number): Promise<void> {
    for (const meta of [...this.txns.values()]) {
      const expired = meta.status === TxnStatus.Ongoing && meta.startMs >= 0 && now - meta.startMs > meta.timeoutMs;
      const stuck = meta.status === TxnStatus.PrepareCommit || meta.status === TxnStatus.PrepareAbort;
      if (!expired && !stuck) continue;
      await this.locked(meta.transactionalId, async () => {
        if (meta.status === TxnStatus.Ongoing && now - meta.startMs > meta.timeoutMs) {
          this.logger.info({ transactionalId: meta.transactionalId, producerId: String(meta.producerId), timeoutMs: meta.timeoutMs }, 'aborting timed out transaction');
          await this.complete(meta, false, now, Math.min(meta.epoch + 1, MAX_EPOCH + 1));
        } else if (meta.status === TxnStatus.PrepareCommit || meta.status === TxnStatus.PrepareAbort) {
          await this.complete(meta, meta.status === TxnStatus.PrepareCommit, now);
        }
      });
    }
  }
}
