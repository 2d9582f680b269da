import type { PartitionSnapshot, RecordStateValue, Run } from './partitionState';

/**
 * Records of the compacted internal topic `__brook_share_state`. Each key holds the latest
 * value of one thing, so compaction keeps exactly the current state:
 *   ["g", group]                       -> {e: group epoch} : the share group exists (null: deleted)
 *   ["c", group]                       -> {configs} : its group configs
 *   ["m", group, memberId]             -> {member} : a member and its epoch (null: it left)
 *   ["p", group, topicIdHex, partition] -> snapshot of the share-partition and the data partition's
 *                                          leader epoch that wrote it, and (cluster mode) its state
 *                                          epoch; start offset -1: reset to none (null: offsets deleted)
 * Keys and values are JSON: a share-partition's snapshot is a handful of runs.
 */
export const SHARE_STATE_TOPIC = '__brook_share_state';

export type ShareStateRecord =
  | { kind: 'group'; group: string; deleted: boolean; epoch?: number }
  | { kind: 'config'; group: string; configs: Record<string, string> }
  | { kind: 'member'; group: string; memberId: string; member: StoredShareMember | null }
  | { kind: 'partition'; group: string; topicId: string; partition: number; snapshot: PartitionSnapshot | null; leaderEpoch?: number; stateEpoch?: number };

/** What survives of a member across a coordinator restart or move (Kafka's ShareGroupMemberMetadata plus its epoch). */
export interface StoredShareMember {
  epoch: number;
  rackId: string | null;
  clientId: string;
  clientHost: string;
  topics: string[];
}

type WireRun = [first: number, last: number, state: number, deliveryCount: number, availableAt: number, member: string | null, lockUntil: number];

export function encodeShareRecord(r: ShareStateRecord): { key: Buffer; value: Buffer | null } {
  switch (r.kind) {
    case 'group':
      return { key: Buffer.from(JSON.stringify(['g', r.group])), value: r.deleted ? null : Buffer.from(JSON.stringify(r.epoch === undefined ? {} : { e: r.epoch })) };
    case 'member':
      return { key: Buffer.from(JSON.stringify(['m', r.group, r.memberId])), value: r.member ? Buffer.from(JSON.stringify(r.member)) : null };
    case 'config':
      return { key: Buffer.from(JSON.stringify(['c', r.group])), value: Buffer.from(JSON.stringify(r.configs)) };
    case 'partition': {
      const key = Buffer.from(JSON.stringify(['p', r.group, r.topicId, r.partition]));
      if (!r.snapshot) return { key, value: null };
      const runs: WireRun[] = r.snapshot.runs.map((x) => [x.first, x.last, x.state, x.deliveryCount, x.availableAt, x.member, x.lockUntil]);
      return { key, value: Buffer.from(JSON.stringify({ s: r.snapshot.startOffset, r: runs, ...(r.leaderEpoch === undefined ? {} : { e: r.leaderEpoch }), ...(r.stateEpoch === undefined ? {} : { se: r.stateEpoch }) })) };
    }
  }
}

/** Null for a key this version does not know (skipped at replay, like Kafka skips unknown record types). */
export function decodeShareRecord(key: Buffer, value: Buffer | null): ShareStateRecord | null {
  const k = JSON.parse(key.toString()) as unknown[];
  switch (k[0]) {
    case 'g':
      if (!value) return { kind: 'group', group: String(k[1]), deleted: true };
      return { kind: 'group', group: String(k[1]), deleted: false, epoch: (JSON.parse(value.toString()) as { e?: number }).e };
    case 'm':
      return { kind: 'member', group: String(k[1]), memberId: String(k[2]), member: value ? (JSON.parse(value.toString()) as StoredShareMember) : null };
    case 'c':
      return { kind: 'config', group: String(k[1]), configs: value ? (JSON.parse(value.toString()) as Record<string, string>) : {} };
    case 'p': {
      const base = { kind: 'partition' as const, group: String(k[1]), topicId: String(k[2]), partition: Number(k[3]) };
      if (!value) return { ...base, snapshot: null };
      const v = JSON.parse(value.toString()) as { s: number; r: WireRun[]; e?: number; se?: number };
      const runs: Run[] = v.r.map(([first, last, state, deliveryCount, availableAt, member, lockUntil]) => ({
        first,
        last,
        state: state as RecordStateValue,
        deliveryCount,
        availableAt,
        member,
        lockUntil,
      }));
      return { ...base, snapshot: { startOffset: v.s, runs }, leaderEpoch: v.e, stateEpoch: v.se };
    }
    default:
      return null;
  }
}
