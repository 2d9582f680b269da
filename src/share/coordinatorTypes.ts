import type { Logger } from '../log';
import type { PartitionLog } from '../../storage';
import type { RecordFilter } from '../views/recordFilter';
import type { ShareGroupConfig } from './config';
import type { DlqTarget } from './dlq';
import type { ShareMembership } from './membership';
import type { PersistedMembership } from './membershipRecords';
import type { ShareStateRecord } from './records';
import type { AcquiredRange } from './sharePartition';
import type { StateRead } from './stateCoordinator';
import type { ShareStateLog } from './stateLog';

export interface ShareTopics {
  byName(name: string): { id: Buffer; name: string; partitions: number } | undefined;
  byId(id: Buffer): { id: Buffer; name: string; partitions: number } | undefined;
  /** Every topic (cluster mode: a group's deletion reaches the share coordinator for each of their partitions). */
  all?(): ReadonlyArray<{ id: Buffer; name: string; partitions: number }>;
}

export interface ShareCoordinatorDeps {
  log: Pick<ShareStateLog, 'append' | 'load'>;
  topics: ShareTopics;
  /**
   * The partition's log on this broker, or an error code (not leader, unknown partition). A filtered view's is its
   * source's log, with the view's filter: share groups then acquire only the matching records.
   */
  partitionLog(topicName: string, partition: number): Promise<{ log: PartitionLog; filter?: RecordFilter | null } | { errorCode: number }>;
  dlq: DlqTarget;
  logger: Logger;
  now?: () => number;
  /** Cluster mode: where state is loaded from when this broker takes a group or a share-partition over. */
  cluster?: ShareClusterView;
}

/** Cluster mode: share-partition state at the share coordinator, group records in the group's `__consumer_offsets` partition. */
export interface ShareClusterView {
  /** The data partition's leader epoch when this broker leads it, else null. */
  leaderEpoch(topicName: string, partition: number): number | null;
  read(group: string, topicId: string, partition: number, leaderEpoch: number): Promise<StateRead>;
  /** The leader epoch of the group's `__consumer_offsets` partition (whoever leads it), and whether this broker leads it. */
  groupPlacement(group: string): { epoch: number; leads: boolean } | null;
  /** The end offset of this broker's replica of the group's `__consumer_offsets` partition (null: no replica here). */
  groupLogEnd(group: string): number | null;
  /** The group-level records of the group's `__consumer_offsets` partition, from this broker's replica. */
  groupRecords(group: string): AsyncIterable<ShareStateRecord>;
}

export interface ShareGroupEntry {
  id: string;
  /** Persisted: a __brook_share_state group record exists. */
  exists: boolean;
  configs: Map<string, string>;
  config: ShareGroupConfig;
  membership: ShareMembership;
  persisted: PersistedMembership;
  /** Cluster mode: the `__consumer_offsets` leader epoch the group was loaded at (null: never). */
  loadedAt: number | null;
  /** Cluster mode: the end of this broker's replica of that partition when the group was loaded. */
  loadedLogEnd: number | null;
  /** Cluster mode: members whose last record there is a tombstone (left or expired), as of that load. */
  departed: Set<string>;
}

export interface AckRange {
  firstOffset: number;
  lastOffset: number;
  acknowledgeTypes: number[];
}

export interface FetchedPartition {
  acquired: AcquiredRange[];
  batches: Buffer[];
  /** A filtered view passed its scan budget without reaching the log's end: more may be acquirable at once. */
  more?: boolean;
}

