import { SCHEDULED_TOPIC } from '../../internalTopics/names';
import { Header } from '../../scheduled/policy';
import { decodeScheduledRecord, Kind } from '../../scheduled/records';
import { connect, type Connection } from './client';
import type { AdminCommand } from './command';
import { CliError, isKafkaError, toCliError, usageError } from './errors';
import { formatJson, formatTable, writeOut } from './io';
import { intValue, requiredValue, type ParsedFlags } from './options';
import { PartitionReader, type FetchedMessage } from './partitionReader';

interface Pending {
  offset: number;
  due: number;
  scheduledAt: number;
  topic: string;
  partition: number;
  key: Buffer | null;
  message: FetchedMessage;
}

/**
 * The pending schedules, rebuilt the way the broker rebuilds them: `__brook_scheduled` read from its start
 * (a plain Fetch, as any client reads an internal topic) and its journal replayed.
 */
async function pendingSchedules(conn: Connection): Promise<Map<number, Pending>> {
  const admin = conn.kafka.admin();
  await admin.connect();
  let low: bigint;
  let high: bigint;
  try {
    // no `__brook_scheduled` yet: nothing was ever scheduled; any other failure is an error, not "0 pending".
    // kafkajs retries UNKNOWN_TOPIC_OR_PARTITION and throws a retry error wrapping it, hence the unwrapping.
    const offsets = await admin.fetchTopicOffsets(SCHEDULED_TOPIC).catch((err: unknown) => {
      if (isKafkaError(err, 'UNKNOWN_TOPIC_OR_PARTITION')) return null;
      throw err;
    });
    if (!offsets || offsets.length === 0) return new Map();
    low = BigInt(offsets[0]!.low);
    high = BigInt(offsets[0]!.high);
  } finally {
    await admin.disconnect();
  }
  const pending = new Map<number, Pending>();
  const reader = new PartitionReader(conn.config);
  try {
    await reader.connect(SCHEDULED_TOPIC);
    let position = low;
    while (position < high) {
      const [part] = await reader.fetch(SCHEDULED_TOPIC, new Map([[0, position]]), 100);
      // nothing at all: the rest is an open transaction's (read_committed stops at its first offset)
      if (!part || part.nextOffset === null) break;
      for (const m of part.messages) {
        const rec = decodeScheduledRecord(m.key, m.value);
        const offset = Number(m.offset);
        if (rec?.kind === Kind.SCHEDULE) pending.set(offset, { offset, ...rec.meta, message: m });
        else if (rec && (rec.kind === Kind.DELIVERED || rec.kind === Kind.CANCELLED)) for (const o of rec.offsets) pending.delete(o);
        position = m.offset + 1n;
      }
      if (part.nextOffset > position) position = part.nextOffset;
    }
  } finally {
    await reader.close();
  }
  return pending;
}

function headerText(p: Pending, name: string): string | null {
  const h = p.message.headers.filter(([k]) => k === name).pop();
  return h ? h[1].toString() : null;
}

function row(p: Pending): Record<string, unknown> {
  return {
    id: p.offset,
    due: new Date(p.due).toISOString(),
    topic: p.topic,
    partition: p.partition,
    key: p.key?.toString() ?? null,
    scheduleId: headerText(p, Header.SCHEDULE_ID),
    scheduledAt: new Date(p.scheduledAt).toISOString(),
  };
}

async function withPending<T>(flags: ParsedFlags, io: Parameters<AdminCommand['run']>[1], fn: (pending: Map<number, Pending>, conn: Connection) => Promise<T>): Promise<T> {
  const conn = connect(flags, io);
  try {
    return await fn(await pendingSchedules(conn), conn);
  } catch (err) {
    throw err instanceof CliError ? err : toCliError(err, conn.brokers);
  }
}

const list: AdminCommand = {
  name: 'scheduled list',
  summary: 'list pending scheduled records, earliest due first',
  details: 'Example: brook scheduled list -t orders --limit 20',
  flags: {
    topic: { kind: 'value', alias: 't', help: 'only those for this topic' },
    limit: { kind: 'value', help: 'at most this many rows (default 100)' },
    json: { kind: 'switch', help: 'print JSON' },
  },
  async run(flags, io) {
    const topic = flags.values.get('topic');
    const limit = intValue(flags, 'limit', { min: 1 }) ?? 100;
    await withPending(flags, io, async (pending) => {
      const rows = [...pending.values()].filter((p) => topic === undefined || p.topic === topic).sort((a, b) => a.due - b.due || a.offset - b.offset);
      const shown = rows.slice(0, limit).map(row);
      if (flags.switches.has('json')) await writeOut(io.stdout, formatJson({ pending: rows.length, records: shown }));
      else {
        await writeOut(io.stdout, formatTable(['ID', 'DUE', 'TOPIC', 'PARTITION', 'KEY', 'SCHEDULE-ID'], shown.map((r) => [r.id as number, r.due as string, r.topic as string, r.partition as number, r.key as string | null, r.scheduleId as string | null])));
        await writeOut(io.stdout, `${rows.length} pending${rows.length > shown.length ? `, ${shown.length} shown` : ''}\n`);
      }
    });
  },
};

const describeCmd: AdminCommand = {
  name: 'scheduled describe',
  summary: 'show one pending scheduled record: due time, target, key, value, headers',
  details: 'Example: brook scheduled describe --id 1234   (the ID column of `brook scheduled list`)',
  flags: { id: { kind: 'value', help: 'the schedule id (its offset in __brook_scheduled)' } },
  async run(flags, io) {
    const id = intValue(flags, 'id', { min: 0 });
    if (id === undefined) throw usageError('--id is required');
    await withPending(flags, io, async (pending) => {
      const p = pending.get(id);
      if (!p) throw new CliError(`no pending scheduled record with id ${id} (delivered, cancelled or never scheduled)`);
      await writeOut(io.stdout, formatJson({ ...row(p), value: p.message.value?.toString() ?? null, headers: Object.fromEntries(p.message.headers.map(([k, v]) => [k, v.toString()])) }));
    });
  },
};

const cancel: AdminCommand = {
  name: 'scheduled cancel',
  summary: 'cancel pending scheduled records: one by id, or by topic and key (and schedule id)',
  details: 'Examples: brook scheduled cancel --id 1234\n          brook scheduled cancel -t orders --key order-7 [--schedule-id reminder-1]',
  flags: {
    id: { kind: 'value', help: 'the schedule id from `brook scheduled list`' },
    topic: { kind: 'value', alias: 't', help: 'target topic (with --key)' },
    key: { kind: 'value', help: 'record key: cancels every pending record of that key in the topic' },
    'schedule-id': { kind: 'value', help: 'with --key: only the one sent with this brook-schedule-id' },
  },
  async run(flags, io) {
    const id = intValue(flags, 'id', { min: 0 });
    await withPending(flags, io, async (pending, conn) => {
      let topic: string;
      let key: string | null = null;
      const headers: Record<string, string> = { [Header.CANCEL]: flags.values.get('schedule-id') ?? '' };
      if (id !== undefined) {
        const p = pending.get(id);
        if (!p) throw new CliError(`no pending scheduled record with id ${id} (delivered, cancelled or never scheduled)`);
        topic = p.topic;
        headers[Header.SCHEDULED_OFFSET] = `0:${id}`;
      } else {
        topic = requiredValue(flags, 'topic');
        key = requiredValue(flags, 'key');
      }
      const producer = conn.kafka.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      try {
        await producer.send({ topic, acks: -1, messages: [{ key, value: null, headers }] });
      } catch (err) {
        if (isKafkaError(err, 'UNKNOWN_TOPIC_OR_PARTITION')) throw new CliError(`nothing cancelled: topic "${topic}" does not exist (see \`brook topics list\`)`);
        const text = err instanceof Error ? err.message : String(err);
        throw new CliError(/invalid|validation/i.test(text) ? `nothing cancelled: no pending scheduled record matched in ${topic} (${text})` : text);
      } finally {
        await producer.disconnect();
      }
      await writeOut(io.stdout, id !== undefined ? `cancelled ${id}\n` : `cancelled the pending records of key ${key} in ${topic}\n`);
    });
  },
};

export const scheduledCommands: AdminCommand[] = [list, describeCmd, cancel];
