import { ErrorCode } from '../../protocol/errors';

/** A member's assigned partitions of one topic. */
export interface TopicAssignment {
  topicId: Buffer;
  topicName: string;
  partitions: number[];
}

export interface ShareMember {
  memberId: string;
  memberEpoch: number;
  rackId: string | null;
  clientId: string;
  clientHost: string;
  subscribedTopicNames: string[];
  assignment: TopicAssignment[];
  lastHeartbeatMs: number;
  /** The epoch whose assignment the member was last sent. */
  sentEpoch: number;
}

export interface TopicLookup {
  byName(name: string): { id: Buffer; partitions: number } | undefined;
}

/**
 * A share group's live membership (KIP-932 ShareGroupHeartbeat): members come and go by
 * heartbeat and are not persisted (after a coordinator restart they rejoin with epoch 0,
 * answered UNKNOWN_MEMBER_ID first). Assignment is server-side and needs no revocation
 * phase: a share-partition may be consumed by several members at once.
 */
export class ShareMembership {
  readonly members = new Map<string, ShareMember>();
  groupEpoch = 0;
  assignmentEpoch = 0;

  get state(): 'Empty' | 'Stable' {
    return this.members.size === 0 ? 'Empty' : 'Stable';
  }

  /**
   * Simple assignor: with at least as many members as partitions every member gets every
   * partition of its topics (members may outnumber partitions); otherwise partitions are
   * spread round-robin so each is consumed by one member.
   */
  reassign(topics: TopicLookup): void {
    const members = [...this.members.values()].sort((a, b) => (a.memberId < b.memberId ? -1 : 1));
    const next = new Map<string, TopicAssignment[]>(members.map((m) => [m.memberId, []]));
    const names = new Set(members.flatMap((m) => m.subscribedTopicNames));
    for (const name of [...names].sort()) {
      const t = topics.byName(name);
      if (!t) continue;
      const subs = members.filter((m) => m.subscribedTopicNames.includes(name));
      for (let i = 0; i < subs.length; i++) {
        const parts: number[] = [];
        for (let p = 0; p < t.partitions; p++) if (subs.length >= t.partitions || p % subs.length === i) parts.push(p);
        if (parts.length > 0) next.get(subs[i]!.memberId)!.push({ topicId: t.id, topicName: name, partitions: parts });
      }
    }
    let changed = false;
    for (const m of members) {
      const a = next.get(m.memberId)!;
      if (JSON.stringify(a.map((x) => [x.topicName, x.partitions])) !== JSON.stringify(m.assignment.map((x) => [x.topicName, x.partitions]))) {
        m.assignment = a;
        changed = true;
      }
    }
    if (changed) this.groupEpoch++;
    this.assignmentEpoch = this.groupEpoch;
    for (const m of members) m.memberEpoch = this.groupEpoch;
  }

  /** Members whose session ran out. */
  expired(now: number, sessionTimeoutMs: number): string[] {
    return [...this.members.values()].filter((m) => now - m.lastHeartbeatMs > sessionTimeoutMs).map((m) => m.memberId);
  }

  /** Error code for a heartbeat of an existing member at `epoch` (0 = fine). */
  checkEpoch(memberId: string, epoch: number): number {
    const m = this.members.get(memberId);
    if (!m) return ErrorCode.UNKNOWN_MEMBER_ID;
    // A member that missed the response carrying its new epoch may still send the previous one.
    if (epoch !== m.memberEpoch && epoch !== m.sentEpoch) return ErrorCode.FENCED_MEMBER_EPOCH;
    return ErrorCode.NONE;
  }
}
