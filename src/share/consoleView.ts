import type { BrokerServices } from '../handlers/types';
import { countStates } from './partitionState';
import { shareServicesOf } from './services';
import { servingTopicName } from '../views/viewTopics';

export interface SharePartitionRow {
  topic: string;
  partition: number;
  startOffset: number;
  logEndOffset: number;
  /** Records from the start offset to the share-partition end offset that are not finished. */
  inFlight: number;
  acquired: number;
  /** Available now. */
  acquirable: number;
  /** Released, waiting out brook.share.redelivery.backoff. */
  delayed: number;
  /** Not yet delivered at all: from the share-partition end offset to the log end. */
  undelivered: number;
}

export interface ShareGroupRow {
  groupId: string;
  state: string;
  groupEpoch: number;
  members: Array<{ memberId: string; clientId: string; clientHost: string; assignment: Array<{ topic: string; partitions: number[] }> }>;
  partitions: SharePartitionRow[];
  deadLetterTopic: string | null;
  deadLetterRecords: number | null;
}

/** The console's view of this broker's share groups (read-only; from the replayed state). */
export function shareGroupRows(s: BrokerServices): ShareGroupRow[] {
  const share = shareServicesOf(s);
  if (!share) return [];
  const now = Date.now();
  const { coordinator } = share;
  return [...coordinator.groups.keys()]
    .map((id) => coordinator.group(id))
    .filter((g) => g !== undefined)
    .map((g) => {
      const partitions: SharePartitionRow[] = [];
      for (const sp of coordinator.partitions.values()) {
        if (sp.group !== g.id || !sp.snapshot) continue;
        const counts = countStates(sp.snapshot, now);
        const end = sp.snapshot.startOffset + counts.inFlight;
        // a filtered view's records live in its source's log (undelivered then counts the source's, matching or not)
        const topic = s.metadata.topic(sp.topicName);
        const logEnd = s.logs.get(topic ? servingTopicName(topic) : sp.topicName, sp.partition)?.highWatermark ?? end;
        partitions.push({
          topic: sp.topicName,
          partition: sp.partition,
          startOffset: sp.snapshot.startOffset,
          logEndOffset: logEnd,
          inFlight: counts.acquired + counts.acquirable + counts.delayed,
          acquired: counts.acquired,
          acquirable: counts.acquirable,
          delayed: counts.delayed,
          undelivered: Math.max(0, logEnd - end),
        });
      }
      partitions.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
      const dlq = g.config.dlqTopic;
      const dlqTopic = dlq ? s.metadata.topic(dlq) : undefined;
      let dlqRecords: number | null = null;
      if (dlqTopic) {
        dlqRecords = 0;
        for (let p = 0; p < dlqTopic.partitions; p++) {
          const log = s.logs.get(dlqTopic.name, p);
          if (log) dlqRecords += log.highWatermark - log.logStartOffset;
        }
      }
      return {
        groupId: g.id,
        state: g.membership.state,
        groupEpoch: g.membership.groupEpoch,
        members: [...g.membership.members.values()].map((m) => ({
          memberId: m.memberId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          assignment: m.assignment.map((a) => ({ topic: a.topicName, partitions: a.partitions })),
        })),
        partitions,
        deadLetterTopic: dlq,
        deadLetterRecords: dlqRecords,
      };
    })
    .sort((a, b) => a.groupId.localeCompare(b.groupId));
}
