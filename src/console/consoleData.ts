import { decodeRecordBatches } from '../../protocol/records';
import type { BrokerServices } from '../handlers/types';
import { coordinatorOf, groupLag, type GroupLagRow } from '../metrics/groupLag';
import type { ThroughputSampler } from './sampler';

/** JSON views behind the console pages; plain data so the page and tests read the same thing. */

export interface Overview {
  clusterId: string;
  brokers: Array<{ nodeId: number; host: string; port: number }>;
  topics: number;
  partitions: number;
  totalBytes: number;
  groups: number | null;
  uptimeSeconds: number;
  memoryRssBytes: number;
}

export interface TopicRow {
  name: string;
  internal: boolean;
  partitions: number;
  sizeBytes: number;
  messages: number;
  messagesInPerSec: number;
  messagesOutPerSec: number;
  bytesInPerSec: number;
}

export interface PartitionRow {
  partition: number;
  logStartOffset: number;
  highWatermark: number;
  sizeBytes: number;
  segments: number;
}

export interface MessageRow {
  partition: number;
  offset: string;
  timestamp: string;
  key: string | null;
  value: string | null;
  headers: Record<string, string | null>;
  /** Set on a record of an aborted transaction: read_committed consumers never see it. */
  aborted?: true;
}

export interface GroupDetail extends GroupLagRow {
  memberList: Array<{ memberId: string; clientId: string; clientHost: string; groupInstanceId: string | null }>;
  lagHistory: Array<{ at: number; lag: number }>;
}

/** A reassignment in progress and how far its new replicas have caught up (known on the leader's console). */
export interface ReassignmentRow {
  topic: string;
  partition: number;
  replicas: number[];
  adding: number[];
  removing: number[];
  leader: number;
  /** The leader's log end when this broker leads the partition (else null: ask the leader's console). */
  leaderLogEnd: number | null;
  progress: Array<{ replica: number; inSync: boolean; logEndOffset: number | null }>;
}

export function reassignmentRows(s: BrokerServices): ReassignmentRow[] {
  const out: ReassignmentRow[] = [];
  const self = s.metadata.self().nodeId;
  for (const t of s.metadata.topics()) {
    for (let p = 0; p < t.partitions; p++) {
      const st = s.metadata.partitionState(t.name, p);
      if (!st || !(st.addingReplicas?.length || st.removingReplicas?.length)) continue;
      const replica = st.leader === self ? s.replication?.replica(t.name, p) : undefined;
      const leading = replica?.role === 'leader';
      const adding = st.addingReplicas ?? [];
      out.push({
        topic: t.name,
        partition: p,
        replicas: st.replicas,
        adding,
        removing: st.removingReplicas ?? [],
        leader: st.leader,
        leaderLogEnd: leading ? replica.log.logEndOffset : null,
        progress: adding.map((r) => {
          const own = r === self ? s.logs.get(t.name, p)?.logEndOffset : undefined;
          const seen = leading ? replica.followerLogEnd(r) : -1;
          return { replica: r, inSync: st.isr.includes(r), logEndOffset: own ?? (seen >= 0 ? seen : null) };
        }),
      });
    }
  }
  return out;
}

const startedAt = Date.now();

/** What the logged-in principal may describe: the console counts and lists only those topics and groups. */
export interface Visible {
  topic(name: string): boolean;
  group(id: string): boolean;
}

export function overview(s: BrokerServices, visible: Visible): Overview {
  const topics = s.metadata.topics().filter((t) => visible.topic(t.name));
  let totalBytes = 0;
  for (const f of s.logs.partitionFacts()) if (visible.topic(f.topic)) totalBytes += f.sizeInBytes;
  const coord = coordinatorOf(s);
  return {
    clusterId: s.metadata.clusterId,
    brokers: s.metadata.brokers().map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port })),
    topics: topics.filter((t) => !t.internal).length,
    partitions: topics.reduce((n, t) => n + t.partitions, 0),
    totalBytes,
    groups: coord ? coord.listGroups([], []).filter((g) => visible.group(g.groupId)).length : null,
    uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
    memoryRssBytes: process.memoryUsage.rss(),
  };
}

function partitionRows(s: BrokerServices, topic: string, count: number): PartitionRow[] {
  const rows: PartitionRow[] = [];
  for (let p = 0; p < count; p++) {
    const log = s.logs.get(topic, p);
    rows.push({
      partition: p,
      logStartOffset: log?.logStartOffset ?? 0,
      highWatermark: log?.highWatermark ?? 0,
      sizeBytes: log?.sizeInBytes() ?? 0,
      segments: log?.segmentCount ?? 0,
    });
  }
  return rows;
}

export function topicRows(s: BrokerServices, rates: ThroughputSampler | null): TopicRow[] {
  return s.metadata
    .topics()
    .map((t) => {
      const parts = partitionRows(s, t.name, t.partitions);
      const r = rates?.rate(t.name);
      return {
        name: t.name,
        internal: t.internal,
        partitions: t.partitions,
        sizeBytes: parts.reduce((n, p) => n + p.sizeBytes, 0),
        messages: parts.reduce((n, p) => n + (p.highWatermark - p.logStartOffset), 0),
        messagesInPerSec: r?.messagesIn ?? 0,
        messagesOutPerSec: r?.messagesOut ?? 0,
        bytesInPerSec: r?.bytesIn ?? 0,
      };
    })
    .sort((a, b) => Number(a.internal) - Number(b.internal) || a.name.localeCompare(b.name));
}

export function topicDetail(s: BrokerServices, name: string): { name: string; configs: Record<string, string>; partitions: PartitionRow[] } | null {
  const t = s.metadata.topic(name);
  if (!t) return null;
  return { name: t.name, configs: t.configs, partitions: partitionRows(s, t.name, t.partitions) };
}

function text(b: Buffer | null): string | null {
  return b === null ? null : b.toString('utf8');
}

/** The newest `limit` messages of each partition of a topic, newest first. */
export async function latestMessages(s: BrokerServices, name: string, limit: number): Promise<MessageRow[] | null> {
  const t = s.metadata.topic(name);
  if (!t) return null;
  const out: MessageRow[] = [];
  for (let p = 0; p < t.partitions; p++) {
    const log = s.logs.get(t.name, p);
    if (!log || log.highWatermark === log.logStartOffset) continue;
    const from = Math.max(log.logStartOffset, log.highWatermark - limit);
    const read = await log.read(from, 1024 * 1024, { maxOffset: log.highWatermark, minOneBatch: true });
    const buf = read.chunks.length === 1 ? read.chunks[0]! : Buffer.concat(read.chunks);
    for (const batch of decodeRecordBatches(buf)) {
      if (batch.isControl) continue;
      for (const r of batch.records) {
        if (r.offset < BigInt(from)) continue;
        out.push({
          partition: p,
          offset: String(r.offset),
          timestamp: String(r.timestamp),
          key: text(r.key),
          value: text(r.value),
          headers: Object.fromEntries(r.headers.map((h) => [h.key, text(h.value)])),
        });
      }
    }
  }
  // Newest first; within one timestamp (one producer batch), higher offsets are newer.
  out.sort((a, b) => Number(BigInt(b.timestamp) - BigInt(a.timestamp)) || Number(BigInt(b.offset) - BigInt(a.offset)) || a.partition - b.partition);
  return out.slice(0, limit);
}

export function groupDetail(s: BrokerServices, groupId: string, rates: ThroughputSampler | null): GroupDetail | null {
  const row = groupLag(s).find((g) => g.groupId === groupId);
  const coord = coordinatorOf(s);
  if (!row || !coord) return null;
  const described = coord.describeGroup(groupId);
  return {
    ...row,
    memberList: described.members.map((m) => ({ memberId: m.memberId, clientId: m.clientId, clientHost: m.clientHost, groupInstanceId: m.groupInstanceId })),
    lagHistory: rates?.lagHistory(groupId) ?? [],
  };
}
