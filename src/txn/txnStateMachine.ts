import {
  BROOK_PENDING_OFFSETS_KEY_VERSION,
  TXN_STATUS_NAMES,
  TxnStatus,
  decodeStagedOffsets,
  decodeTxnKey,
  decodeTxnValue,
  encodeStagedOffsets,
  encodeTxnKey,
  encodeTxnValue,
  type StagedOffset,
  type TxnLogValue,
} from './txnLogRecords';

/**
 * The transaction coordinator's state machine, kept apart from its runtime
 * (locks, timers, log writes: coordinator.ts) and its record layouts
 * (txnLogRecords.ts), as Kafka's coordinators split them. State changes only
 * in `replay`, for records read back from `__transaction_state` at load and
 * for records the runtime wrote, once the write was acknowledged.
 */

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

/** One record of `__transaction_state`, decoded: a transaction's state, or the offsets it staged (null: tombstone). */
export type TxnStateRecord =
  | { type: 'transaction'; transactionalId: string; value: TxnLogValue | null }
  | { type: 'staged-offsets'; transactionalId: string; offsets: StagedOffset[] | null };

export interface TxnLogRecord {
  key: Buffer;
  value: Buffer | null;
}

export function encodeTxnStateRecord(r: TxnStateRecord): TxnLogRecord {
  if (r.type === 'transaction') return { key: encodeTxnKey(r.transactionalId), value: r.value ? encodeTxnValue(r.value) : null };
  const key = encodeTxnKey(r.transactionalId, BROOK_PENDING_OFFSETS_KEY_VERSION);
  return { key, value: r.offsets && r.offsets.length > 0 ? encodeStagedOffsets(r.offsets) : null };
}

export function decodeTxnStateRecord(r: TxnLogRecord): TxnStateRecord {
  const key = decodeTxnKey(r.key);
  if (key.version === BROOK_PENDING_OFFSETS_KEY_VERSION) {
    return { type: 'staged-offsets', transactionalId: key.transactionalId, offsets: r.value ? decodeStagedOffsets(r.value) : null };
  }
  return { type: 'transaction', transactionalId: key.transactionalId, value: r.value ? decodeTxnValue(r.value) : null };
}

/**
 * Kafka's TransactionState.validPreviousStates, for the transitions Brook
 * makes: a new transactional id starts Empty (from no state at all); Dead is
 * the tombstone of an expired id.
 */
const VALID_PREVIOUS: ReadonlyMap<TxnStatus, ReadonlySet<TxnStatus | 'none'>> = new Map<TxnStatus, ReadonlySet<TxnStatus | 'none'>>([
  [TxnStatus.Empty, new Set(['none', TxnStatus.Empty, TxnStatus.CompleteCommit, TxnStatus.CompleteAbort])],
  [TxnStatus.Ongoing, new Set([TxnStatus.Ongoing, TxnStatus.Empty, TxnStatus.CompleteCommit, TxnStatus.CompleteAbort])],
  [TxnStatus.PrepareCommit, new Set([TxnStatus.Ongoing])],
  [TxnStatus.PrepareAbort, new Set([TxnStatus.Ongoing, TxnStatus.PrepareEpochFence])],
  [TxnStatus.CompleteCommit, new Set([TxnStatus.PrepareCommit])],
  [TxnStatus.CompleteAbort, new Set([TxnStatus.PrepareAbort])],
  [TxnStatus.Dead, new Set([TxnStatus.Empty, TxnStatus.CompleteCommit, TxnStatus.CompleteAbort])],
  [TxnStatus.PrepareEpochFence, new Set([TxnStatus.Ongoing])],
]);

/** A transition the state machine does not allow: a bug in the coordinator, never a client error. */
export class IllegalTxnTransition extends Error {
  constructor(transactionalId: string, from: TxnStatus | 'none', to: TxnStatus) {
    super(`transactional id ${transactionalId}: illegal transition ${from === 'none' ? 'none' : TXN_STATUS_NAMES[from]} -> ${TXN_STATUS_NAMES[to]}`);
    this.name = 'IllegalTxnTransition';
  }
}

export function assertTxnTransition(transactionalId: string, from: TxnStatus | 'none', to: TxnStatus): void {
  if (!VALID_PREVIOUS.get(to)?.has(from)) throw new IllegalTxnTransition(transactionalId, from, to);
}

export interface TxnChange {
  status: TxnStatus;
  producerId?: bigint;
  epoch?: number;
  timeoutMs?: number;
  partitions?: ReadonlyMap<string, ReadonlySet<number>>;
  startMs?: number;
}

/**
 * The record a transition writes: `meta` (undefined for a new id) with
 * `change` applied, stamped `now`. Checks the transition; changes nothing.
 */
export function txnTransition(transactionalId: string, meta: TxnMeta | undefined, change: TxnChange, now: number): TxnStateRecord {
  assertTxnTransition(transactionalId, meta?.status ?? 'none', change.status);
  const partitions = change.partitions ?? meta?.partitions ?? new Map<string, Set<number>>();
  return {
    type: 'transaction',
    transactionalId,
    value: {
      producerId: change.producerId ?? meta!.producerId,
      producerEpoch: change.epoch ?? meta!.epoch,
      timeoutMs: change.timeoutMs ?? meta!.timeoutMs,
      status: change.status,
      partitions: [...partitions].map(([topic, ps]) => ({ topic, partitions: [...ps] })),
      lastUpdateMs: now,
      startMs: change.startMs ?? meta?.startMs ?? -1,
    },
  };
}

/** The tombstones that forget an expired id (its state and any staged offsets). */
export function txnExpiry(meta: TxnMeta): TxnStateRecord[] {
  assertTxnTransition(meta.transactionalId, meta.status, TxnStatus.Dead);
  return [
    { type: 'transaction', transactionalId: meta.transactionalId, value: null },
    { type: 'staged-offsets', transactionalId: meta.transactionalId, offsets: null },
  ];
}

/** Every transactional id's state; changed only by `replay`. */
export class TxnStateMachine {
  private readonly txns = new Map<string, TxnMeta>();
  /** Staged offsets read before their id's state (compaction may reorder the two keys' survivors). */
  private readonly orphanStaged = new Map<string, StagedOffset[]>();

  get(transactionalId: string): TxnMeta | undefined {
    return this.txns.get(transactionalId);
  }

  values(): IterableIterator<TxnMeta> {
    return this.txns.values();
  }

  get size(): number {
    return this.txns.size;
  }

  clear(): void {
    this.txns.clear();
    this.orphanStaged.clear();
  }

  /**
   * Applies one record. An existing id's TxnMeta is updated in place, so the
   * runtime may hold it across a write; a tombstone forgets the id.
   */
  replay(r: TxnStateRecord): void {
    const id = r.transactionalId;
    const meta = this.txns.get(id);
    if (r.type === 'staged-offsets') {
      const offsets = r.offsets ?? [];
      if (meta) meta.staged = offsets;
      else if (offsets.length > 0) this.orphanStaged.set(id, offsets);
      else this.orphanStaged.delete(id);
      return;
    }
    if (r.value === null) {
      this.txns.delete(id);
      this.orphanStaged.delete(id);
      return;
    }
    const v = r.value;
    const partitions = new Map(v.partitions.map((t) => [t.topic, new Set(t.partitions)]));
    const fields = { producerId: v.producerId, epoch: v.producerEpoch, timeoutMs: v.timeoutMs, status: v.status, partitions, lastUpdateMs: v.lastUpdateMs, startMs: v.startMs };
    if (meta) {
      // A new transaction starts with nothing staged.
      const starts = meta.status !== TxnStatus.Ongoing && v.status === TxnStatus.Ongoing;
      Object.assign(meta, fields, starts ? { staged: [] } : {});
      return;
    }
    this.txns.set(id, { transactionalId: id, ...fields, staged: this.orphanStaged.get(id) ?? [] });
    this.orphanStaged.delete(id);
  }
}
