import { ConfigResourceTypes, type Admin } from 'kafkajs';
import { connect, type Connection } from './client';
import type { AdminCommand } from './command';
import { CliError, ExitCode, toCliError, usageError } from './errors';
import { formatJson, formatTable, writeOut, type CliIO } from './io';
import { withRawConnection } from './rawConnection';
import { alterConfigs } from './alterConfigs';
import { assignments, intValue, requiredValue, type ParsedFlags } from './options';

const TOPIC = { kind: 'value', alias: 't', help: 'topic name' } as const;

/** Opens an admin client, runs `work`, always disconnects, and maps client errors to CLI errors. */
export async function withAdmin<T>(flags: ParsedFlags, io: CliIO, work: (admin: Admin, conn: Connection) => Promise<T>): Promise<T> {
  const conn = connect(flags, io);
  const admin = conn.kafka.admin();
  try {
    await admin.connect();
    return await work(admin, conn);
  } catch (err) {
    throw toCliError(err, conn.brokers);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

async function ensureTopicExists(admin: Admin, topic: string): Promise<void> {
  const topics = await admin.listTopics();
  if (!topics.includes(topic)) throw new CliError(`topic "${topic}" does not exist (see \`brook topics list\`)`, ExitCode.FAILED);
}

const list: AdminCommand = {
  name: 'topics list',
  summary: 'list topic names',
  flags: { internal: { kind: 'switch', help: 'include internal topics such as __consumer_offsets' } },
  async run(flags, io) {
    const names = await withAdmin(flags, io, (a) => a.listTopics());
    const shown = names.filter((n) => flags.switches.has('internal') || !n.startsWith('__')).sort();
    await writeOut(io.stdout, flags.switches.has('json') ? formatJson(shown) : shown.map((n) => `${n}\n`).join(''));
  },
};

const create: AdminCommand = {
  name: 'topics create',
  summary: 'create a topic',
  flags: {
    topic: TOPIC,
    partitions: { kind: 'value', alias: 'p', help: 'partition count (default: broker num.partitions)' },
    'replication-factor': { kind: 'value', help: 'replicas per partition (default: broker default)' },
    config: { kind: 'list', help: 'topic config key=value, e.g. retention.ms=60000' },
    'if-not-exists': { kind: 'switch', help: 'succeed when the topic already exists' },
  },
  async run(flags, io) {
    const topic = requiredValue(flags, 'topic');
    const numPartitions = intValue(flags, 'partitions', { min: 1 });
    const replicationFactor = intValue(flags, 'replication-factor', { min: 1 });
    const configEntries = assignments(flags, 'config').map(([name, value]) => ({ name, value }));
    const created = await withAdmin(flags, io, async (a) => {
      const made = await a.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: numPartitions ?? -1, replicationFactor: replicationFactor ?? -1, configEntries }] });
      if (made) await leadersElected(a, topic, intValue(flags, 'timeout-ms', { min: 1 }) ?? 5000);
      return made;
    });
    if (!created && !flags.switches.has('if-not-exists')) throw new CliError(`topic "${topic}" already exists (add --if-not-exists to ignore)`);
    const result = { topic, created };
    await writeOut(io.stdout, flags.switches.has('json') ? formatJson(result) : created ? `Created topic ${topic}.\n` : `Topic ${topic} already exists.\n`);
  },
};

/**
 * kafkajs's waitForLeaders relies on Metadata failing while a partition has no leader, which the CLI's process
 * lets through (offlinePartitions.ts): wait here until every partition of the new topic has one.
 */
async function leadersElected(admin: Admin, topic: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    if ((topics[0]?.partitions ?? []).every((p) => p.leader >= 0)) return;
    if (Date.now() > deadline) throw new CliError(`topic ${topic} was created, but not every partition has a leader after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const del: AdminCommand = {
  name: 'topics delete',
  summary: 'delete a topic and all its data',
  flags: { topic: TOPIC },
  async run(flags, io) {
    const topic = requiredValue(flags, 'topic');
    await withAdmin(flags, io, async (a) => {
      await ensureTopicExists(a, topic);
      await a.deleteTopics({ topics: [topic] });
    });
    await writeOut(io.stdout, flags.switches.has('json') ? formatJson({ topic, deleted: true }) : `Deleted topic ${topic}.\n`);
  },
};

interface PartitionView {
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
  earliest: string;
  latest: string;
  messages: string;
}

interface TopicView {
  topic: string;
  partitions: PartitionView[];
  /** Non-default configs; null when the broker does not answer DescribeConfigs. */
  configs: Record<string, string> | null;
}

async function describeTopic(admin: Admin, topic: string): Promise<TopicView> {
  await ensureTopicExists(admin, topic);
  // a partition without a leader (offline) has no offsets to ask for: shown as '-'
  const [{ topics }, offsets] = await Promise.all([admin.fetchTopicMetadata({ topics: [topic] }), admin.fetchTopicOffsets(topic).catch(() => [])]);
  const meta = topics[0]!;
  const partitions = meta.partitions
    .map((p) => {
      const o = p.leader >= 0 ? offsets.find((x) => x.partition === p.partitionId) : undefined;
      if (!o) return { partition: p.partitionId, leader: p.leader, replicas: p.replicas, isr: p.isr, earliest: '-', latest: '-', messages: '-' };
      const low = BigInt(o.low);
      const high = BigInt(o.high);
      return { partition: p.partitionId, leader: p.leader, replicas: p.replicas, isr: p.isr, earliest: String(low), latest: String(high), messages: String(high - low) };
    })
    .sort((a, b) => a.partition - b.partition);
  let configs: Record<string, string> | null = null;
  try {
    const res = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }] });
    configs = {};
    for (const e of res.resources[0]?.configEntries ?? []) if (!e.isDefault && e.configValue !== null) configs[e.configName] = e.configValue;
  } catch {
    // Brokers without DescribeConfigs still get a useful partition view.
  }
  return { topic, partitions, configs };
}

const describe: AdminCommand = {
  name: 'topics describe',
  summary: 'partitions, leaders, offsets and non-default configs of a topic',
  flags: { topic: TOPIC },
  async run(flags, io) {
    const topic = requiredValue(flags, 'topic');
    const view = await withAdmin(flags, io, (a) => describeTopic(a, topic));
    if (flags.switches.has('json')) return writeOut(io.stdout, formatJson(view));
    const configs = view.configs === null ? '(unavailable)' : Object.entries(view.configs).map(([k, v]) => `${k}=${v}`).join(',') || '(defaults)';
    const head = `Topic: ${topic}\tPartitionCount: ${view.partitions.length}\tConfigs: ${configs}\n`;
    const table = formatTable(
      ['PARTITION', 'LEADER', 'REPLICAS', 'ISR', 'EARLIEST', 'LATEST', 'MESSAGES'],
      view.partitions.map((p) => [p.partition, p.leader, p.replicas.join(','), p.isr.join(','), p.earliest, p.latest, p.messages]),
    );
    await writeOut(io.stdout, head + table);
  },
};

const TOPIC_RESOURCE = 2;

const alter: AdminCommand = {
  name: 'topics alter',
  summary: 'add partitions and change topic configs',
  flags: {
    topic: TOPIC,
    partitions: { kind: 'value', alias: 'p', help: 'new total partition count (can only grow)' },
    config: { kind: 'list', help: 'set topic config key=value' },
    'delete-config': { kind: 'list', help: 'remove a topic config override' },
  },
  async run(flags, io) {
    const topic = requiredValue(flags, 'topic');
    const partitions = intValue(flags, 'partitions', { min: 1 });
    const set = assignments(flags, 'config');
    const remove = flags.lists.get('delete-config') ?? [];
    if (partitions === undefined && set.length === 0 && remove.length === 0) throw usageError('nothing to alter: give --partitions, --config or --delete-config');
    const changes: string[] = [];
    await withAdmin(flags, io, async (a) => {
      const before = await describeTopic(a, topic);
      if (partitions !== undefined) {
        if (partitions < before.partitions.length) {
          throw new CliError(`topic "${topic}" has ${before.partitions.length} partitions; partitions can only be added, not removed`);
        }
        if (partitions > before.partitions.length) {
          await a.createPartitions({ topicPartitions: [{ topic, count: partitions }] });
          changes.push(`partitions ${before.partitions.length} -> ${partitions}`);
        }
      }
    });
    if (set.length > 0 || remove.length > 0) {
      // IncrementalAlterConfigs changes only the named keys, and its answer carries the broker's reason for a
      // refusal (kafkajs keeps only the error code's generic text)
      await withRawConnection(flags, io, (c) =>
        alterConfigs(c, TOPIC_RESOURCE, topic, [...set.map(([name, value]) => ({ name, configOperation: 0 as const, value })), ...remove.map((name) => ({ name, configOperation: 1 as const, value: null }))]),
      );
      for (const [k, v] of set) changes.push(`${k}=${v}`);
      for (const k of remove) changes.push(`-${k}`);
    }
    await writeOut(io.stdout, flags.switches.has('json') ? formatJson({ topic, changes }) : `Altered topic ${topic}: ${changes.join(', ') || 'no change'}.\n`);
  },
};

export const topicCommands: AdminCommand[] = [list, create, describe, alter, del];
