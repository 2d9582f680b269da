import type { Logger } from '../log';
import { resolveShareConfig } from './config';
import type { ShareClusterView, ShareGroupEntry } from './coordinatorTypes';
import { ShareMembership } from './membership';
import { RecordState } from './partitionState';
import type { ShareStateRecord } from './records';
import type { SharePartition } from './sharePartition';

export function freshGroupEntry(id: string, loadedAt: number | null = null, loadedLogEnd: number | null = null): ShareGroupEntry {
  return { id, exists: false, configs: new Map(), config: resolveShareConfig(new Map()), membership: new ShareMembership(), persisted: { epoch: null, members: new Map() }, loadedAt, loadedLogEnd, departed: new Set() };
}

/** What loading a group's records needs of the share coordinator. */
export interface GroupLoadHost {
  readonly groups: Map<string, ShareGroupEntry>;
  readonly partitions: Map<string, SharePartition>;
  replay(r: ShareStateRecord, live: boolean): void;
  coordinates(id: string): boolean;
  loadGroup(id: string, force?: boolean): Promise<void>;
  releaseMember(groupId: string, member: string): Promise<void>;
}

/**
 * Cluster mode: replays one group's records from this broker's replica of its `__consumer_offsets`
 * partition into a fresh entry. A deletion of the group starts the entry afresh (the group's
 * share-partitions are not in that log, so they stay); members whose last record is a tombstone
 * are remembered as departed, so a data leader can release what they still hold here.
 */
export async function replayGroupRecords(host: GroupLoadHost, cluster: ShareClusterView, id: string, at: { epoch: number }): Promise<ShareGroupEntry> {
  const logEnd = cluster.groupLogEnd(id);
  const departed = new Set<string>();
  host.groups.set(id, freshGroupEntry(id, at.epoch, logEnd));
  for await (const r of cluster.groupRecords(id)) {
    if (r.group !== id) continue;
    if (r.kind === 'group' && r.deleted) {
      host.groups.set(id, freshGroupEntry(id, at.epoch, logEnd));
      continue;
    }
    if (r.kind === 'member') {
      if (r.member) departed.delete(r.memberId);
      else departed.add(r.memberId);
    }
    host.replay(r, false);
  }
  const g = host.groups.get(id)!;
  g.departed = departed;
  return g;
}

/**
 * Cluster mode, on a data partition's leader that does not coordinate the group: re-reads the
 * group's records from this broker's replica of its `__consumer_offsets` partition when that
 * partition grew, so a config change reaches the share-partitions served here within seconds,
 * and records still acquired here by a member that left or expired (a tombstone there) are
 * released at once instead of when their locks expire.
 */
export function refreshBorrowedGroups(host: GroupLoadHost, cluster: ShareClusterView, logger: Logger): void {
  const served = new Set([...host.partitions.values()].map((sp) => sp.group));
  for (const g of host.groups.values()) {
    if (!served.has(g.id) || host.coordinates(g.id) || cluster.groupLogEnd(g.id) === g.loadedLogEnd) continue;
    void (async () => {
      await host.loadGroup(g.id, true);
      const departed = host.groups.get(g.id)?.departed ?? new Set<string>();
      const holding = new Set<string>();
      for (const sp of host.partitions.values()) {
        if (sp.group !== g.id) continue;
        for (const r of sp.current?.runs ?? []) if (r.state === RecordState.ACQUIRED && r.member !== null && departed.has(r.member)) holding.add(r.member);
      }
      for (const member of holding) await host.releaseMember(g.id, member);
    })().catch((err: unknown) => logger.warn({ group: g.id, err: String(err) }, 'cannot refresh a borrowed share group'));
  }
}
