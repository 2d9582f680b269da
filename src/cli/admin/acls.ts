import type { AclEntry, AclFilter, AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } from 'kafkajs';
import {
  AclOperation,
  AclPermission,
  CLUSTER_RESOURCE_NAME,
  namedAcl,
  type NamedAcl,
  PatternType,
  ResourceType,
  operationCode,
  patternTypeCode,
} from '../../security/acl/model';
import type { AdminCommand } from './command';
import { CliError, usageError } from './errors';
import { formatJson, formatTable, writeOut } from './io';
import type { ParsedFlags } from './options';
import { withAdmin } from './topics';

/** A resource pattern named on the command line. */
interface ResourceArg {
  resourceType: number;
  name: string;
}

/** kafkajs types its ACL fields as enums whose values are Kafka's wire codes, which ours are too. */
const asEntry = (b: { resourceType: number; resourceName: string; patternType: number; principal: string; host: string; operation: number; permission: number }): AclEntry => ({
  resourceType: b.resourceType as AclResourceTypes,
  resourceName: b.resourceName,
  resourcePatternType: b.patternType as ResourcePatternTypes,
  principal: b.principal,
  host: b.host,
  operation: b.operation as AclOperationTypes,
  permissionType: b.permission as AclPermissionTypes,
});

function resources(flags: ParsedFlags): ResourceArg[] {
  const out: ResourceArg[] = [];
  const add = (flag: string, resourceType: number) => {
    for (const name of flags.lists.get(flag) ?? []) out.push({ resourceType, name });
  };
  add('topic', ResourceType.TOPIC);
  add('group', ResourceType.GROUP);
  add('transactional-id', ResourceType.TRANSACTIONAL_ID);
  add('delegation-token', ResourceType.DELEGATION_TOKEN);
  if (flags.switches.has('cluster')) out.push({ resourceType: ResourceType.CLUSTER, name: CLUSTER_RESOURCE_NAME });
  return out;
}

function patternType(flags: ParsedFlags, dflt: number, allowFilters: boolean): number {
  const given = flags.values.get('resource-pattern-type');
  if (given === undefined) return dflt;
  const code = patternTypeCode(given);
  const ok = code === PatternType.LITERAL || code === PatternType.PREFIXED || (allowFilters && (code === PatternType.ANY || code === PatternType.MATCH));
  if (code === undefined || !ok) throw usageError(`--resource-pattern-type must be ${allowFilters ? 'literal, prefixed, any or match' : 'literal or prefixed when adding'}, got "${given}"`);
  return code;
}

function operations(flags: ParsedFlags): number[] {
  return (flags.lists.get('operation') ?? []).map((name) => {
    const code = operationCode(name);
    if (code === undefined || code === AclOperation.UNKNOWN || code === AclOperation.ANY) throw usageError(`unknown --operation "${name}" (Read, Write, Create, Delete, Alter, Describe, ClusterAction, DescribeConfigs, AlterConfigs, IdempotentWrite, All)`);
    return code;
  });
}

/** Kafka's --producer / --consumer shortcuts: the operations each resource type needs for that role. */
function roleOperations(flags: ParsedFlags, resourceType: number): number[] {
  const ops: number[] = [];
  if (flags.switches.has('producer')) {
    if (resourceType === ResourceType.TOPIC) ops.push(AclOperation.WRITE, AclOperation.DESCRIBE, AclOperation.CREATE);
    if (resourceType === ResourceType.TRANSACTIONAL_ID) ops.push(AclOperation.WRITE, AclOperation.DESCRIBE);
    if (resourceType === ResourceType.CLUSTER && flags.switches.has('idempotent')) ops.push(AclOperation.IDEMPOTENT_WRITE);
  }
  if (flags.switches.has('consumer')) {
    if (resourceType === ResourceType.TOPIC) ops.push(AclOperation.READ, AclOperation.DESCRIBE);
    if (resourceType === ResourceType.GROUP) ops.push(AclOperation.READ);
  }
  return ops;
}

/** Every ALLOW/DENY binding the flags describe: resources x principals x hosts x operations. */
function bindingsToAdd(flags: ParsedFlags): AclEntry[] {
  const res = resources(flags);
  if (flags.switches.has('producer') && flags.switches.has('idempotent') && !res.some((r) => r.resourceType === ResourceType.CLUSTER)) {
    res.push({ resourceType: ResourceType.CLUSTER, name: CLUSTER_RESOURCE_NAME });
  }
  if (res.length === 0) throw usageError('name a resource: --topic, --group, --transactional-id, --delegation-token or --cluster');
  const pattern = patternType(flags, PatternType.LITERAL, false);
  const explicit = operations(flags);
  const role = flags.switches.has('producer') || flags.switches.has('consumer');
  if (explicit.length === 0 && !role) throw usageError('give --operation (repeatable), or --producer / --consumer');
  const grants: Array<{ principal: string; permission: number; hosts: string[] }> = [];
  const allowHosts = flags.lists.get('allow-host') ?? ['*'];
  const denyHosts = flags.lists.get('deny-host') ?? ['*'];
  for (const p of flags.lists.get('allow-principal') ?? []) grants.push({ principal: p, permission: AclPermission.ALLOW, hosts: allowHosts });
  for (const p of flags.lists.get('deny-principal') ?? []) grants.push({ principal: p, permission: AclPermission.DENY, hosts: denyHosts });
  if (grants.length === 0) throw usageError('give --allow-principal or --deny-principal (e.g. User:alice)');
  const out: AclEntry[] = [];
  for (const r of res) {
    const ops = [...new Set([...explicit, ...roleOperations(flags, r.resourceType)])];
    for (const g of grants) {
      for (const host of g.hosts) {
        for (const operation of ops) {
          out.push(asEntry({ resourceType: r.resourceType, resourceName: r.name, patternType: r.resourceType === ResourceType.CLUSTER ? PatternType.LITERAL : pattern, principal: g.principal, host, operation, permission: g.permission }));
        }
      }
    }
  }
  if (out.length === 0) throw usageError('--producer/--consumer grant nothing on these resources; add --operation');
  return out;
}

/** Filters for --list / --remove: the named resources (or every resource), narrowed by principal, host and operation when given. */
function filtersFor(flags: ParsedFlags, removing: boolean): AclFilter[] {
  const res = resources(flags);
  if (removing && res.length === 0) throw usageError('--remove needs a resource (--topic, --group, --transactional-id, --delegation-token or --cluster)');
  const pattern = patternType(flags, res.length === 0 ? PatternType.ANY : PatternType.LITERAL, true);
  const targets: Array<{ resourceType: number; name: string | undefined }> = res.length > 0 ? res : [{ resourceType: ResourceType.ANY, name: undefined }];
  const principals: Array<{ principal: string | undefined; permission: number }> = [];
  for (const p of flags.lists.get('allow-principal') ?? []) principals.push({ principal: p, permission: AclPermission.ALLOW });
  for (const p of flags.lists.get('deny-principal') ?? []) principals.push({ principal: p, permission: AclPermission.DENY });
  for (const p of flags.lists.get('principal') ?? []) principals.push({ principal: p, permission: AclPermission.ANY });
  if (principals.length === 0) principals.push({ principal: undefined, permission: AclPermission.ANY });
  const ops = operations(flags);
  const opFilters = ops.length > 0 ? ops : [AclOperation.ANY];
  const hosts = [...(flags.lists.get('allow-host') ?? []), ...(flags.lists.get('deny-host') ?? [])];
  const hostFilters: Array<string | undefined> = hosts.length > 0 ? hosts : [undefined];
  const out: AclFilter[] = [];
  for (const t of targets) {
    for (const p of principals) {
      for (const host of hostFilters) {
        for (const operation of opFilters) {
          out.push({
            resourceType: t.resourceType as AclResourceTypes,
            resourceName: t.name,
            resourcePatternType: (t.resourceType === ResourceType.CLUSTER && pattern !== PatternType.ANY && pattern !== PatternType.MATCH ? PatternType.LITERAL : pattern) as ResourcePatternTypes,
            principal: p.principal,
            host,
            operation: operation as AclOperationTypes,
            permissionType: p.permission as AclPermissionTypes,
          });
        }
      }
    }
  }
  return out;
}

const row = (e: { resourceType: number; resourceName: string; resourcePatternType: number; principal: string; host: string; operation: number; permissionType: number }): NamedAcl =>
  namedAcl({ ...e, patternType: e.resourcePatternType, permission: e.permissionType });

function sortRows(rows: NamedAcl[]): NamedAcl[] {
  const key = (r: NamedAcl) => [r.resourceType, r.patternType, r.resourceName, r.principal, r.host, r.operation, r.permission].join('\u0000');
  const seen = new Map<string, NamedAcl>();
  for (const r of rows) seen.set(key(r), r);
  return [...seen.values()].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

async function printRows(flags: ParsedFlags, io: Parameters<AdminCommand['run']>[1], rows: NamedAcl[]): Promise<void> {
  if (flags.switches.has('json')) return writeOut(io.stdout, formatJson(rows));
  await writeOut(
    io.stdout,
    formatTable(
      ['RESOURCE-TYPE', 'NAME', 'PATTERN', 'PRINCIPAL', 'HOST', 'OPERATION', 'PERMISSION'],
      rows.map((r) => [r.resourceType, r.resourceName, r.patternType, r.principal, r.host, r.operation, r.permission]),
    ),
  );
}

const ACTIONS = ['add', 'remove', 'list'] as const;

const acls: AdminCommand = {
  name: 'acls',
  summary: 'add, remove or list ACLs (kafka-acls.sh style)',
  details: `Examples:
  brook acls --add --allow-principal User:alice --operation Write --topic orders
  brook acls --add --allow-principal User:alice --operation Read --topic team-a. --resource-pattern-type prefixed
  brook acls --add --allow-principal User:bob --consumer --topic orders --group billing
  brook acls --add --allow-principal User:carol --producer --transactional-id tx-1 --topic orders
  brook acls --list [--topic orders] [--principal User:alice]
  brook acls --remove --allow-principal User:alice --operation Write --topic orders

The broker must run with authorizer.class.name set; the caller needs ALTER on the
cluster to add or remove and DESCRIBE on the cluster to list (super.users have both).`,
  flags: {
    add: { kind: 'switch', help: 'add the ACLs the other flags describe' },
    remove: { kind: 'switch', help: 'remove matching ACLs' },
    list: { kind: 'switch', help: 'list ACLs (all, or those of the named resources)' },
    'allow-principal': { kind: 'list', help: 'principal to ALLOW, e.g. User:alice (User:* for everyone)' },
    'deny-principal': { kind: 'list', help: 'principal to DENY' },
    principal: { kind: 'list', help: 'with --list: only ACLs of this principal' },
    'allow-host': { kind: 'list', help: 'host (IP) the allow applies to (default *)' },
    'deny-host': { kind: 'list', help: 'host (IP) the deny applies to (default *)' },
    operation: { kind: 'list', help: 'Read, Write, Create, Delete, Alter, Describe, ClusterAction, DescribeConfigs, AlterConfigs, IdempotentWrite, All' },
    topic: { kind: 'list', help: 'topic name (or prefix, or * for all topics)' },
    group: { kind: 'list', help: 'consumer group id' },
    'transactional-id': { kind: 'list', help: 'transactional id' },
    'delegation-token': { kind: 'list', help: 'delegation token id' },
    cluster: { kind: 'switch', help: 'the cluster resource' },
    'resource-pattern-type': { kind: 'value', help: 'literal (default) or prefixed; any or match for --list/--remove' },
    producer: { kind: 'switch', help: 'with --add: what a producer needs (topic Write/Describe/Create, transactional id Write/Describe)' },
    idempotent: { kind: 'switch', help: 'with --producer: also IdempotentWrite on the cluster' },
    consumer: { kind: 'switch', help: 'with --add: what a consumer needs (topic Read/Describe, group Read)' },
    force: { kind: 'switch', help: 'accepted for kafka-acls.sh scripts; brook never asks for confirmation' },
  },
  async run(flags, io) {
    const chosen = ACTIONS.filter((a) => flags.switches.has(a));
    if (chosen.length !== 1) throw usageError('give exactly one of --add, --remove, --list');
    const action = chosen[0];
    if (action === 'add') {
      const entries = bindingsToAdd(flags);
      await withAdmin(flags, io, (a) => a.createAcls({ acl: entries }));
      return printRows(flags, io, sortRows(entries.map(row)));
    }
    const filters = filtersFor(flags, action === 'remove');
    if (action === 'remove') {
      const res = await withAdmin(flags, io, (a) => a.deleteAcls({ filters }));
      const failed = res.filterResponses.find((r) => r.errorCode !== 0);
      if (failed) throw new CliError(`the broker refused to remove ACLs: ${failed.errorMessage ?? `error ${failed.errorCode}`}`);
      return printRows(flags, io, sortRows(res.filterResponses.flatMap((r) => r.matchingAcls.map(row))));
    }
    const rows = await withAdmin(flags, io, async (a) => {
      const out: NamedAcl[] = [];
      for (const f of filters) {
        const res = await a.describeAcls(f);
        for (const r of res.resources) for (const acl of r.acls) out.push(row({ ...r, ...acl }));
      }
      return out;
    });
    return printRows(flags, io, sortRows(rows));
  },
};

export const aclCommands: AdminCommand[] = [acls];
