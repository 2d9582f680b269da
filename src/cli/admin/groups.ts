import { AssignerProtocol, type Admin } from 'kafkajs';
import type { AdminCommand } from './command';
import { CliError, usageError } from './errors';
import { formatJson, formatTable, writeOut } from './io';
import { intValue, requiredValue } from './options';
import { PartitionReader } from './partitionReader';
import { withAdmin } from './topics';
import { withRawConnection } from './rawConnection';
import { alterShareStartOffsets, describeShareGroup, formatShareGroup, shareGroupIds, shareStartOffsets } from './shareGroups';

const GROUP = { kind: 'value', alias: 'g', help: 'consumer group id' } as const;

const list: AdminCommand = {
  name: 'groups list',
  summary: 'list consumer and share groups with their state',
  flags: {},
  async run(flags, io) {
    const groups = await withAdmin(flags, io, async (a) => {
      const { groups: listed } = await a.listGroups();
      // Share groups list with protocol type "share"; their state comes from ListGroups v5 (DescribeGroups does not know them).
      const share = listed.some((g) => g.protocolType === 'share') ? await withRawConnection(flags, io, shareGroupIds) : new Map<string, string>();
      const classic = listed.filter((g) => !share.has(g.groupId));
      const { groups: described } = classic.length > 0 ? await a.describeGroups(classic.map((g) => g.groupId)) : { groups: [] };
      const states = new Map(described.map((d) => [d.groupId, { state: d.state, members: d.members.length }]));
      return listed
        .map((g) =>
          share.has(g.groupId)
            ? { groupId: g.groupId, protocolType: 'share', state: share.get(g.groupId)!, members: 0 }
            : { groupId: g.groupId, protocolType: g.protocolType, state: states.get(g.groupId)?.state ?? 'Unknown', members: states.get(g.groupId)?.members ?? 0 },
        )
        .sort((x, y) => x.groupId.localeCompare(y.groupId));
    });
    if (flags.switches.has('json')) return writeOut(io.stdout, formatJson(groups));
    await writeOut(io.stdout, formatTable(['GROUP', 'STATE', 'MEMBERS', 'PROTOCOL-TYPE'], groups.map((g) => [g.groupId, g.state, g.members, g.protocolType])));
  },
};

export interface PartitionLag {
  topic: string;
  partition: number;
  /** null when the group never committed this partition. */
  committed: string | null;
  endOffset: string;
  lag: string | null;
  memberId: string | null;
  clientId: string | null;
  host: string | null;
}

export interface GroupView {
  groupId: string;
  state: string;
  protocolType: string;
  protocol: string;
  members: Array<{ memberId: string; clientId: string; host: string; assignment: Record<string, number[]> }>;
  partitions: PartitionLag[];
}

/** Only the standard consumer protocol has an assignment format we can read. */
function decodeAssignment(protocolType: string, buf: Buffer): Record<string, number[]> {
  if (protocolType !== 'consumer' || buf.length === 0) return {};
  try {
    return AssignerProtocol.MemberAssignment.decode(buf)?.assignment ?? {};
  } catch {
    return {};
  }
}

export async function describeGroup(admin: Admin, groupId: string): Promise<GroupView> {
  const { groups } = await admin.describeGroups([groupId]);
  const g = groups[0];
  if (!g || g.state === 'Dead') {
    const { groups: all } = await admin.listGroups();
    if (!all.some((x) => x.groupId === groupId)) throw new CliError(`consumer group "${groupId}" does not exist (see \`brook groups list\`)`);
  }
  const members = (g?.members ?? []).map((m) => ({
    memberId: m.memberId,
    clientId: m.clientId,
    host: m.clientHost,
    assignment: decodeAssignment(g?.protocolType ?? '', m.memberAssignment),
  }));
  const owner = new Map<string, (typeof members)[number]>();
  for (const m of members) for (const [t, ps] of Object.entries(m.assignment)) for (const p of ps) owner.set(`${t}\0${p}`, m);

  const committed = await admin.fetchOffsets({ groupId });
  const rows = new Map<string, { topic: string; partition: number; committed: bigint | null }>();
  for (const t of committed) {
    for (const p of t.partitions) {
      const off = BigInt(p.offset);
      rows.set(`${t.topic}\0${p.partition}`, { topic: t.topic, partition: p.partition, committed: off >= 0n ? off : null });
    }
  }
  for (const key of owner.keys()) {
    if (!rows.has(key)) {
      const [topic, partition] = key.split('\0') as [string, string];
      rows.set(key, { topic, partition: Number(partition), committed: null });
    }
  }
  const topics = [...new Set([...rows.values()].map((r) => r.topic))];
  const ends = new Map<string, bigint>();
  await Promise.all(
    topics.map(async (t) => {
      // a topic with a partition offline answers no offsets: its end offsets and lag show as '-'
      for (const o of await admin.fetchTopicOffsets(t).catch(() => [])) ends.set(`${t}\0${o.partition}`, BigInt(o.high));
    }),
  );
  const partitions: PartitionLag[] = [...rows.entries()]
    .map(([key, r]) => {
      const end = ends.get(key);
      const m = owner.get(key);
      const lag = r.committed === null || end === undefined ? null : end > r.committed ? end - r.committed : 0n;
      return {
        topic: r.topic,
        partition: r.partition,
        committed: r.committed === null ? null : String(r.committed),
        endOffset: end === undefined ? '-' : String(end),
        lag: lag === null ? null : String(lag),
        memberId: m?.memberId ?? null,
        clientId: m?.clientId ?? null,
        host: m?.host ?? null,
      };
    })
    .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  return { groupId, state: g?.state ?? 'Empty', protocolType: g?.protocolType ?? '', protocol: g?.protocol ?? '', members, partitions };
}

const describe: AdminCommand = {
  name: 'groups describe',
  summary: 'members, assignments, committed offsets, end offsets and lag of a group',
  flags: { group: GROUP },
  async run(flags, io) {
    const groupId = requiredValue(flags, 'group');
    const isShare = await withAdmin(flags, io, async (a) => (await a.listGroups()).groups.some((g) => g.groupId === groupId && g.protocolType === 'share'));
    const shareView = isShare ? await withRawConnection(flags, io, (c) => withAdmin(flags, io, (a) => describeShareGroup(c, a, groupId))) : null;
    if (shareView) return writeOut(io.stdout, flags.switches.has('json') ? formatJson(shareView) : formatShareGroup(shareView));
    const view = await withAdmin(flags, io, (a) => describeGroup(a, groupId));
    if (flags.switches.has('json')) return writeOut(io.stdout, formatJson(view));
    const head = `Group: ${groupId}\tState: ${view.state}\tMembers: ${view.members.length}\n\n`;
    const table = formatTable(
      ['TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID'],
      view.partitions.map((p) => [p.topic, p.partition, p.committed, p.endOffset, p.lag, p.memberId, p.host, p.clientId]),
    );
    const membersWithout = view.members.filter((m) => Object.keys(m.assignment).length === 0);
    const idle = membersWithout.length > 0 ? `\n${membersWithout.length} member(s) without partitions: ${membersWithout.map((m) => m.memberId).join(', ')}\n` : '';
    await writeOut(io.stdout, head + (view.partitions.length > 0 ? table : 'No committed offsets or assignments.\n') + idle);
  },
};

type ResetTarget = { kind: 'earliest' } | { kind: 'latest' } | { kind: 'timestamp'; ms: number } | { kind: 'offset'; offset: bigint };

function resetTarget(flags: Parameters<AdminCommand['run']>[0]): ResetTarget {
  const chosen: ResetTarget[] = [];
  if (flags.switches.has('to-earliest')) chosen.push({ kind: 'earliest' });
  if (flags.switches.has('to-latest')) chosen.push({ kind: 'latest' });
  const dt = flags.values.get('to-datetime');
  if (dt !== undefined) {
    const ms = /^\d+$/.test(dt) ? Number(dt) : Date.parse(dt);
    if (!Number.isFinite(ms)) throw usageError(`--to-datetime expects an ISO-8601 date (2024-01-31T12:00:00Z) or epoch milliseconds, got "${dt}"`);
    chosen.push({ kind: 'timestamp', ms });
  }
  const off = intValue(flags, 'to-offset', { min: 0 });
  if (off !== undefined) chosen.push({ kind: 'offset', offset: BigInt(off) });
  if (chosen.length !== 1) throw usageError('give exactly one of --to-earliest, --to-latest, --to-datetime, --to-offset');
  return chosen[0]!;
}

export interface ResetPlanRow {
  topic: string;
  partition: number;
  current: string | null;
  target: string;
}

const reset: AdminCommand = {
  name: 'groups reset-offsets',
  summary: 'move a group\'s committed offsets (dry run unless --execute)',
  details:
    'The group must have no active members when executing. Offsets past the log are clamped to the log end. On a share group this moves its start offsets (AlterShareGroupOffsets), forgetting the records in flight there.',
  flags: {
    group: GROUP,
    topic: { kind: 'value', alias: 't', help: 'topic whose offsets to reset' },
    partitions: { kind: 'value', help: 'comma-separated partitions (default: all)' },
    'to-earliest': { kind: 'switch', help: 'reset to the log start' },
    'to-latest': { kind: 'switch', help: 'reset to the log end (skip everything)' },
    'to-datetime': { kind: 'value', help: 'reset to the first offset at or after this time (ISO-8601 or epoch ms)' },
    'to-offset': { kind: 'value', help: 'reset to this offset (clamped into the log)' },
    execute: { kind: 'switch', help: 'apply the plan (without it, only print it)' },
    'dry-run': { kind: 'switch', help: 'print the plan without applying it (the default)' },
  },
  async run(flags, io) {
    const groupId = requiredValue(flags, 'group');
    const topic = requiredValue(flags, 'topic');
    const target = resetTarget(flags);
    if (flags.switches.has('execute') && flags.switches.has('dry-run')) throw usageError('--execute and --dry-run exclude each other');
    const only = flags.values.get('partitions')?.split(',').map((s) => {
      if (!/^\d+$/.test(s.trim())) throw usageError(`--partitions expects numbers like 0,1,2, got "${s}"`);
      return Number(s);
    });
    const execute = flags.switches.has('execute');
    // A share group's position is its start offsets (Describe/AlterShareGroupOffsets); committing classic offsets
    // under its id would change nothing for it and create a classic group beside it.
    const isShare = await withAdmin(flags, io, async (a) => (await a.listGroups()).groups.some((g) => g.groupId === groupId && g.protocolType === 'share'));
    const plan = await withAdmin(flags, io, async (a, conn) => {
      const topics = await a.listTopics();
      if (!topics.includes(topic)) throw new CliError(`topic "${topic}" does not exist (see \`brook topics list\`)`);
      const offsets = await a.fetchTopicOffsets(topic);
      const partitions = offsets.map((o) => o.partition).filter((p) => !only || only.includes(p)).sort((x, y) => x - y);
      for (const p of only ?? []) if (!offsets.some((o) => o.partition === p)) throw new CliError(`topic "${topic}" has no partition ${p}`);
      const starts = isShare ? await withRawConnection(flags, io, (c) => shareStartOffsets(c, groupId, topic, partitions)) : null;
      const [current] = starts ? [] : await a.fetchOffsets({ groupId, topics: [topic] });
      const byTime = target.kind === 'timestamp' ? await a.fetchTopicOffsetsByTimestamp(topic, target.ms) : [];
      const rows: ResetPlanRow[] = partitions.map((p) => {
        const o = offsets.find((x) => x.partition === p)!;
        const low = BigInt(o.low);
        const high = BigInt(o.high);
        let to: bigint;
        switch (target.kind) {
          case 'earliest':
            to = low;
            break;
          case 'latest':
            to = high;
            break;
          case 'offset':
            to = target.offset < low ? low : target.offset > high ? high : target.offset;
            break;
          case 'timestamp': {
            const found = byTime.find((x) => x.partition === p);
            // No message at or after the time: the group starts at the end, as Kafka's tool does.
            to = found && BigInt(found.offset) >= 0n ? BigInt(found.offset) : high;
            break;
          }
        }
        const cur = current?.partitions.find((x) => x.partition === p);
        const curOff = starts ? (starts.get(p) ?? -1n) : cur ? BigInt(cur.offset) : -1n;
        return { topic, partition: p, current: curOff >= 0n ? String(curOff) : null, target: String(to) };
      });
      if (execute && rows.length > 0 && isShare) await withRawConnection(flags, io, (c) => alterShareStartOffsets(c, groupId, topic, rows));
      else if (execute && rows.length > 0) {
        const { groups } = await a.describeGroups([groupId]);
        const state = groups[0]?.state ?? 'Dead';
        if (state !== 'Empty' && state !== 'Dead') {
          throw new CliError(`consumer group "${groupId}" is ${state}; offsets can only be reset while it has no running instances, so stop its consumers first`);
        }
        const client = new PartitionReader(conn.config);
        try {
          await client.commitOffsets(groupId, topic, rows.map((r) => ({ partition: r.partition, offset: r.target })));
        } finally {
          await client.close().catch(() => undefined);
        }
      }
      return rows;
    });
    if (flags.switches.has('json')) return writeOut(io.stdout, formatJson({ groupId, groupType: isShare ? 'share' : 'consumer', executed: execute, partitions: plan }));
    const heads = isShare ? ['CURRENT-START-OFFSET', 'NEW-START-OFFSET'] : ['CURRENT-OFFSET', 'NEW-OFFSET'];
    const table = formatTable(['TOPIC', 'PARTITION', ...heads], plan.map((r) => [r.topic, r.partition, r.current, r.target]));
    const done = isShare ? `Start offsets of share group ${groupId} were reset (its in-flight records there are forgotten).\n` : `Offsets of group ${groupId} were reset.\n`;
    const tail = execute ? done : 'Dry run: nothing changed. Add --execute to apply.\n';
    await writeOut(io.stdout, table + tail);
  },
};

const remove: AdminCommand = {
  name: 'groups delete',
  summary: 'delete an empty consumer or share group (with its offsets / share-partition state)',
  flags: { group: GROUP },
  async run(flags, io) {
    const groupId = requiredValue(flags, 'group');
    await withAdmin(flags, io, async (a) => {
      // kafkajs throws KafkaJSDeleteGroupsError for a refused group, with the broker's answer per group in `groups`
      const results = await a.deleteGroups([groupId]).catch((err: unknown) => {
        const refused = (err as { groups?: Array<{ groupId: string; errorCode?: number; error?: { type?: string } }> }).groups;
        if (Array.isArray(refused)) return refused;
        throw err;
      });
      const r = results.find((g) => g.groupId === groupId) ?? results[0];
      if (r && r.errorCode) throw new CliError(`cannot delete group "${groupId}": ${r.error?.type ?? r.errorCode}`);
    });
    await writeOut(io.stdout, flags.switches.has('json') ? formatJson({ groupId, deleted: true }) : `Group ${groupId} deleted.\n`);
  },
};

export const groupCommands: AdminCommand[] = [list, describe, reset, remove];
