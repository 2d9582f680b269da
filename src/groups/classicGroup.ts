import type { TimerHandle } from './clock';

export type ClassicGroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

export interface JoinProtocol {
  name: string;
  metadata: Buffer;
}

export interface JoinGroupMemberInfo {
  memberId: string;
  groupInstanceId: string | null;
  metadata: Buffer;
}

export interface JoinOutcome {
  errorCode: number;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  skipAssignment: boolean;
  memberId: string;
  members: JoinGroupMemberInfo[];
}

export interface SyncOutcome {
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

/** A JoinGroup, SyncGroup or LeaveGroup member as the classic coordinator takes it. */
export interface JoinParams {
  groupId: string;
  memberId: string;
  groupInstanceId: string | null;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: JoinProtocol[];
  clientId: string;
  clientHost: string;
  /** JoinGroup v4+: a member without id first gets MEMBER_ID_REQUIRED and its id. */
  requireKnownMemberId: boolean;
}

export interface SyncParams {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string | null;
  protocolName: string | null;
  assignments: ReadonlyArray<{ memberId: string; assignment: Buffer }>;
}

export interface MemberRef {
  memberId: string;
  groupInstanceId: string | null;
}

export const EMPTY_BYTES = Buffer.alloc(0);

/**
 * Kafka's ClassicGroupState.validPreviousStates: a classic group refuses any
 * other transition (a coordinator bug, never a client error).
 */
const CLASSIC_VALID_PREVIOUS: ReadonlyMap<ClassicGroupState, ReadonlySet<ClassicGroupState>> = new Map<ClassicGroupState, ReadonlySet<ClassicGroupState>>([
  ['PreparingRebalance', new Set<ClassicGroupState>(['Stable', 'CompletingRebalance', 'Empty'])],
  ['CompletingRebalance', new Set<ClassicGroupState>(['PreparingRebalance'])],
  ['Stable', new Set<ClassicGroupState>(['CompletingRebalance'])],
  ['Empty', new Set<ClassicGroupState>(['PreparingRebalance'])],
  ['Dead', new Set<ClassicGroupState>(['Stable', 'PreparingRebalance', 'CompletingRebalance', 'Empty', 'Dead'])],
]);

export class IllegalGroupTransition extends Error {
  constructor(groupId: string, from: string, to: string) {
    super(`group ${groupId}: illegal transition ${from} -> ${to}`);
    this.name = 'IllegalGroupTransition';
  }
}

export function assertClassicTransition(groupId: string, from: ClassicGroupState, to: ClassicGroupState): void {
  if (!CLASSIC_VALID_PREVIOUS.get(to)?.has(from)) throw new IllegalGroupTransition(groupId, from, to);
}


export class ClassicMember {
  assignment: Buffer = EMPTY_BYTES;
  joinWaiter: ((r: JoinOutcome) => void) | null = null;
  syncWaiter: ((r: SyncOutcome) => void) | null = null;
  sessionTimer: TimerHandle | null = null;

  constructor(
    public memberId: string,
    public groupInstanceId: string | null,
    public clientId: string,
    public clientHost: string,
    public rebalanceTimeoutMs: number,
    public sessionTimeoutMs: number,
    public protocolType: string,
    public protocols: JoinProtocol[],
  ) {}

  metadataFor(protocol: string): Buffer {
    return this.protocols.find((p) => p.name === protocol)?.metadata ?? EMPTY_BYTES;
  }

  sameProtocols(other: readonly JoinProtocol[]): boolean {
    if (other.length !== this.protocols.length) return false;
    return other.every((p, i) => p.name === this.protocols[i].name && p.metadata.equals(this.protocols[i].metadata));
  }
}

/** State of one classic-protocol group (JoinGroup/SyncGroup/Heartbeat). */
export class ClassicGroup {
  state: ClassicGroupState = 'Empty';
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  readonly members = new Map<string, ClassicMember>();
  /** group.instance.id -> member id of the static member holding it. */
  readonly staticMembers = new Map<string, string>();
  /** Member ids handed out with MEMBER_ID_REQUIRED, waiting for the second join. */
  readonly pendingMembers = new Map<string, TimerHandle>();
  joinTimer: TimerHandle | null = null;
  /** While in the initial-delay phase of a rebalance of an empty group. */
  initialDelay: { remainingMs: number; newMemberJoined: boolean } | null = null;
  stateTimestamp: number;

  constructor(readonly groupId: string, now: number) {
    this.stateTimestamp = now;
  }

  /** Throws IllegalGroupTransition for a transition the state machine does not allow. */
  transition(state: ClassicGroupState, now: number): void {
    assertClassicTransition(this.groupId, this.state, state);
    this.state = state;
    this.stateTimestamp = now;
  }

  is(state: ClassicGroupState): boolean {
    return this.state === state;
  }

  maxRebalanceTimeoutMs(): number {
    let max = 0;
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs);
    return max;
  }

  hasAllMembersJoined(): boolean {
    if (this.pendingMembers.size > 0) return false;
    for (const m of this.members.values()) if (!m.joinWaiter) return false;
    return true;
  }

  /** Protocols every member supports (the first member's preference order). */
  candidateProtocols(): string[] {
    const all = [...this.members.values()];
    if (all.length === 0) return [];
    return all[0].protocols.map((p) => p.name).filter((name) => all.every((m) => m.protocols.some((p) => p.name === name)));
  }

  supportsProtocols(protocolType: string, protocols: readonly JoinProtocol[]): boolean {
    if (this.members.size === 0) return protocolType.length > 0 && protocols.length > 0;
    if (protocolType !== this.protocolType) return false;
    const candidates = this.candidateProtocols();
    return protocols.some((p) => candidates.includes(p.name));
  }

  /** Kafka's vote: each member votes for its most preferred candidate; most votes wins. */
  selectProtocol(): string {
    const candidates = this.candidateProtocols();
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
      const choice = m.protocols.find((p) => candidates.includes(p.name))!.name;
      votes.set(choice, (votes.get(choice) ?? 0) + 1);
    }
    let best = candidates[0];
    for (const c of candidates) if ((votes.get(c) ?? 0) > (votes.get(best) ?? 0)) best = c;
    return best;
  }

  isFencedInstance(memberId: string, groupInstanceId: string | null): boolean {
    if (groupInstanceId === null) return false;
    const holder = this.staticMembers.get(groupInstanceId);
    return holder !== undefined && holder !== memberId;
  }
}
