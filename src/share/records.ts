import type { PartitionSnapshot, RecordStateValue, Run } from './partitionState';

/**
 * Records of the compacted internal topic `__brook_share_state`. Each key holds the latest
 * value of one thing, so compaction keeps exactly the current state:
 *   ["g", group]                       -> {} : the share group exists (null: deleted)
 *   ["c", group]                       -> {configs} : its group configs
 *   ["p", group, topicIdHex, partition] -> snapshot of the share-partition (null: offsets deleted)
 * Keys and values are JSON: a share-partition's snapshot is a handful of runs.
 */
export const SHARE_STATE_TOPIC = '__brook_share_state';

export type ShareStateRecord =
  | { kind: 'group'; group: string; deleted: boolean }
  | { kind: 'config'; group: string; configs: Record<string, string> }
  | { kind: 'partition'; group: string; topicId: string; partition: number; snapshot: PartitionSnapshot | null };

type WireRun = [first: number, last: number, state: number, deliveryCount: number, availableAt: number, member: string | null, lockUntil: number];

export function encodeShareRecord(r: ShareStateRecord): { key: Buffer; value: Buffer | null } {
  switch (r.kind) {
    case 'group':
      return { key: Buffer.from(JSON.stringify(['g', r.group])), value: r.deleted ? null : Buffer.from('{}') };
    case 'config':
      return { key: Buffer.from(JSON.stringify(['c', r.group])), value: Buffer.from(JSON.stringify(r.configs)) };
    case 'partition': {
      const key = Buffer.from(JSON.stringify(['p', r.group, r.topicId, r.partition]));
      if (!r.snapshot) return { key, value: null };
      const runs: WireRun[] = r.snapshot.runs.map((x) => [x.first, x.last, x.state, x.deliveryCount, x.availableAt, x.member, x.lockUntil]);
      return { key, value: Buffer.from(JSON.stringify({ s: r.snapshot.startOffset, r: runs })) };
    }
  }
}

/** Null for a key this version does not know (skipped at replay, like Kafka skips unknown record types). */
export function decodeShareRecord(key: Buffer, value: Buffer | null): ShareStateRecord | null {
  const k = JSON.parse(key.toString()) as unknown[];
  switch (k[0]) {
    case 'g':
      return { kind: 'group', group: String(k[1]), deleted: value === null };
    case 'c':
      return { kind: 'config', group: String(k[1]), configs: value ? (JSON.parse(value.toString()) as Record<string, string>) : {} };
    case 'p': {
      const base = { kind: 'partition' as const, group: String(k[1]), topicId: String(k[2]), partition: Number(k[3]) };
      if (!value) return { ...base, snapshot: null };
      const v = JSON.parse(value.toString()) as { s: number; r: WireRun[] };
      const runs: Run[] = v.r.map(([first, last, state, deliveryCount, availableAt, member, lockUntil]) => ({
        first,
        last,
        state: state as RecordStateValue,
        deliveryCount,
        availableAt,
        member,
        lockUntil,
      }));
      return { ...base, snapshot: { startOffset: v.s, runs } };
    }
    default:
      return null;
  }
}
