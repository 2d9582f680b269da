import type { TopicAssignment } from './assignors';
import type { TimerHandle } from './clock';

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
