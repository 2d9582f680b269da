import type { Admin } from 'kafkajs';
import { ApiKey } from '../../../protocol/generated/apis';
import { ErrorCode, errorName } from '../../../protocol/errors';
import type { DescribeConfigsResponse } from '../../../protocol/generated/messages/DescribeConfigsResponse';
import type { AlterShareGroupOffsetsResponse } from '../../../protocol/generated/messages/AlterShareGroupOffsetsResponse';
import type { DescribeShareGroupOffsetsResponse } from '../../../protocol/generated/messages/DescribeShareGroupOffsetsResponse';
import type { ListGroupsResponse } from '../../../protocol/generated/messages/ListGroupsResponse';
import type { ShareGroupDescribeResponse } from '../../../protocol/generated/messages/ShareGroupDescribeResponse';
import { CliError } from './errors';
import { formatTable } from './io';
import type { RawAdminConnection } from './rawRequest';

export interface SharePartitionView {
  topic: string;
  partition: number;
  /** Share-partition start offset: everything below is done; null when the group has no state there. */
  startOffset: string | null;
  endOffset: string;
  /** Records from the start offset to the log end: in flight, acquirable or not yet delivered. */
  unfinished: string | null;
  members: number;
}

export interface ShareGroupView {
  groupId: string;
  type: 'share';
  state: string;
  groupEpoch: number;
  members: Array<{ memberId: string; clientId: string; host: string; assignment: Record<string, number[]> }>;
  partitions: SharePartitionView[];
  deadLetterTopic: string | null;
  deadLetterRecords: string | null;
}

/** Share groups per ListGroups v5's type filter (empty when the broker predates it). */
export async function shareGroupIds(conn: RawAdminConnection): Promise<Map<string, string>> {
  if (conn.version(ApiKey.ListGroups) < 5) return new Map();
  const res = await conn.request<ListGroupsResponse>(ApiKey.ListGroups, { statesFilter: [], typesFilter: ['share'] });
  return new Map(res.groups.map((g) => [g.groupId, g.groupState]));
}

/** Members and assignments (ShareGroupDescribe), start offsets (DescribeShareGroupOffsets), log ends, and the dead-letter topic's size. */
export async function describeShareGroup(conn: RawAdminConnection, admin: Admin, groupId: string): Promise<ShareGroupView> {
  const d = await conn.request<ShareGroupDescribeResponse>(ApiKey.ShareGroupDescribe, { groupIds: [groupId], includeAuthorizedOperations: false });
  const g = d.groups[0]!;
  if (g.errorCode !== 0) throw new CliError(`share group "${groupId}": ${errorName(g.errorCode)}${g.errorMessage ? ` (${g.errorMessage})` : ''}`);
  const members = g.members.map((m) => ({
    memberId: m.memberId,
    clientId: m.clientId,
    host: m.clientHost,
    assignment: Object.fromEntries(m.assignment.topicPartitions.map((t) => [t.topicName, t.partitions])),
  }));
  const offsets = await conn.request<DescribeShareGroupOffsetsResponse>(ApiKey.DescribeShareGroupOffsets, { groups: [{ groupId, topics: null }] });
  const starts = new Map<string, bigint>();
  for (const t of offsets.groups[0]?.topics ?? []) for (const p of t.partitions) starts.set(`${t.topicName}\0${p.partitionIndex}`, p.startOffset);
  const topics = new Set<string>([...starts.keys()].map((k) => k.split('\0')[0]!));
  for (const m of members) for (const t of Object.keys(m.assignment)) topics.add(t);
  const partitions: SharePartitionView[] = [];
  for (const topic of [...topics].sort()) {
    for (const o of await admin.fetchTopicOffsets(topic)) {
      const start = starts.get(`${topic}\0${o.partition}`);
      const end = BigInt(o.high);
      const known = start !== undefined && start >= 0n;
      partitions.push({
        topic,
        partition: o.partition,
        startOffset: known ? String(start) : null,
        endOffset: String(end),
        unfinished: known ? String(end > start! ? end - start! : 0n) : null,
        members: members.filter((m) => m.assignment[topic]?.includes(o.partition)).length,
      });
    }
  }
  const cfg = await conn.request<DescribeConfigsResponse>(ApiKey.DescribeConfigs, {
    resources: [{ resourceType: 32, resourceName: groupId, configurationKeys: ['errors.deadletterqueue.topic.name'] }],
    includeSynonyms: false,
    includeDocumentation: false,
  });
  const dlq = cfg.results[0]?.configs.find((c) => c.name === 'errors.deadletterqueue.topic.name')?.value || null;
  let dlqRecords: string | null = null;
  if (dlq && (await admin.listTopics()).includes(dlq)) {
    dlqRecords = String((await admin.fetchTopicOffsets(dlq)).reduce((n, o) => n + (BigInt(o.high) - BigInt(o.low)), 0n));
  }
  return { groupId, type: 'share', state: g.groupState, groupEpoch: g.groupEpoch, members, partitions, deadLetterTopic: dlq, deadLetterRecords: dlqRecords };
}

export function formatShareGroup(v: ShareGroupView): string {
  const head = `Share group: ${v.groupId}\tState: ${v.state}\tMembers: ${v.members.length}\tEpoch: ${v.groupEpoch}\n\n`;
  const parts = formatTable(
    ['TOPIC', 'PARTITION', 'START-OFFSET', 'LOG-END-OFFSET', 'UNFINISHED', 'MEMBERS'],
    v.partitions.map((p) => [p.topic, p.partition, p.startOffset, p.endOffset, p.unfinished, p.members]),
  );
  const members = formatTable(
    ['MEMBER-ID', 'CLIENT-ID', 'HOST', 'ASSIGNMENT'],
    v.members.map((m) => [m.memberId, m.clientId, m.host, Object.entries(m.assignment).map(([t, ps]) => `${t}:${ps.join(',')}`).join(' ')]),
  );
  const dlq = v.deadLetterTopic ? `\nDead-letter topic: ${v.deadLetterTopic}\tRecords: ${v.deadLetterRecords ?? 0}\n` : '';
  return head + (v.partitions.length > 0 ? parts : 'No share-partition state yet.\n') + (v.members.length > 0 ? `\n${members}` : '') + dlq;
}

/** A share group's start offsets on one topic's partitions (DescribeShareGroupOffsets); a partition without state is absent. */
export async function shareStartOffsets(conn: RawAdminConnection, groupId: string, topic: string, partitions: number[]): Promise<Map<number, bigint>> {
  const res = await conn.request<DescribeShareGroupOffsetsResponse>(ApiKey.DescribeShareGroupOffsets, { groups: [{ groupId, topics: [{ topicName: topic, partitions }] }] });
  const g = res.groups[0];
  if (g && g.errorCode !== 0) throw new CliError(`share group "${groupId}": ${errorName(g.errorCode)}${g.errorMessage ? ` (${g.errorMessage})` : ''}`);
  const out = new Map<number, bigint>();
  for (const t of g?.topics ?? []) for (const p of t.partitions) if (p.errorCode === 0 && p.startOffset >= 0n) out.set(p.partitionIndex, p.startOffset);
  return out;
}

/**
 * Moves a share group's start offsets (AlterShareGroupOffsets, what kafka-share-groups --reset-offsets sends): the
 * in-flight records there are forgotten. The broker requires the group to be empty; any refusal is shown as it answered.
 */
export async function alterShareStartOffsets(conn: RawAdminConnection, groupId: string, topic: string, rows: ReadonlyArray<{ partition: number; target: string }>): Promise<void> {
  const res = await conn.request<AlterShareGroupOffsetsResponse>(ApiKey.AlterShareGroupOffsets, {
    groupId,
    topics: [{ topicName: topic, partitions: rows.map((r) => ({ partitionIndex: r.partition, startOffset: BigInt(r.target) })) }],
  });
  const why = (code: number, message: string | null) => `${errorName(code)}${message ? ` (${message})` : ''}`;
  if (res.errorCode !== 0) {
    const hint = res.errorCode === ErrorCode.NON_EMPTY_GROUP ? '; stop its consumers first' : '';
    throw new CliError(`cannot reset share group "${groupId}": ${why(res.errorCode, res.errorMessage)}${hint}`);
  }
  const failed = res.responses.flatMap((t) => t.partitions.filter((p) => p.errorCode !== 0).map((p) => `${t.topicName}-${p.partitionIndex}: ${why(p.errorCode, p.errorMessage)}`));
  if (failed.length > 0) throw new CliError(`share group "${groupId}": start offsets not reset for ${failed.join(', ')}`);
}
