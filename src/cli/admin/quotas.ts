import { ErrorCode, errorName } from '../../../protocol/errors';
import { ApiKey } from '../../../protocol/generated/apis';
import type { AlterClientQuotasResponse } from '../../../protocol/generated/messages/AlterClientQuotasResponse';
import type { DescribeClientQuotasResponse } from '../../../protocol/generated/messages/DescribeClientQuotasResponse';
import type { AdminCommand } from './command';
import { CliError, usageError } from './errors';
import { formatJson, formatTable, writeOut, type CliIO } from './io';
import type { ParsedFlags } from './options';
import { withRawConnection } from './rawConnection';

type Pair = { entityType: string; entityName: string | null };

/** kafka-configs.sh names entity types in the plural; the protocol uses these. */
const ENTITY_TYPES: Record<string, string> = { users: 'user', clients: 'client-id', ips: 'ip' };
const SHORTCUTS: Array<[flag: string, entityType: string]> = [
  ['user', 'user'],
  ['client', 'client-id'],
  ['ip', 'ip'],
];

/**
 * The entity named on the command line, kafka-configs.sh style: `--entity-type users
 * --entity-name alice` (names fill the types in order; with `--entity-default` the type
 * left without a name is the `<default>` one), or the shortcuts `--user alice`,
 * `--client-defaults`, `--ip 10.0.0.1`. Types without a name (describe only) get null
 * with `named: false`.
 */
function entityArgs(flags: ParsedFlags): Array<Pair & { named: boolean }> {
  const out: Array<Pair & { named: boolean }> = [];
  const types = (flags.lists.get('entity-type') ?? []).map((t) => {
    const type = ENTITY_TYPES[t];
    if (!type) throw usageError(`--entity-type must be users, clients or ips, got "${t}"`);
    return type;
  });
  const names = flags.lists.get('entity-name') ?? [];
  const withDefault = flags.switches.has('entity-default');
  if (names.length > types.length) throw usageError('more --entity-name than --entity-type');
  if (withDefault && names.length !== types.length - 1) throw usageError('--entity-default names the one --entity-type left without an --entity-name');
  types.forEach((entityType, i) => {
    if (i < names.length) out.push({ entityType, entityName: names[i]!, named: true });
    else out.push({ entityType, entityName: null, named: withDefault });
  });
  for (const [flag, entityType] of SHORTCUTS) {
    const name = flags.values.get(flag);
    if (name !== undefined) out.push({ entityType, entityName: name, named: true });
    if (flags.switches.has(`${flag}-defaults`)) out.push({ entityType, entityName: null, named: true });
  }
  const seen = new Set<string>();
  for (const p of out) {
    if (seen.has(p.entityType)) throw usageError(`entity type ${p.entityType} given twice`);
    seen.add(p.entityType);
  }
  return out;
}

function parseAdd(values: readonly string[]): Array<{ key: string; value: number }> {
  return values.flatMap((v) =>
    v.split(',').map((kv) => {
      const eq = kv.indexOf('=');
      const key = kv.slice(0, eq).trim();
      const value = Number(kv.slice(eq + 1).trim());
      if (eq <= 0 || kv.slice(eq + 1).trim() === '' || !Number.isFinite(value)) throw usageError(`--add expects key=number[,key=number], got "${kv}"`);
      return { key, value };
    }),
  );
}

const parseDelete = (values: readonly string[]): string[] => values.flatMap((v) => v.split(',').map((k) => k.trim())).filter((k) => k.length > 0);

const describeEntity = (entity: readonly Pair[]): string => entity.map((p) => `${p.entityType}=${p.entityName ?? '<default>'}`).join(' ');

async function alter(flags: ParsedFlags, io: CliIO): Promise<void> {
  const entity = entityArgs(flags);
  if (entity.length === 0) throw usageError('--alter needs an entity: --entity-type/--entity-name, --entity-default, --user, --client, --ip or --*-defaults');
  if (entity.some((p) => !p.named)) throw usageError('--alter needs a name (or --entity-default) for every --entity-type');
  const add = parseAdd(flags.lists.get('add-config') ?? []);
  const remove = parseDelete(flags.lists.get('delete-config') ?? []);
  if (add.length + remove.length === 0) throw usageError('--alter needs --add key=value or --delete key');
  const pairs = entity.map(({ entityType, entityName }) => ({ entityType, entityName }));
  const ops = [...add.map((a) => ({ ...a, remove: false })), ...remove.map((key) => ({ key, value: 0, remove: true }))];
  const res = await withRawConnection(flags, io, (c) =>
    c.request<AlterClientQuotasResponse>(ApiKey.AlterClientQuotas, { entries: [{ entity: pairs, ops }], validateOnly: flags.switches.has('dry-run') }),
  );
  const e = res.entries[0];
  if (!e || e.errorCode !== ErrorCode.NONE) throw new CliError(`cannot alter quotas of ${describeEntity(pairs)}: ${errorName(e?.errorCode ?? -1)}${e?.errorMessage ? `: ${e.errorMessage}` : ''}`);
  const verb = flags.switches.has('dry-run') ? 'Would alter' : 'Altered';
  if (flags.switches.has('json')) return writeOut(io.stdout, formatJson({ entity: pairs, ops, validateOnly: flags.switches.has('dry-run') }));
  await writeOut(io.stdout, `${verb} quotas of ${describeEntity(pairs)}\n`);
}

async function describe(flags: ParsedFlags, io: CliIO): Promise<void> {
  const entity = entityArgs(flags);
  // As kafka-configs.sh: a type without a name lists the named entities of that type; the rest must match exactly.
  const components = entity.map((p) => (p.named ? (p.entityName === null ? { entityType: p.entityType, matchType: 1, match: null } : { entityType: p.entityType, matchType: 0, match: p.entityName }) : { entityType: p.entityType, matchType: 2, match: null }));
  const res = await withRawConnection(flags, io, (c) => c.request<DescribeClientQuotasResponse>(ApiKey.DescribeClientQuotas, { components, strict: components.length > 0 }));
  if (res.errorCode !== ErrorCode.NONE) throw new CliError(`cannot describe quotas: ${errorName(res.errorCode)}${res.errorMessage ? `: ${res.errorMessage}` : ''}`);
  const rows = (res.entries ?? [])
    .map((e) => ({
      entity: e.entity.map((p) => ({ entityType: p.entityType, entityName: p.entityName })),
      quotas: Object.fromEntries(e.values.map((v) => [v.key, v.value])),
    }))
    .sort((a, b) => describeEntity(a.entity).localeCompare(describeEntity(b.entity)));
  if (flags.switches.has('json')) return writeOut(io.stdout, formatJson(rows));
  await writeOut(
    io.stdout,
    formatTable(
      ['ENTITY', 'QUOTAS'],
      rows.map((r) => [describeEntity(r.entity), Object.entries(r.quotas).map(([k, v]) => `${k}=${v}`).join(',')]),
    ),
  );
}

export const quotaCommands: AdminCommand[] = [
  {
    name: 'quotas',
    summary: 'describe or alter client quotas (like kafka-configs.sh for users/clients/ips)',
    flags: {
      describe: { kind: 'switch', help: 'list quotas (all, or of the entity given)' },
      alter: { kind: 'switch', help: 'change quotas of the entity given' },
      'entity-type': { kind: 'list', help: 'users, clients or ips' },
      'entity-name': { kind: 'list', help: 'name for the --entity-type at the same position' },
      'entity-default': { kind: 'switch', help: 'the last --entity-type is its <default> entity' },
      user: { kind: 'value', help: 'shortcut for --entity-type users --entity-name USER' },
      'user-defaults': { kind: 'switch', help: 'the <default> user' },
      client: { kind: 'value', help: 'shortcut for --entity-type clients --entity-name CLIENT' },
      'client-defaults': { kind: 'switch', help: 'the <default> client id' },
      ip: { kind: 'value', help: 'shortcut for --entity-type ips --entity-name IP' },
      'ip-defaults': { kind: 'switch', help: 'the <default> ip' },
      'add-config': { kind: 'list', alias: 'add', help: 'key=value[,key=value]: producer_byte_rate, consumer_byte_rate, request_percentage, controller_mutation_rate; connection_creation_rate for ips' },
      'delete-config': { kind: 'list', alias: 'delete', help: 'key[,key] to remove' },
      'dry-run': { kind: 'switch', help: 'validate the change without applying it' },
    },
    details: `Examples:
  brook quotas --alter --entity-type users --entity-name alice --add producer_byte_rate=1048576
  brook quotas --alter --entity-type users --entity-name alice --entity-type clients --entity-default --add consumer_byte_rate=2097152
  brook quotas --alter --client-defaults --delete producer_byte_rate
  brook quotas --describe --entity-type users`,
    async run(flags, io) {
      const doAlter = flags.switches.has('alter');
      if (doAlter === flags.switches.has('describe')) throw usageError('give exactly one of --describe and --alter');
      await (doAlter ? alter(flags, io) : describe(flags, io));
    },
  },
];
