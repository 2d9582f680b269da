import { ErrorCode } from '../../protocol/errors';

export interface SessionPartition {
  topicId: Buffer;
  partition: number;
}

export interface ShareSession {
  group: string;
  memberId: string;
  /** The epoch the next request must carry. */
  nextEpoch: number;
  partitions: Map<string, SessionPartition>;
}

/** Kafka's group.share.max.share.sessions default. */
export const DEFAULT_MAX_SESSIONS = 2000;

export const sessionPartitionKey = (topicId: Buffer | string, partition: number) => `${typeof topicId === 'string' ? topicId : topicId.toString('hex')}:${partition}`;

/**
 * KIP-932 share sessions of this broker, one per (group, member): epoch 0 opens (or
 * replaces) one, -1 closes it, any other epoch must be the one expected next, which then
 * moves on (wrapping to 1). The session remembers the partitions fetched so that requests
 * after the first carry only changes.
 */
export class ShareSessions {
  private readonly sessions = new Map<string, ShareSession>();

  /** `maxSessions`: group.share.max.share.sessions, the sessions this broker holds at most (Kafka's default 2000). */
  constructor(readonly maxSessions = DEFAULT_MAX_SESSIONS) {}

  private static key(group: string, member: string): string {
    return `${group}\u0000${member}`;
  }

  get size(): number {
    return this.sessions.size;
  }

  /** The session a request with `epoch` works on, or the Kafka error when the epoch does not fit. Nothing changes on error. */
  check(group: string, member: string, epoch: number): { session: ShareSession | null; errorCode: number } {
    const s = this.sessions.get(ShareSessions.key(group, member));
    if (epoch === 0) return { session: null, errorCode: ErrorCode.NONE };
    if (!s) return { session: null, errorCode: ErrorCode.SHARE_SESSION_NOT_FOUND };
    if (epoch === -1) return { session: s, errorCode: ErrorCode.NONE };
    if (epoch !== s.nextEpoch) return { session: null, errorCode: ErrorCode.INVALID_SHARE_SESSION_EPOCH };
    return { session: s, errorCode: ErrorCode.NONE };
  }

  /** Whether opening a session for this member needs a new slot while every slot is taken (a member's own session is replaced in place). */
  full(group: string, member: string): boolean {
    return this.sessions.size >= this.maxSessions && !this.sessions.has(ShareSessions.key(group, member));
  }

  open(group: string, member: string): ShareSession {
    const s: ShareSession = { group, memberId: member, nextEpoch: 1, partitions: new Map() };
    this.sessions.set(ShareSessions.key(group, member), s);
    return s;
  }

  advance(s: ShareSession): void {
    s.nextEpoch = s.nextEpoch >= 0x7fffffff ? 1 : s.nextEpoch + 1;
  }

  close(group: string, member: string): ShareSession | undefined {
    const k = ShareSessions.key(group, member);
    const s = this.sessions.get(k);
    this.sessions.delete(k);
    return s;
  }

  all(): IterableIterator<ShareSession> {
    return this.sessions.values();
  }
}
