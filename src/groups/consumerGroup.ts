import type { TopicAssignment } from './assignors';
import type { TimerHandle } from './clock';
import type { ConsumerGroupSnapshot } from './offsetsTopicRecords';

export type ConsumerGroupState = 'Empty' | 'Assigning' | 'Reconciling' | 'Stable' | 'Dead';

/** KIP-848 member: epochs and assignments kept by the coordinator. */
export class ConsumerMember {
  memberEpoch = 0;
  previousMemberEpoch = -1;
  instanceId: string | null = null;
  rackId: string | null = null;
  rebalanceTimeoutMs = 300_000;
  subscribedTopicNames: string[] = [];
  subscribedTopicRegex: string | null = null;
  serverAssignor: string | null = null;
  /** Partitions the member owns as far as the coordinator knows. */
  assigned: TopicAssignment = new Map();
  /** Partitions it was asked to give up and has not yet confirmed. */
  revoking: TopicAssignment = new Map();
  sessionTimer: TimerHandle | null = null;
  revocationTimer: TimerHandle | null = null;

  constructor(
    readonly memberId: string,
    public clientId: string,
    public clientHost: string,
  ) {}
}

export class ConsumerGroup {
  groupEpoch = 0;
  assignmentEpoch = 0;
  readonly members = new Map<string, ConsumerMember>();
  /** instance id -> member id of static members. */
  readonly staticMembers = new Map<string, string>();
  target = new Map<string, TopicAssignment>();
  /** Fingerprint of the subscribed topics' partition counts when the target was computed. */
  metadataFingerprint = '';
  assignorName: string;
  dead = false;

  constructor(readonly groupId: string, defaultAssignor: string) {
    this.assignorName = defaultAssignor;
  }

  get state(): ConsumerGroupState {
    if (this.dead) return 'Dead';
    if (this.members.size === 0) return 'Empty';
    if (this.assignmentEpoch < this.groupEpoch) return 'Assigning';
    for (const m of this.members.values()) if (m.memberEpoch !== this.assignmentEpoch || m.revoking.size > 0) return 'Reconciling';
    return 'Stable';
  }

  /** Who owns or is still giving up each partition, except `exceptMember`. */
  isOwnedByOther(topic: string, partition: number, exceptMember: string): boolean {
    for (const m of this.members.values()) {
      if (m.memberId === exceptMember) continue;
      if (m.assigned.get(topic)?.has(partition) || m.revoking.get(topic)?.has(partition)) return true;
    }
    return false;
  }
}

const toRecord = (a: TopicAssignment): Record<string, number[]> =>
  Object.fromEntries([...a].map(([t, s]) => [t, [...s].sort((x, y) => x - y)]));
const fromRecord = (r: Record<string, number[]>): TopicAssignment => new Map(Object.entries(r).map(([t, ps]) => [t, new Set(ps)]));

/** The persistent part of a group (no timers), in a stable order so equal states serialize equally. */
export function snapshotConsumerGroup(g: ConsumerGroup): ConsumerGroupSnapshot {
  return {
    groupEpoch: g.groupEpoch,
    assignmentEpoch: g.assignmentEpoch,
    assignorName: g.assignorName,
    metadataFingerprint: g.metadataFingerprint,
    members: [...g.members.values()].map((m) => ({
      memberId: m.memberId,
      instanceId: m.instanceId,
      rackId: m.rackId,
      memberEpoch: m.memberEpoch,
      previousMemberEpoch: m.previousMemberEpoch,
      rebalanceTimeoutMs: m.rebalanceTimeoutMs,
      clientId: m.clientId,
      clientHost: m.clientHost,
      subscribedTopicNames: m.subscribedTopicNames,
      subscribedTopicRegex: m.subscribedTopicRegex,
      serverAssignor: m.serverAssignor,
      assigned: toRecord(m.assigned),
      revoking: toRecord(m.revoking),
    })),
    target: Object.fromEntries([...g.target].map(([id, a]) => [id, toRecord(a)])),
  };
}

export function restoreConsumerGroup(groupId: string, s: ConsumerGroupSnapshot): ConsumerGroup {
  const g = new ConsumerGroup(groupId, s.assignorName);
  g.groupEpoch = s.groupEpoch;
  g.assignmentEpoch = s.assignmentEpoch;
  g.metadataFingerprint = s.metadataFingerprint;
  for (const sm of s.members) {
    const m = new ConsumerMember(sm.memberId, sm.clientId, sm.clientHost);
    m.instanceId = sm.instanceId;
    m.rackId = sm.rackId;
    m.memberEpoch = sm.memberEpoch;
    m.previousMemberEpoch = sm.previousMemberEpoch;
    m.rebalanceTimeoutMs = sm.rebalanceTimeoutMs;
    m.subscribedTopicNames = sm.subscribedTopicNames;
    m.subscribedTopicRegex = sm.subscribedTopicRegex;
    m.serverAssignor = sm.serverAssignor;
    m.assigned = fromRecord(sm.assigned);
    m.revoking = fromRecord(sm.revoking);
    g.members.set(m.memberId, m);
    if (m.instanceId !== null) g.staticMembers.set(m.instanceId, m.memberId);
  }
  for (const [id, a] of Object.entries(s.target)) g.target.set(id, fromRecord(a));
  return g;
}
