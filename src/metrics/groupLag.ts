import type { GroupCoordinator } from '../groups/coordinator';
import type { BrokerServices } from '../handlers/types';

export interface PartitionLagRow {
  topic: string;
  partition: number;
  committed: number;
  endOffset: number;
  lag: number;
}

export interface GroupLagRow {
  groupId: string;
  state: string;
  protocolType: string;
  members: number;
  partitions: PartitionLagRow[];
  totalLag: number;
}

/** The coordinator when this broker runs one; metrics and console work (without lag) when it does not. */
export function coordinatorOf(services: BrokerServices): GroupCoordinator | null {
  const g = services.groups;
  return g?.isLoaded ? g : null;
}

/**
 * Committed offset vs. high watermark for every group, read from the
 * coordinator and the local logs (this broker leads every partition).
 */
export function groupLag(services: BrokerServices): GroupLagRow[] {
  const coord = coordinatorOf(services);
  if (!coord) return [];
  const out: GroupLagRow[] = [];
  for (const g of coord.listGroups([], [])) {
    const described = coord.describeGroup(g.groupId);
    const fetched = coord.fetchOffsets(g.groupId, null);
    const partitions: PartitionLagRow[] = [];
    let totalLag = 0;
    for (const t of fetched.topics) {
      for (const p of t.partitions) {
        if (p.offset < 0) continue;
        const log = services.logs.get(t.topic, p.partition);
        const endOffset = log ? log.highWatermark : p.offset;
        const lag = Math.max(0, endOffset - p.offset);
        totalLag += lag;
        partitions.push({ topic: t.topic, partition: p.partition, committed: p.offset, endOffset, lag });
      }
    }
    partitions.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
    out.push({ groupId: g.groupId, state: g.state, protocolType: g.protocolType, members: described.members.length, partitions, totalLag });
  }
  return out.sort((a, b) => a.groupId.localeCompare(b.groupId));
}
