import type { PartitionLog } from '../../storage';
import type { ShareMembership } from './membership';
import type { SharePartition } from './sharePartition';

export interface ListedShareGroup {
  groupId: string;
  protocolType: string;
  state: string;
  type: string;
}

/** ListGroups rows of the share groups, filtered like Kafka (case-insensitive states and types; empty = all). */
export function listShareGroups(groups: Iterable<{ id: string; exists: boolean; membership: ShareMembership }>, states: readonly string[], types: readonly string[]): ListedShareGroup[] {
  const lower = (xs: readonly string[]) => new Set(xs.map((x) => x.toLowerCase()));
  const st = lower(states);
  const ty = lower(types);
  if (ty.size > 0 && !ty.has('share')) return [];
  const out: ListedShareGroup[] = [];
  for (const g of groups) {
    if (!g.exists && g.membership.members.size === 0) continue;
    const state = g.membership.state;
    if (st.size > 0 && !st.has(state.toLowerCase())) continue;
    out.push({ groupId: g.id, protocolType: 'share', state, type: 'share' });
  }
  return out;
}

export interface WorkSources {
  sharePartition(topicId: Buffer, partition: number): SharePartition | undefined;
  topicName(topicId: Buffer): string | undefined;
  partitionLog(topicName: string, partition: number): Promise<{ log: PartitionLog } | { errorCode: number }>;
}

/** Resolves when one of the partitions may have work (an append, a release, a back-off ending) or after `ms`. */
export function waitForWork(parts: ReadonlyArray<{ topicId: Buffer; partition: number }>, ms: number, from: WorkSources): Promise<void> {
  return new Promise<void>((resolve) => {
    const unsubscribe: Array<() => void> = [];
    let done = false;
    const add = (u: () => void) => (done ? u() : unsubscribe.push(u));
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      for (const u of unsubscribe) u();
      resolve();
    };
    const timer = setTimeout(finish, ms);
    void (async () => {
      for (const p of parts) {
        if (done) return;
        const sp = from.sharePartition(p.topicId, p.partition);
        if (sp) {
          sp.waiters.add(finish);
          add(() => sp.waiters.delete(finish));
        }
        const name = from.topicName(p.topicId);
        const found = name ? await from.partitionLog(name, p.partition) : null;
        if (found && 'log' in found) add(found.log.onAppend(finish));
      }
    })();
  });
}
