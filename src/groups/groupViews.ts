import { ErrorCode } from '../../protocol/errors';
import { Writer } from '../../protocol/codec/writer';
import { encodeConsumerProtocolAssignment } from '../../protocol/generated/messages/ConsumerProtocolAssignment';
import { encodeConsumerProtocolSubscription } from '../../protocol/generated/messages/ConsumerProtocolSubscription';
import type { TopicAssignment } from './assignors';
import type { ClassicGroup } from './classicGroup';
import type { TopicCatalog, WireTopicPartitions } from './consumerCoordinator';
import type { ConsumerGroup } from './consumerGroup';
import type { ConsumerGroupView, DescribedGroup, FetchedOffset, FetchedTopic, GroupListing } from './coordinatorTypes';
import type { CommittedOffset, OffsetStore } from './offsetStore';

/** What the admin views read: the coordinator's groups, never changed here. */
export interface GroupViews {
  classic: ReadonlyMap<string, ClassicGroup>;
  consumer: ReadonlyMap<string, ConsumerGroup>;
  catalog: TopicCatalog;
  toWire(a: TopicAssignment): WireTopicPartitions[];
}

/** Read-only answers of the group coordinator: ListGroups, DescribeGroups, ConsumerGroupDescribe, OffsetFetch. */

export function describeConsumerGroup(v: GroupViews, groupId: string): ConsumerGroupView {
  const g = v.consumer.get(groupId);
  if (!g) {
    const isClassic = v.classic.has(groupId);
    return {
      errorCode: ErrorCode.GROUP_ID_NOT_FOUND,
      errorMessage: isClassic ? `Group ${groupId} is not a consumer group.` : `Group ${groupId} not found.`,
      groupId, state: 'Dead', groupEpoch: -1, assignmentEpoch: -1, assignorName: '', members: [],
    };
  }
  const named = (a: TopicAssignment) => v.toWire(a).map((tp) => ({ ...tp, topicName: v.catalog.byId(tp.topicId)?.name ?? '' }));
  return {
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    groupId,
    state: g.state,
    groupEpoch: g.groupEpoch,
    assignmentEpoch: g.assignmentEpoch,
    assignorName: g.assignorName,
    members: [...g.members.values()].map((m) => ({
      memberId: m.memberId,
      instanceId: m.instanceId,
      rackId: m.rackId,
      memberEpoch: m.memberEpoch,
      clientId: m.clientId,
      clientHost: m.clientHost,
      subscribedTopicNames: m.subscribedTopicNames,
      subscribedTopicRegex: m.subscribedTopicRegex,
      assignment: named(m.assigned),
      targetAssignment: named(g.target.get(m.memberId) ?? new Map()),
    })),
  };
}

export function listGroups(v: GroupViews, stateFilter: readonly string[], typeFilter: readonly string[]): GroupListing[] {
  const states = new Set(stateFilter.map((s) => s.toLowerCase()));
  const types = new Set(typeFilter.map((s) => s.toLowerCase()));
  const out: GroupListing[] = [];
  for (const g of v.classic.values()) {
    if (g.is('Dead')) continue;
    const listing: GroupListing = { groupId: g.groupId, protocolType: g.protocolType ?? '', state: g.state, type: 'classic' };
    if (states.size > 0 && !states.has(listing.state.toLowerCase())) continue;
    if (types.size > 0 && !types.has(listing.type)) continue;
    out.push(listing);
  }
  for (const g of v.consumer.values()) {
    const listing: GroupListing = { groupId: g.groupId, protocolType: 'consumer', state: g.state, type: 'consumer' };
    if (states.size > 0 && !states.has(listing.state.toLowerCase())) continue;
    if (types.size > 0 && !types.has(listing.type)) continue;
    out.push(listing);
  }
  return out;
}

export function describeGroup(v: GroupViews, groupId: string): DescribedGroup {
  const g = v.classic.get(groupId);
  const cg = v.consumer.get(groupId);
  if (cg) {
    // The classic view of a consumer group, as Kafka gives it: each member's subscription and current assignment
    // in the classic consumer protocol's encoding, so tools that only speak DescribeGroups see who owns what.
    return {
      errorCode: ErrorCode.NONE, groupId, state: cg.state, protocolType: 'consumer', protocolData: cg.assignorName,
      members: [...cg.members.values()].map((m) => ({
        memberId: m.memberId, groupInstanceId: m.instanceId, clientId: m.clientId, clientHost: m.clientHost,
        metadata: classicSubscription(m.subscribedTopicNames), assignment: classicAssignment(m.assigned),
      })),
    };
  }
  if (!g) {
    return { errorCode: ErrorCode.NONE, groupId, state: 'Dead', protocolType: '', protocolData: '', members: [] };
  }
  const stable = g.is('Stable');
  const protocol = g.protocolName ?? '';
  return {
    errorCode: ErrorCode.NONE,
    groupId,
    state: g.state,
    protocolType: g.protocolType ?? '',
    protocolData: protocol,
    members: [...g.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      metadata: stable ? m.metadataFor(protocol) : Buffer.alloc(0),
      assignment: stable ? m.assignment : Buffer.alloc(0),
    })),
  };
}

export function fetchOffsets(offsets: OffsetStore, groupId: string, topics: ReadonlyArray<{ topic: string; partitions: readonly number[] }> | null): {
  errorCode: number;
  topics: FetchedTopic[];
} {
  if (!groupId) return { errorCode: ErrorCode.INVALID_GROUP_ID, topics: [] };
  const missing = (partition: number): FetchedOffset => ({
    partition, offset: -1, leaderEpoch: -1, metadata: '', errorCode: ErrorCode.NONE,
  });
  const found = (partition: number, c: CommittedOffset): FetchedOffset => ({
    partition, offset: c.offset, leaderEpoch: c.leaderEpoch, metadata: c.metadata, errorCode: ErrorCode.NONE,
  });
  if (topics === null) {
    const out: FetchedTopic[] = [];
    for (const [topic, parts] of offsets.topicsOf(groupId)) {
      out.push({ topic, partitions: [...parts].map(([p, c]) => found(p, c)) });
    }
    return { errorCode: ErrorCode.NONE, topics: out };
  }
  return {
    errorCode: ErrorCode.NONE,
    topics: topics.map(({ topic, partitions }) => ({
      topic,
      partitions: partitions.map((p) => {
        const c = offsets.get(groupId, topic, p);
        return c ? found(p, c) : missing(p);
      }),
    })),
  };
}

/** ConsumerProtocolSubscription v0 with its version prefix (what a classic member sends in JoinGroup). */
function classicSubscription(topics: readonly string[]): Buffer {
  const w = new Writer(64).int16(0);
  encodeConsumerProtocolSubscription(w, 0, { topics: [...topics], userData: null });
  return w.toBuffer();
}

/** ConsumerProtocolAssignment v0 with its version prefix (what a classic leader sends in SyncGroup), topics by name. */
function classicAssignment(assigned: TopicAssignment): Buffer {
  const w = new Writer(64).int16(0);
  const topics = [...assigned.keys()].sort();
  encodeConsumerProtocolAssignment(w, 0, { assignedPartitions: topics.map((topic) => ({ topic, partitions: [...assigned.get(topic)!].sort((a, b) => a - b) })), userData: null });
  return w.toBuffer();
}
