import type { AdminCommand } from './command';
import { CliError, ExitCode, usageError } from './errors';
import { formatJson, formatTable, writeOut, type CliIO } from './io';
import { intValue, requiredValue, type FlagSpecs, type ParsedFlags } from './options';

/**
 * `brook messages find|trace`: no Kafka API finds a record by key or traces
 * it, so these ask the broker's HTTP port (the console API, `--console`),
 * authenticating with HTTP Basic as a broker SCRAM user when logins are on.
 */
const HTTP_FLAGS: FlagSpecs = {
  http: { kind: 'value', help: 'URL of the broker HTTP port started with --console (env BROOK_HTTP_URL, default http://127.0.0.1:8080)' },
  user: { kind: 'value', help: 'broker user for HTTP Basic (env BROOK_HTTP_USER)' },
  password: { kind: 'value', help: 'its password (env BROOK_HTTP_PASSWORD)' },
  topic: { kind: 'value', help: 'topic to look in (required)' },
  partition: { kind: 'value', help: 'only this partition' },
  key: { kind: 'value', help: 'records whose key is exactly this (UTF-8); uses the key index when the topic has brook.index.keys=true' },
};

/** Instead of CONNECTION_FLAGS: no Kafka connection is made, so no --bootstrap-server, --command-config or --client-id. */
const COMMON_FLAGS: FlagSpecs = {
  'timeout-ms': { kind: 'value', help: 'give up on the HTTP request after this long (default 30000)' },
  json: { kind: 'switch', help: 'machine-readable JSON on stdout' },
  help: { kind: 'switch', alias: 'h', help: 'show help for this command' },
};

const PREVIEW = 60;
const DEFAULT_TIMEOUT_MS = 30_000;

async function getJson(flags: ParsedFlags, path: string, params: Record<string, string | undefined>): Promise<unknown> {
  const base = (flags.values.get('http') ?? process.env.BROOK_HTTP_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
  const url = new URL(base + path);
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') url.searchParams.set(k, v);
  const headers: Record<string, string> = { accept: 'application/json' };
  const user = flags.values.get('user') ?? process.env.BROOK_HTTP_USER;
  if (user) headers.authorization = `Basic ${Buffer.from(`${user}:${flags.values.get('password') ?? process.env.BROOK_HTTP_PASSWORD ?? ''}`).toString('base64')}`;
  let res: Response;
  try {
    res = await fetch(url, { headers, signal: AbortSignal.timeout(intValue(flags, 'timeout-ms', { min: 1 }) ?? DEFAULT_TIMEOUT_MS) });
  } catch (err) {
    throw new CliError(`cannot reach ${base}: ${(err as Error).message} (is the broker started with --console and --metrics-port?)`, ExitCode.UNREACHABLE);
  }
  const body = (await res.json().catch(() => null)) as { message?: string } | null;
  if (!res.ok) throw new CliError(`${res.status}: ${body?.message ?? res.statusText}`);
  return body;
}

function preview(v: string | null): string {
  if (v === null) return 'null';
  const one = v.replace(/\s+/g, ' ');
  return one.length > PREVIEW ? `${one.slice(0, PREVIEW)}…` : one;
}

function headersText(h: Record<string, string | null>): string {
  const parts = Object.entries(h).map(([k, v]) => `${k}=${v ?? 'null'}`);
  return parts.length === 0 ? '-' : parts.join(',');
}

interface FoundRow {
  partition: number;
  offset: string;
  timestamp: string;
  key: string | null;
  value: string | null;
  headers: Record<string, string | null>;
  aborted?: boolean;
}

const find: AdminCommand = {
  name: 'messages find',
  summary: 'find records by key, offset or time range (partition, offset, time, key, headers, value preview)',
  details: 'Examples:\n  brook messages find --http http://127.0.0.1:8080 --topic orders --key order-123\n  brook messages find --topic orders --partition 0 --offset 42 --limit 1\n  brook messages find --topic orders --from 2026-12-04T10:00:00Z --to 2026-12-04T10:05:00Z',
  commonFlags: COMMON_FLAGS,
  flags: {
    ...HTTP_FLAGS,
    offset: { kind: 'value', help: 'records from this offset on (per partition)' },
    from: { kind: 'value', help: 'records at or after this time (ISO-8601 or epoch ms)' },
    to: { kind: 'value', help: 'records at or before this time' },
    limit: { kind: 'value', help: 'at most this many records (default 50, max 500)' },
  },
  async run(flags: ParsedFlags, io: CliIO): Promise<void> {
    const topic = requiredValue(flags, 'topic');
    const key = flags.values.get('key');
    const offset = flags.values.get('offset');
    const from = flags.values.get('from');
    if (key === undefined && offset === undefined && from === undefined && flags.values.get('to') === undefined) throw usageError('give --key, --offset or --from/--to');
    const res = (await getJson(flags, `/api/topics/${encodeURIComponent(topic)}/search`, {
      key,
      offset,
      from,
      to: flags.values.get('to'),
      partition: flags.values.get('partition'),
      limit: flags.values.get('limit') ?? '50',
    })) as { messages: FoundRow[]; scanned: number; truncated: boolean; keyIndex?: { partitionsProbed: number; batchesRead: number } };
    if (flags.switches.has('json')) return void (await writeOut(io.stdout, formatJson(res)));
    const rows = res.messages.map((m) => [m.partition, m.offset, new Date(Number(m.timestamp)).toISOString(), m.key, headersText(m.headers), `${m.aborted ? '(aborted) ' : ''}${preview(m.value)}`]);
    await writeOut(io.stdout, formatTable(['PARTITION', 'OFFSET', 'TIME', 'KEY', 'HEADERS', 'VALUE'], rows));
    const how = res.keyIndex ? `key index: ${res.keyIndex.partitionsProbed} partition(s) probed, ${res.keyIndex.batchesRead} batch(es) read` : `scanned ${res.scanned} record(s)`;
    await writeOut(io.stderr, `${res.messages.length} record(s); ${how}${res.truncated ? '; more matched or the scan stopped at its limit' : ''}\n`);
  },
};

interface TraceAnswer {
  traces: Array<{
    topic: string;
    partition: number;
    offset: number;
    key: string | null;
    traceEnabled: boolean;
    groups: Array<{ group: string; committedOffset: number | null; commitTimestamp: number | null; consumedPast: boolean; view?: string }>;
    timeline: Array<{ at: number | null; kind: string; detail: string }>;
  }>;
}

const trace: AdminCommand = {
  name: 'messages trace',
  summary: 'the timeline of one record: appended by which producer, retried, dead-lettered, which groups consumed past it',
  details: 'Examples:\n  brook messages trace --topic orders --partition 0 --offset 42\n  brook messages trace --topic orders --key order-123\nProducer identities are recorded only for topics with brook.trace.enable=true.',
  commonFlags: COMMON_FLAGS,
  flags: { ...HTTP_FLAGS, offset: { kind: 'value', help: 'offset of the record (with --partition, default 0)' } },
  async run(flags: ParsedFlags, io: CliIO): Promise<void> {
    const topic = requiredValue(flags, 'topic');
    const key = flags.values.get('key');
    const offset = flags.values.get('offset');
    if ((key === undefined) === (offset === undefined)) throw usageError('give either --key or --offset (with --partition)');
    const res = (await getJson(flags, `/api/topics/${encodeURIComponent(topic)}/trace`, { key, offset, partition: flags.values.get('partition') })) as TraceAnswer;
    if (flags.switches.has('json')) return void (await writeOut(io.stdout, formatJson(res)));
    if (res.traces.length === 0) throw new CliError('no record found');
    const out: string[] = [];
    for (const t of res.traces) {
      out.push(`${t.topic}-${t.partition}@${t.offset} key=${t.key ?? 'null'}${t.traceEnabled ? '' : '  (brook.trace.enable is off: producer not recorded)'}`);
      for (const e of t.timeline) out.push(`  ${e.at === null ? '(time unknown)'.padEnd(24) : new Date(e.at).toISOString().padEnd(24)}  ${e.kind.padEnd(15)} ${e.detail}`);
      for (const g of t.groups.filter((x) => !x.consumedPast)) out.push(`  ${'-'.padEnd(24)}  ${'not-consumed'.padEnd(15)} group ${g.group} committed offset ${g.committedOffset ?? 'none'}${g.view ? ` on view ${g.view}` : ''} (not past this record)`);
      out.push('');
    }
    await writeOut(io.stdout, out.join('\n'));
  },
};

export const messageCommands: AdminCommand[] = [find, trace];
