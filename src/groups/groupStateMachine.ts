import { ClassicGroup, ClassicMember } from './classicGroup';
import { ConsumerGroup, ConsumerMember, restoreConsumerGroup } from './consumerGroup';
import type { GroupRecord } from './groupRecords';
import type { OffsetStore } from './offsetStore';
import type { GroupMetadataValue } from './offsetsTopicRecords';

/** What replay asks of the runtime: timers and parked requests of state it drops. */
export interface ReplayHooks {
  classicRemoved(group: ClassicGroup): void;
  consumerRemoved(group: ConsumerGroup): void;
  consumerMemberRemoved(member: ConsumerMember): void;
  defaultAssignor: string;
}

/**
 * The group coordinator's state machine: the only code that changes the
 * persisted state of groups and offsets, for records read back from
 * `__consumer_offsets` at load and for records the coordinator wrote, once
 * the write was acknowledged. Runtime state (parked joins, timers, classic
 * membership between rebalances) stays with the coordinators.
 */
export class GroupStateMachine {
  constructor(
    readonly classic: Map<string, ClassicGroup>,
    readonly consumer: Map<string, ConsumerGroup & { legacy?: boolean }>,
    readonly offsets: OffsetStore,
    private readonly hooks: ReplayHooks,
    private readonly now: () => number,
  ) {}

  /**
   * `loading`: read back from the log at load, where a group's record is its whole persisted state (the members a
   * later generation no longer lists are gone); otherwise a record this coordinator just wrote for a live group.
   */
  replay(r: GroupRecord, loading = false): void {
    switch (r.type) {
      case 'offset':
        if (r.value === null) this.offsets.delete(r.group, r.topic, r.partition);
        else this.offsets.put(r.group, r.topic, r.partition, r.value);
        return;
      case 'group-metadata':
        this.replayClassic(r.group, r.value, loading);
        return;
      case 'legacy-consumer-group': {
        const g = this.consumer.get(r.group);
        if (r.value === null) {
          if (g?.legacy) this.dropConsumer(g);
          return;
        }
        if (g) this.dropConsumer(g);
        const restored: ConsumerGroup & { legacy?: boolean } = restoreConsumerGroup(r.group, r.value);
        restored.legacy = true;
        this.consumer.set(r.group, restored);
        this.dropClassic(r.group);
        return;
      }
      default:
        this.replayConsumer(r);
    }
  }

  private dropClassic(groupId: string): void {
    const g = this.classic.get(groupId);
    if (!g) return;
    this.hooks.classicRemoved(g);
    this.classic.delete(groupId);
  }

  private dropConsumer(g: ConsumerGroup): void {
    this.hooks.consumerRemoved(g);
    this.consumer.delete(g.groupId);
  }

  private replayClassic(groupId: string, v: GroupMetadataValue | null, loading: boolean): void {
    if (v === null) {
      const g = this.classic.get(groupId);
      if (g && !g.is('Dead')) {
        this.hooks.classicRemoved(g);
        g.transition('Dead', this.now());
      }
      this.classic.delete(groupId);
      return;
    }
    const live = this.classic.get(groupId);
    if (live && !loading) {
      applyPersisted(live, v);
      return;
    }
    const cg = this.consumer.get(groupId);
    if (cg) this.dropConsumer(cg);
    const g = new ClassicGroup(groupId, v.currentStateTimestamp);
    g.generationId = v.generation;
    g.protocolType = v.protocolType || null;
    g.protocolName = v.protocol;
    g.leaderId = v.leader;
    for (const sm of v.members) {
      const m = new ClassicMember(
        sm.memberId, sm.groupInstanceId, sm.clientId, sm.clientHost, sm.rebalanceTimeoutMs, sm.sessionTimeoutMs,
        v.protocolType, [{ name: v.protocol ?? '', metadata: sm.subscription }],
      );
      m.assignment = sm.assignment;
      g.members.set(m.memberId, m);
      if (m.groupInstanceId !== null) g.staticMembers.set(m.groupInstanceId, m.memberId);
    }
    // Loaded state, not a transition: a group with members resumes Stable, waiting for their heartbeats.
    g.state = g.members.size > 0 ? 'Stable' : 'Empty';
    this.classic.set(groupId, g);
  }

  private consumerGroupFor(groupId: string, create: boolean): (ConsumerGroup & { legacy?: boolean }) | undefined {
    let g = this.consumer.get(groupId);
    if (!g && create) {
      this.dropClassic(groupId);
      g = new ConsumerGroup(groupId, this.hooks.defaultAssignor);
      this.consumer.set(groupId, g);
    }
    return g;
  }

  private replayConsumer(r: Exclude<GroupRecord, { type: 'offset' | 'group-metadata' | 'legacy-consumer-group' }>): void {
    const g = this.consumerGroupFor(r.group, r.value !== null);
    if (!g) return;
    switch (r.type) {
      case 'cg-metadata':
        if (r.value === null) this.dropConsumer(g);
        else g.groupEpoch = r.value.epoch;
        return;
      case 'cg-partition-metadata':
        g.metadataFingerprint = r.value ? metadataFingerprint(r.value.topics) : '';
        return;
      case 'cg-target-metadata':
        g.assignmentEpoch = r.value?.assignmentEpoch ?? 0;
        // Kafka keeps no assignor name: the target was computed with the first preferred one, else the default.
        g.assignorName = [...g.members.values()].find((m) => m.serverAssignor !== null)?.serverAssignor ?? this.hooks.defaultAssignor;
        return;
      case 'cg-target-member':
        if (r.value === null) g.target.delete(r.memberId);
        else g.target.set(r.memberId, r.value);
        return;
      case 'cg-member': {
        const existing = g.members.get(r.memberId);
        if (r.value === null) {
          if (!existing) return;
          this.hooks.consumerMemberRemoved(existing);
          g.members.delete(r.memberId);
          if (existing.instanceId !== null && g.staticMembers.get(existing.instanceId) === r.memberId) g.staticMembers.delete(existing.instanceId);
          return;
        }
        const m = existing ?? new ConsumerMember(r.memberId, r.value.clientId, r.value.clientHost);
        if (m.instanceId !== null && m.instanceId !== r.value.instanceId && g.staticMembers.get(m.instanceId) === m.memberId) g.staticMembers.delete(m.instanceId);
        Object.assign(m, r.value);
        g.members.set(m.memberId, m);
        if (m.instanceId !== null) g.staticMembers.set(m.instanceId, m.memberId);
        return;
      }
      case 'cg-current-assignment': {
        if (r.value === null) return;
        let m = g.members.get(r.memberId);
        if (!m) g.members.set(r.memberId, (m = new ConsumerMember(r.memberId, '', '')));
        m.memberEpoch = r.value.memberEpoch;
        m.previousMemberEpoch = r.value.previousMemberEpoch;
        m.assigned = r.value.assigned;
        m.revoking = r.value.revoking;
        return;
      }
    }
  }
}

/** Brook's fingerprint of the subscribed topics' partition counts: `name:count`, by name, comma-separated. */
export function metadataFingerprint(topics: ReadonlyArray<{ name: string; partitions: number }>): string {
  return [...topics].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((t) => `${t.name}:${t.partitions}`).join(',');
}

export function parseMetadataFingerprint(fingerprint: string): Array<{ name: string; partitions: number }> {
  if (fingerprint === '') return [];
  return fingerprint.split(',').map((entry) => {
    const at = entry.lastIndexOf(':');
    return { name: entry.slice(0, at), partitions: Number(entry.slice(at + 1)) };
  });
}

/**
 * A live classic group gets the persisted part of a record it wrote: the
 * generation's protocol and leader, the member ids (a static member's new id
 * replaces its old one) and assignments. Membership changes between
 * rebalances stay runtime state, as in Kafka.
 */
function applyPersisted(g: ClassicGroup, v: GroupMetadataValue): void {
  // Written for a generation a rebalance has since replaced: the runtime moved on, and the next generation writes again.
  if (v.generation < g.generationId) return;
  g.generationId = v.generation;
  g.protocolType = v.protocolType || null;
  g.protocolName = v.protocol;
  for (const sm of v.members) {
    let m = g.members.get(sm.memberId);
    if (!m && sm.groupInstanceId !== null) {
      const heldBy = g.staticMembers.get(sm.groupInstanceId);
      const old = heldBy === undefined ? undefined : g.members.get(heldBy);
      if (old) {
        g.members.delete(old.memberId);
        if (g.leaderId === old.memberId) g.leaderId = sm.memberId;
        old.memberId = sm.memberId;
        g.members.set(sm.memberId, old);
        g.staticMembers.set(sm.groupInstanceId, sm.memberId);
        m = old;
      }
    }
    if (!m) continue;
    m.assignment = sm.assignment;
    m.clientId = sm.clientId;
    m.clientHost = sm.clientHost;
    m.sessionTimeoutMs = sm.sessionTimeoutMs;
    m.rebalanceTimeoutMs = sm.rebalanceTimeoutMs;
  }
  g.leaderId = v.leader;
}
