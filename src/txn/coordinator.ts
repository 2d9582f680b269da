import { ErrorCode } from '../../protocol/errors';
import type { InitProducerIdRequest } from '../../protocol/generated/messages/InitProducerIdRequest';
import type { InitProducerIdResponseInput } from '../../protocol/generated/messages/InitProducerIdResponse';
import type { GroupCoordinator } from '../groups/coordinator';
import type { BrokerServices } from '../handlers/types';
import type { Logger } from '../log';
import { MarkerWriter } from './clusterMarkers';
import type { ProducerIdAllocator } from './producerIdAllocator';
import {
  BROOK_PENDING_OFFSETS_KEY_VERSION,
  TxnStatus,
  decodeStagedOffsets,
  decodeTxnKey,
  decodeTxnValue,
  encodeStagedOffsets,
  encodeTxnKey,
  encodeTxnValue,
  type StagedOffset,
} from './txnLogRecords';
import { TxnStateLog } from './txnStateLog';
import { writeErrorCode } from '../internalTopics/replicatedWrites';

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

/** What a transition changes; put back when its write fails, so memory never runs ahead of the replicated log. */
/** Partition sets are changed in place; a transition works on copies so its undo keeps the originals. */
function copyPartitions(meta: TxnMeta): void {
  meta.partitions = new Map([...meta.partitions].map(([t, ps]) => [t, new Set(ps)]));
}

function saveMeta(meta: TxnMeta): () => void {
  const { producerId, epoch, timeoutMs, status, partitions, staged, lastUpdateMs, startMs } = meta;
  return () => Object.assign(meta, { producerId, epoch, timeoutMs, status, partitions, staged, lastUpdateMs, startMs });
}

/** Kafka's transaction.max.timeout.ms default. */
export const MAX_TXN_TIMEOUT_MS = 900_000;
const MAX_EPOCH = 32766;
/** Markers are written by this broker for itself; its coordinator epoch never changes. */
const COORDINATOR_EPOCH = 0;

export interface TxnMeta {
  transactionalId: string;
  producerId: bigint;
  epoch: number;
  timeoutMs: number;
  status: TxnStatus;
  /** topic -> partitions in the open transaction. */
  partitions: Map<string, Set<number>>;
  /** Groups whose offsets are staged; committed with the transaction. */
  staged: StagedOffset[];
  lastUpdateMs: number;
  startMs: number;
}

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
  private readonly txns = new Map<string, TxnMeta>();
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

  constructor(
    private readonly services: BrokerServices,
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
    this.timer = setInterval(() => void this.sweep(Date.now()), sweepMs);
    this.timer.unref();
    this.expiryTimer = setInterval(() => void this.expireTransactionalIds(Date.now()), opts.idExpirationCheckMs ?? TXN_ID_EXPIRATION_CHECK_MS);
    this.expiryTimer.unref();
  }

  /** Cluster mode: this broker became (or stopped being) the leader of `__transaction_state`. */
  setLeader(leader: boolean): Promise<void> {
    const run = this.leadership.then(async () => {
      if (leader === this.active) return;
      if (!leader) {
        this.active = false;
        this.txns.clear();
        this.logger.info({}, 'transaction coordinator moved away');
        return;
      }
      this.txns.clear();
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
    for await (const rec of this.log.load()) {
      const key = decodeTxnKey(rec.key);
      if (key.version === BROOK_PENDING_OFFSETS_KEY_VERSION) {
        const meta = this.txns.get(key.transactionalId);
        if (meta) meta.staged = rec.value ? decodeStagedOffsets(rec.value) : [];
        continue;
      }
      if (rec.value === null) {
        this.txns.delete(key.transactionalId);
        continue;
      }
      const v = decodeTxnValue(rec.value);
      const prev = this.txns.get(key.transactionalId);
      this.txns.set(key.transactionalId, {
        transactionalId: key.transactionalId,
        producerId: v.producerId,
        epoch: v.producerEpoch,
        timeoutMs: v.timeoutMs,
        status: v.status,
        partitions: new Map(v.partitions.map((t) => [t.topic, new Set(t.partitions)])),
        staged: prev?.staged ?? [],
        lastUpdateMs: v.lastUpdateMs,
        startMs: v.startMs,
      });
    }
    for (const meta of this.txns.values()) {
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
          await this.log.append([
            { key: encodeTxnKey(meta.transactionalId), value: null },
            { key: encodeTxnKey(meta.transactionalId, BROOK_PENDING_OFFSETS_KEY_VERSION), value: null },
          ]);
        } catch (err) {
          this.logger.warn({ transactionalId: meta.transactionalId, err: String(err) }, 'expiring transactional id failed; will retry');
          return false;
        }
        this.txns.delete(meta.transactionalId);
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

  private async persist(meta: TxnMeta, now: number): Promise<void> {
    meta.lastUpdateMs = now;
    const partitions = [...meta.partitions].map(([topic, ps]) => ({ topic, partitions: [...ps] }));
    await this.log.append([
      {
        key: encodeTxnKey(meta.transactionalId),
        value: encodeTxnValue({ producerId: meta.producerId, producerEpoch: meta.epoch, timeoutMs: meta.timeoutMs, status: meta.status, partitions, lastUpdateMs: now, startMs: meta.startMs }),
      },
    ]);
  }

  private async persistStaged(meta: TxnMeta): Promise<void> {
    const key = encodeTxnKey(meta.transactionalId, BROOK_PENDING_OFFSETS_KEY_VERSION);
    await this.log.append([{ key, value: meta.staged.length > 0 ? encodeStagedOffsets(meta.staged) : null }]);
  }

  /** Producer id and (bumped) epoch for a transactional id; an open transaction of the previous holder is aborted. */
  initProducerId(req: InitProducerIdRequest, now: number): Promise<InitProducerIdResponseInput> {
    const id = req.transactionalId!;
    const fail = (errorCode: number): InitProducerIdResponseInput => ({ throttleTimeMs: 0, errorCode, producerId: -1n, producerEpoch: -1 });
    if (id === '') return Promise.resolve(fail(ErrorCode.INVALID_REQUEST));
    if (!this.active) return Promise.resolve(fail(ErrorCode.NOT_COORDINATOR));
    if (req.transactionTimeoutMs <= 0 || req.transactionTimeoutMs > MAX_TXN_TIMEOUT_MS) return Promise.resolve(fail(ErrorCode.INVALID_TRANSACTION_TIMEOUT));
    return this.locked(id, async () => {
      let meta = this.txns.get(id);
      if (meta && req.producerId >= 0n && (req.producerId !== meta.producerId || req.producerEpoch !== meta.epoch)) {
        // KIP-360 bump by a producer that is no longer the current one
        return fail(ErrorCode.PRODUCER_FENCED);
      }
      if (!meta) {
        meta = { transactionalId: id, producerId: await this.producerIds.allocate(), epoch: 0, timeoutMs: req.transactionTimeoutMs, status: TxnStatus.Empty, partitions: new Map(), staged: [], lastUpdateMs: now, startMs: -1 };
        this.txns.set(id, meta);
        try {
          await this.persist(meta, now);
        } catch (err) {
          this.txns.delete(id);
          this.logger.warn({ transactionalId: id, err: String(err) }, 'transaction state not persisted');
          return fail(txnWriteError(err));
        }
        return { throttleTimeMs: 0, errorCode: 0, producerId: meta.producerId, producerEpoch: 0 };
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
      const undo = saveMeta(meta);
      if (meta.status === TxnStatus.Ongoing) meta.epoch = Math.min(meta.epoch + 1, MAX_EPOCH + 1);
      const code = await this.complete(meta, false, now, undo);
      if (code !== ErrorCode.NONE) return pending(code);
    } else if (meta.status === TxnStatus.PrepareCommit) {
      const code = await this.complete(meta, true, now);
      if (code !== ErrorCode.NONE) return pending(code);
    }
    const undo = saveMeta(meta);
    if (meta.epoch >= MAX_EPOCH) {
      meta.producerId = await this.producerIds.allocate();
      meta.epoch = 0;
    } else {
      meta.epoch++;
    }
    meta.timeoutMs = timeoutMs;
    meta.status = TxnStatus.Empty;
    meta.partitions = new Map();
    meta.startMs = -1;
    try {
      await this.persist(meta, now);
    } catch (err) {
      undo();
      this.logger.warn({ transactionalId: meta.transactionalId, err: String(err) }, 'transaction state not persisted');
      return txnWriteError(err);
    }
    return ErrorCode.NONE;
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

  private begin(meta: TxnMeta, now: number): void {
    if (meta.status !== TxnStatus.Ongoing) {
      meta.status = TxnStatus.Ongoing;
      meta.startMs = now;
      meta.partitions = new Map();
      meta.staged = [];
    }
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
    if (epoch < meta.epoch) return ErrorCode.INVALID_PRODUCER_EPOCH;
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
      const undo = saveMeta(meta!);
      copyPartitions(meta!);
      this.begin(meta!, now);
      for (const t of topics) {
        let set = meta!.partitions.get(t.name);
        if (!set) meta!.partitions.set(t.name, (set = new Set()));
        for (const p of t.partitions) set.add(p);
      }
      try {
        await this.persist(meta!, now);
      } catch (e) {
        undo();
        this.logger.warn({ transactionalId: id, err: String(e) }, 'transaction state not persisted');
        const code = txnWriteError(e);
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
      const undo = saveMeta(meta!);
      copyPartitions(meta!);
      this.begin(meta!, now);
      // Cluster mode: the group's offsets partition gets a marker too, which commits the offsets its leader holds.
      if (offsetsPartition) {
        let set = meta!.partitions.get(offsetsPartition.topic);
        if (!set) meta!.partitions.set(offsetsPartition.topic, (set = new Set()));
        set.add(offsetsPartition.partition);
      }
      try {
        await this.persist(meta!, now);
      } catch (e) {
        undo();
        this.logger.warn({ transactionalId: id, err: String(e) }, 'transaction state not persisted');
        return txnWriteError(e);
      }
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
      const before = meta!.staged;
      meta!.staged = [...merged.values()];
      try {
        await this.persistStaged(meta!);
      } catch (e) {
        meta!.staged = before;
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
   * (the sweep does). When the prepare write fails the transaction is put back
   * as it was (`undo`, by default its state on entry) and no marker is sent;
   * a later failure leaves it prepared, as the log has it.
   */
  private async complete(meta: TxnMeta, commit: boolean, now: number, undo = saveMeta(meta)): Promise<number> {
    const prepare = commit ? TxnStatus.PrepareCommit : TxnStatus.PrepareAbort;
    // A transaction found prepared (after a failover, or retried by the sweep) has its prepare in the log already.
    const alreadyPrepared = meta.status === prepare;
    meta.status = prepare;
    try {
      if (!alreadyPrepared) await this.persist(meta, now);
    } catch (err) {
      undo();
      this.logger.warn({ transactionalId: meta.transactionalId, commit, err: String(err) }, 'preparing transaction failed');
      return txnWriteError(err);
    }
    const prepared = saveMeta(meta);
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
      else for (const o of meta.staged) (this.services.groups as GroupCoordinator | undefined)?.forgetStagedOffsets(o.groupId, meta.producerId, [o]);
      if (meta.staged.length > 0) {
        meta.staged = [];
        await this.persistStaged(meta);
      }
      meta.status = commit ? TxnStatus.CompleteCommit : TxnStatus.CompleteAbort;
      meta.partitions = new Map();
      await this.persist(meta, now);
      return ErrorCode.NONE;
    } catch (err) {
      prepared();
      this.logger.warn({ transactionalId: meta.transactionalId, commit, err: String(err) }, 'completing transaction failed; will retry');
      return txnWriteError(err);
    }
  }

  private async commitStaged(meta: TxnMeta): Promise<void> {
    const groups = this.services.groups as GroupCoordinator | undefined;
    if (!groups) throw new Error('group coordinator not running');
    const byGroup = new Map<string, StagedOffset[]>();
    for (const o of meta.staged) {
      let list = byGroup.get(o.groupId);
      if (!list) byGroup.set(o.groupId, (list = []));
      list.push(o);
    }
    for (const [groupId, offsets] of byGroup) {
      const res = await groups.commitTransactionalOffsets(
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
          const undo = saveMeta(meta);
          meta.epoch = Math.min(meta.epoch + 1, MAX_EPOCH + 1);
          await this.complete(meta, false, now, undo);
        } else if (meta.status === TxnStatus.PrepareCommit || meta.status === TxnStatus.PrepareAbort) {
          await this.complete(meta, meta.status === TxnStatus.PrepareCommit, now);
        }
      });
    }
  }
}
