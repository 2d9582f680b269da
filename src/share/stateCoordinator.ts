import { ErrorCode } from '../../protocol/errors';
import type { Logger } from '../log';
import type { PartitionSnapshot } from './partitionState';
import type { ShareStateRecord } from './records';
import type { ShareStateLog } from './stateLog';

interface Entry {
  leaderEpoch: number;
  /** Bumped by every administrative reset (Alter/DeleteShareGroupOffsets); a leader writing under an older one reloads. */
  stateEpoch: number;
  /** Start offset -1: reset to no state (the next leader starts at share.auto.offset.reset). */
  snapshot: PartitionSnapshot;
}

export interface ShareStateCoordinatorDeps {
  log: Pick<ShareStateLog, 'append' | 'load'>;
  /** This broker's leader epoch of `__brook_share_state`-0, or null when another broker (or none) leads it. */
  leaderEpoch(): number | null;
  logger: Logger;
}

export type StateRead = { errorCode: 0; snapshot: PartitionSnapshot | null; leaderEpoch: number; stateEpoch: number } | { errorCode: number; snapshot?: undefined };

const keyOf = (group: string, topicId: string, partition: number) => `${group}\u0000${topicId}\u0000${partition}`;

/**
 * Kafka's share coordinator, on the broker that leads `__brook_share_state`-0: the persisted
 * state of every share-partition, read by the data partitions' leaders when they take a
 * share-partition over (ReadShareGroupState) and written by them (WriteShareGroupState) through
 * the broker's write path. A write from an older leader epoch than the last one seen for that
 * share-partition is fenced (FENCED_LEADER_EPOCH): a deposed leader cannot overwrite its
 * successor. The map is rebuilt by replaying the topic whenever this broker's leadership of it
 * starts anew.
 */
export class ShareStateCoordinator {
  private readonly entries = new Map<string, Entry>();
  private loadedEpoch: number | null = null;
  private loading: Promise<void> | null = null;

  constructor(private readonly deps: ShareStateCoordinatorDeps) {}

  /** NONE once the map is loaded for the current leadership; NOT_COORDINATOR off the leader. */
  private async ready(): Promise<number> {
    const epoch = this.deps.leaderEpoch();
    if (epoch === null) return ErrorCode.NOT_COORDINATOR;
    if (this.loadedEpoch === epoch) return ErrorCode.NONE;
    this.loading ??= (async () => {
      this.entries.clear();
      for await (const r of this.deps.log.load()) this.apply(r);
      this.loadedEpoch = epoch;
      this.deps.logger.info({ leaderEpoch: epoch, sharePartitions: this.entries.size }, 'share state loaded');
    })().finally(() => {
      this.loading = null;
    });
    try {
      await this.loading;
    } catch (err) {
      this.deps.logger.warn({ err: String(err) }, 'cannot load share state');
      return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
    }
    return this.deps.leaderEpoch() === epoch ? ErrorCode.NONE : ErrorCode.NOT_COORDINATOR;
  }

  private apply(r: ShareStateRecord): void {
    if (r.kind !== 'partition') return;
    const k = keyOf(r.group, r.topicId, r.partition);
    if (r.snapshot) this.entries.set(k, { leaderEpoch: r.leaderEpoch ?? -1, stateEpoch: r.stateEpoch ?? 0, snapshot: r.snapshot });
    else this.entries.delete(k);
  }

  async read(group: string, topicId: string, partition: number, leaderEpoch: number): Promise<StateRead> {
    const code = await this.ready();
    if (code !== ErrorCode.NONE) return { errorCode: code };
    const e = this.entries.get(keyOf(group, topicId, partition));
    if (e && leaderEpoch >= 0 && leaderEpoch < e.leaderEpoch) return { errorCode: ErrorCode.FENCED_LEADER_EPOCH };
    const snapshot = e && e.snapshot.startOffset >= 0 ? e.snapshot : null;
    return { errorCode: 0, snapshot, leaderEpoch: e?.leaderEpoch ?? -1, stateEpoch: e?.stateEpoch ?? 0 };
  }

  /** A partition leader's write of one share-partition's state at the state epoch it loaded; answered once replicated. */
  async write(group: string, topicId: string, partition: number, leaderEpoch: number, stateEpoch: number, snapshot: PartitionSnapshot): Promise<number> {
    const code = await this.ready();
    if (code !== ErrorCode.NONE) return code;
    const e = this.entries.get(keyOf(group, topicId, partition));
    if (e && leaderEpoch >= 0 && leaderEpoch < e.leaderEpoch) {
      this.deps.logger.info({ group, topicId, partition, leaderEpoch, current: e.leaderEpoch }, 'share state write from a deposed leader fenced');
      return ErrorCode.FENCED_LEADER_EPOCH;
    }
    if (e && stateEpoch !== e.stateEpoch) {
      this.deps.logger.info({ group, topicId, partition, stateEpoch, current: e.stateEpoch }, 'share state write from before a reset fenced');
      return ErrorCode.FENCED_STATE_EPOCH;
    }
    return this.append({ kind: 'partition', group, topicId, partition, snapshot, leaderEpoch: Math.max(leaderEpoch, e?.leaderEpoch ?? -1), stateEpoch });
  }

  /**
   * Administrative reset (Kafka's InitializeShareGroupState / DeleteShareGroupState): a new start
   * offset and no records in flight, or (startOffset -1) no state at all, under the next state
   * epoch, so the partition's leader, whose next write is fenced, reloads it.
   */
  async reset(group: string, topicId: string, partition: number, startOffset: number): Promise<number> {
    const code = await this.ready();
    if (code !== ErrorCode.NONE) return code;
    const e = this.entries.get(keyOf(group, topicId, partition));
    // Deleting what is not there (a group's deletion covers every partition of every topic) writes nothing.
    if (startOffset < 0 && (!e || e.snapshot.startOffset < 0)) return ErrorCode.NONE;
    const stateEpoch = (e?.stateEpoch ?? 0) + 1;
    return this.append({ kind: 'partition', group, topicId, partition, snapshot: { startOffset: Math.max(-1, startOffset), runs: [] }, leaderEpoch: e?.leaderEpoch ?? -1, stateEpoch });
  }

  private async append(record: Extract<ShareStateRecord, { kind: 'partition' }>): Promise<number> {
    try {
      await this.deps.log.append([record]);
    } catch (err) {
      this.deps.logger.warn({ group: record.group, topicId: record.topicId, partition: record.partition, err: String(err) }, 'share state write failed');
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }
    this.apply(record);
    return ErrorCode.NONE;
  }
}
