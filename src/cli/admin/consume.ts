import type { KafkaMessage } from 'kafkajs';
import { connect } from './client';
import type { AdminCommand } from './command';
import { CliError, toCliError, usageError } from './errors';
import { ProgressLine, writeOut, type CliIO } from './io';
import { intValue, requiredValue, type ParsedFlags } from './options';
import { flattenHeaders, PartitionReader, type FetchedMessage } from './partitionReader';

type Format = 'text' | 'json';

export function formatMessage(m: FetchedMessage, format: Format, printKey: boolean): string {
  if (format === 'json') {
    return (
      JSON.stringify({
        topic: m.topic,
        partition: m.partition,
        offset: String(m.offset),
        timestamp: String(m.timestamp),
        key: m.key === null ? null : m.key.toString('utf8'),
        value: m.value === null ? null : m.value.toString('utf8'),
        headers: Object.fromEntries(m.headers.map(([k, v]) => [k, v.toString('utf8')])),
      }) + '\n'
    );
  }
  const value = m.value === null ? 'null' : m.value.toString('utf8');
  return printKey ? `${m.key === null ? 'null' : m.key.toString('utf8')}\t${value}\n` : `${value}\n`;
}

interface StopRule {
  maxMessages: number;
  idleMs: number;
}

/** Resolves after `ms` without a call to `touch()`; a never-ending consume uses Infinity. */
class IdleTimer {
  private timer: NodeJS.Timeout | undefined;
  private resolve!: () => void;
  readonly fired = new Promise<void>((r) => (this.resolve = r));
  constructor(private readonly ms: number) {
    this.touch();
  }
  touch(): void {
    if (!Number.isFinite(this.ms)) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.resolve(), this.ms);
  }
  stop(): void {
    clearTimeout(this.timer);
  }
}

async function consumeWithoutGroup(flags: ParsedFlags, io: CliIO, topic: string, rule: StopRule, print: (m: FetchedMessage) => Promise<void> | void): Promise<number> {
  const conn = connect(flags, io);
  const reader = new PartitionReader(conn.config);
  const onePartition = intValue(flags, 'partition', { min: 0 });
  const offsetFlag = flags.values.get('offset');
  if (offsetFlag !== undefined && onePartition === undefined) throw usageError('--offset needs --partition');
  if (offsetFlag !== undefined && flags.switches.has('from-beginning')) throw usageError('--offset and --from-beginning exclude each other');
  let count = 0;
  const idle = new IdleTimer(rule.idleMs);
  let stop = false;
  void idle.fired.then(() => (stop = true));
  const unhook = io.onInterrupt?.(() => (stop = true));
  const admin = conn.kafka.admin();
  try {
    const partitions = await reader.connect(topic);
    if (partitions.length === 0) throw new CliError(`topic "${topic}" does not exist (see \`brook topics list\`)`);
    if (onePartition !== undefined && !partitions.includes(onePartition)) throw new CliError(`topic "${topic}" has no partition ${onePartition}`);
    await admin.connect();
    const ends = await admin.fetchTopicOffsets(topic);
    const positions = new Map<number, bigint>();
    for (const p of onePartition !== undefined ? [onePartition] : partitions) {
      const o = ends.find((x) => x.partition === p)!;
      let at: bigint;
      if (offsetFlag === undefined) at = flags.switches.has('from-beginning') ? BigInt(o.low) : BigInt(o.high);
      else if (offsetFlag === 'earliest') at = BigInt(o.low);
      else if (offsetFlag === 'latest') at = BigInt(o.high);
      else if (/^\d+$/.test(offsetFlag)) at = BigInt(offsetFlag);
      else throw usageError(`--offset expects a number, earliest or latest, got "${offsetFlag}"`);
      positions.set(p, at);
    }
    await admin.disconnect();
    while (!stop && count < rule.maxMessages) {
      const got = await reader.fetch(topic, positions, 500);
      for (const part of got) {
        for (const m of part.messages) {
          if (count >= rule.maxMessages) break;
          await print(m);
          count++;
          positions.set(part.partition, m.offset + 1n);
          idle.touch();
        }
        // past transaction markers that ended the answer (nothing printable in them)
        if (count < rule.maxMessages && part.nextOffset !== null && part.nextOffset > (positions.get(part.partition) ?? 0n)) positions.set(part.partition, part.nextOffset);
      }
    }
  } catch (err) {
    throw toCliError(err, conn.brokers);
  } finally {
    unhook?.();
    idle.stop();
    await admin.disconnect().catch(() => undefined);
    await reader.close().catch(() => undefined);
  }
  return count;
}

function toFetched(topic: string, partition: number, m: KafkaMessage): FetchedMessage {
  return {
    topic,
    partition,
    offset: BigInt(m.offset),
    timestamp: BigInt(m.timestamp),
    key: m.key,
    value: m.value,
    headers: flattenHeaders(m.headers),
  };
}

async function consumeWithGroup(flags: ParsedFlags, io: CliIO, topic: string, groupId: string, rule: StopRule, print: (m: FetchedMessage) => Promise<void> | void): Promise<number> {
  if (flags.values.has('offset') || flags.values.has('partition')) throw usageError('--group consumes what the group is assigned; it cannot be combined with --partition/--offset');
  const conn = connect(flags, io);
  const consumer = conn.kafka.consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 500 });
  let count = 0;
  const idle = new IdleTimer(rule.idleMs);
  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));
  void idle.fired.then(() => finish());
  const unhook = io.onInterrupt?.(() => finish());
  // Offsets of printed messages only, committed once at the end, so a stop never skips unprinted messages.
  const next = new Map<number, string>();
  let crashed: unknown = null;
  consumer.on(consumer.events.CRASH, (e) => {
    crashed = e.payload.error;
    finish();
  });
  try {
    await consumer.connect();
    const admin = conn.kafka.admin();
    await admin.connect();
    const topics = await admin.listTopics();
    await admin.disconnect();
    if (!topics.includes(topic)) throw new CliError(`topic "${topic}" does not exist (see \`brook topics list\`)`);
    await consumer.subscribe({ topic, fromBeginning: flags.switches.has('from-beginning') });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        if (count >= rule.maxMessages) return;
        await print(toFetched(topic, partition, message));
        count++;
        next.set(partition, String(BigInt(message.offset) + 1n));
        idle.touch();
        if (count >= rule.maxMessages) finish();
      },
    });
    await finished;
    if (crashed) throw crashed;
    if (next.size > 0) await consumer.commitOffsets([...next].map(([partition, offset]) => ({ topic, partition, offset })));
  } catch (err) {
    throw toCliError(err, conn.brokers);
  } finally {
    unhook?.();
    idle.stop();
    await consumer.disconnect().catch(() => undefined);
  }
  return count;
}

const consume: AdminCommand = {
  name: 'consume',
  summary: 'print messages of a topic',
  details:
    'Without --group, reads partitions directly (nothing is committed); default start is the log end.\n' +
    'Example: brook consume -t events --from-beginning --max-messages 10 --format json',
  flags: {
    topic: { kind: 'value', alias: 't', help: 'topic to read' },
    group: { kind: 'value', alias: 'g', help: 'consume as this consumer group and commit what was printed' },
    'from-beginning': { kind: 'switch', help: 'start at the log start (for a group: only where it has no committed offset)' },
    partition: { kind: 'value', help: 'read only this partition' },
    offset: { kind: 'value', help: 'start offset in --partition: a number, earliest or latest' },
    'max-messages': { kind: 'value', help: 'exit after this many messages' },
    'idle-timeout-ms': { kind: 'value', help: 'exit when no message arrived for this long' },
    format: { kind: 'value', help: 'text (value per line, default) or json (one object per line)' },
    'print-key': { kind: 'switch', help: 'text format: print key<TAB>value' },
    progress: { kind: 'switch', help: 'show a "consumed N messages" line on stderr (useful when stdout goes to a file)' },
  },
  async run(flags, io) {
    const topic = requiredValue(flags, 'topic');
    const format = (flags.values.get('format') ?? (flags.switches.has('json') ? 'json' : 'text')) as Format;
    if (format !== 'text' && format !== 'json') throw usageError(`--format must be text or json, got "${String(format)}"`);
    const rule: StopRule = {
      maxMessages: intValue(flags, 'max-messages', { min: 1 }) ?? Infinity,
      idleMs: intValue(flags, 'idle-timeout-ms', { min: 1 }) ?? Infinity,
    };
    const printKey = flags.switches.has('print-key');
    const progress = new ProgressLine(io, flags.switches.has('progress'));
    let printed = 0;
    const print = (m: FetchedMessage) => {
      printed++;
      progress.update(() => `consumed ${printed} messages from ${topic}`);
      return writeOut(io.stdout, formatMessage(m, format, printKey));
    };
    const group = flags.values.get('group');
    let count: number;
    try {
      count = group === undefined ? await consumeWithoutGroup(flags, io, topic, rule, print) : await consumeWithGroup(flags, io, topic, group, rule, print);
    } finally {
      progress.done();
    }
    if (format === 'text') io.stderr.write(`Processed ${count} message${count === 1 ? '' : 's'}.\n`);
  },
};

export const consumeCommands: AdminCommand[] = [consume];
