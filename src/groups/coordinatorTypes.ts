import type { Clock } from './clock';
import type { ConsumerGroupOverrides, GroupConfig } from './config';
import type { TopicCatalog, WireTopicPartitions } from './consumerCoordinator';
import type { GroupStateLog } from './stateLog';

/** The group coordinator's request and answer shapes (coordinator.ts is its runtime). */

export interface GroupLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface CoordinatorOptions {
  config?: Partial<GroupConfig>;
  clock?: Clock;
  log?: GroupStateLog;
  logger?: GroupLogger;
  /** Topic metadata for server-side assignment (KIP-848 groups). */
  topics?: TopicCatalog;
  /**
   * Cluster mode: the `__consumer_offsets` partition a group lives in. With it
   * the coordinator serves only the groups of partitions it has loaded.
   */
  partitionOf?: (groupId: string) => number;
  /** A group's own configs (GROUP resource; the share coordinator keeps them): KIP-848 groups' timeouts. */
  groupConfigs?: (groupId: string) => ConsumerGroupOverrides | undefined;
}

export interface ConsumerGroupMemberView {
  memberId: string;
  instanceId: string | null;
  rackId: string | null;
  memberEpoch: number;
  clientId: string;
  clientHost: string;
  subscribedTopicNames: string[];
  subscribedTopicRegex: string | null;
  assignment: Array<WireTopicPartitions & { topicName: string }>;
  targetAssignment: Array<WireTopicPartitions & { topicName: string }>;
}

export interface ConsumerGroupView {
  errorCode: number;
  errorMessage: string | null;
  groupId: string;
  state: string;
  groupEpoch: number;
  assignmentEpoch: number;
  assignorName: string;
  members: ConsumerGroupMemberView[];
}

export interface OffsetToCommit {
  topic: string;
  partition: number;
  offset: number;
  leaderEpoch: number;
  metadata: string | null;
}

export interface CommitParams {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  /** OffsetCommit v2..v4 retention_time_ms; -1 = broker default. */
  retentionTimeMs: number;
  /** OffsetCommit v9+ (KIP-848): a member's commit to a group that does not exist is GROUP_ID_NOT_FOUND, not ILLEGAL_GENERATION. */
  groupIdNotFound?: boolean;
  offsets: readonly OffsetToCommit[];
}

export interface PartitionResult {
  topic: string;
  partition: number;
  errorCode: number;
}

export interface FetchedOffset {
  partition: number;
  offset: number;
  leaderEpoch: number;
  metadata: string;
  errorCode: number;
}

export interface FetchedTopic {
  topic: string;
  partitions: FetchedOffset[];
}

export interface GroupListing {
  groupId: string;
  protocolType: string;
  state: string;
  type: 'classic' | 'consumer';
}

export interface DescribedMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  metadata: Buffer;
  assignment: Buffer;
}

export interface DescribedGroup {
  errorCode: number;
  groupId: string;
  state: string;
  protocolType: string;
  protocolData: string;
  members: DescribedMember[];
}

