import { ErrorCode } from '../../protocol/errors';
import type { AckRange, ShareCoordinator } from './coordinator';
import { sessionPartitionKey, type ShareSession, type ShareSessions } from './sessions';

export interface AckPartitionInput {
  partitionIndex: number;
  acknowledgementBatches: ReadonlyArray<{ firstOffset: bigint; lastOffset: bigint; acknowledgeTypes: number[] }>;
}

export interface AckTopicInput {
  topicId: Buffer;
  partitions: AckPartitionInput[];
}

/** Acknowledgements of one request, partition by partition: each all-or-nothing, the error per partition. */
export async function applyAcks(coordinator: ShareCoordinator, group: string, member: string, topics: readonly AckTopicInput[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const t of topics) {
    for (const p of t.partitions) {
      if (p.acknowledgementBatches.length === 0) continue;
      let code: number;
      try {
        const ranges: AckRange[] = p.acknowledgementBatches.map((b) => ({ firstOffset: Number(b.firstOffset), lastOffset: Number(b.lastOffset), acknowledgeTypes: b.acknowledgeTypes }));
        code = await coordinator.acknowledge(group, t.topicId, p.partitionIndex, member, ranges);
      } catch {
        code = ErrorCode.COORDINATOR_NOT_AVAILABLE;
      }
      out.set(sessionPartitionKey(t.topicId, p.partitionIndex), code);
    }
  }
  return out;
}

export function hasAcks(topics: readonly AckTopicInput[]): boolean {
  return topics.some((t) => t.partitions.some((p) => p.acknowledgementBatches.length > 0));
}

/**
 * The session step shared by ShareFetch and ShareAcknowledge; null error means go on.
 * Epoch 0 opens a session (ShareFetch only), -1 closes it after the acknowledgements.
 */
export function sessionFor(
  sessions: ShareSessions,
  group: string,
  member: string,
  epoch: number,
  opening: boolean,
): { session: ShareSession | null; errorCode: number } {
  const checked = sessions.check(group, member, epoch);
  if (checked.errorCode !== ErrorCode.NONE) return checked;
  if (epoch === 0) {
    if (!opening) return { session: null, errorCode: ErrorCode.INVALID_SHARE_SESSION_EPOCH };
    if (sessions.full(group, member)) return { session: null, errorCode: ErrorCode.SHARE_SESSION_LIMIT_REACHED };
    return { session: sessions.open(group, member), errorCode: ErrorCode.NONE };
  }
  if (epoch !== -1 && checked.session) sessions.advance(checked.session);
  return checked;
}
