/**
 * Kafka's ACL model with its wire codes (org.apache.kafka.common.acl / resource):
 * a binding says that a principal from a host may (ALLOW) or may not (DENY)
 * perform an operation on the resources a pattern names.
 */

export const ResourceType = {
  UNKNOWN: 0,
  ANY: 1,
  TOPIC: 2,
  GROUP: 3,
  CLUSTER: 4,
  TRANSACTIONAL_ID: 5,
  DELEGATION_TOKEN: 6,
  USER: 7,
} as const;

export const PatternType = {
  UNKNOWN: 0,
  ANY: 1,
  MATCH: 2,
  LITERAL: 3,
  PREFIXED: 4,
} as const;

export const AclOperation = {
  UNKNOWN: 0,
  ANY: 1,
  ALL: 2,
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DELETE: 6,
  ALTER: 7,
  DESCRIBE: 8,
  CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10,
  ALTER_CONFIGS: 11,
  IDEMPOTENT_WRITE: 12,
  CREATE_TOKENS: 13,
  DESCRIBE_TOKENS: 14,
} as const;

export const AclPermission = {
  UNKNOWN: 0,
  ANY: 1,
  DENY: 2,
  ALLOW: 3,
} as const;

/** The only name the CLUSTER resource has in Kafka. */
export const CLUSTER_RESOURCE_NAME = 'kafka-cluster';
/** A literal resource name or host that matches every resource or host. */
export const WILDCARD = '*';
/** The principal that matches every principal. */
export const WILDCARD_PRINCIPAL = 'User:*';

/** One stored ACL. Codes are Kafka's wire codes. */
export interface AclBinding {
  resourceType: number;
  resourceName: string;
  /** LITERAL or PREFIXED. */
  patternType: number;
  principal: string;
  host: string;
  operation: number;
  /** ALLOW or DENY. */
  permission: number;
}

/** What DescribeAcls and DeleteAcls select by; null means "any". */
export interface AclBindingFilter {
  resourceType: number;
  resourceName: string | null;
  patternType: number;
  principal: string | null;
  host: string | null;
  operation: number;
  permission: number;
}

function reverse(table: Record<string, number>): Map<number, string> {
  return new Map(Object.entries(table).map(([k, v]) => [v, k]));
}

const RESOURCE_NAMES = reverse(ResourceType);
const PATTERN_NAMES = reverse(PatternType);
const OPERATION_NAMES = reverse(AclOperation);
const PERMISSION_NAMES = reverse(AclPermission);

export const resourceTypeName = (code: number): string => RESOURCE_NAMES.get(code) ?? `UNKNOWN(${code})`;
export const patternTypeName = (code: number): string => PATTERN_NAMES.get(code) ?? `UNKNOWN(${code})`;
export const operationName = (code: number): string => OPERATION_NAMES.get(code) ?? `UNKNOWN(${code})`;
export const permissionName = (code: number): string => PERMISSION_NAMES.get(code) ?? `UNKNOWN(${code})`;

/** A binding with names instead of codes: how the ACL file stores it and how `brook acls` shows it, readable by people. */
export interface NamedAcl {
  resourceType: string;
  resourceName: string;
  patternType: string;
  principal: string;
  host: string;
  operation: string;
  permission: string;
}

export const namedAcl = (b: AclBinding): NamedAcl => ({
  resourceType: resourceTypeName(b.resourceType),
  resourceName: b.resourceName,
  patternType: patternTypeName(b.patternType),
  principal: b.principal,
  host: b.host,
  operation: operationName(b.operation),
  permission: permissionName(b.permission),
});

/** Parses a name as Kafka's tools write it (`Write`, `WRITE`, `describe-configs`, `DescribeConfigs`); undefined if unknown. */
function codeOf(table: Record<string, number>, name: string): number | undefined {
  const key = name.replace(/[-_\s]/g, '').toUpperCase();
  for (const [k, v] of Object.entries(table)) if (k.replace(/_/g, '') === key) return v;
  return undefined;
}

export const resourceTypeCode = (name: string): number | undefined => codeOf(ResourceType, name);
export const patternTypeCode = (name: string): number | undefined => codeOf(PatternType, name);
export const operationCode = (name: string): number | undefined => codeOf(AclOperation, name);
export const permissionCode = (name: string): number | undefined => codeOf(AclPermission, name);

/**
 * Operations whose ALLOW grants `op` too: READ, WRITE, DELETE and ALTER imply
 * DESCRIBE; ALTER_CONFIGS implies DESCRIBE_CONFIGS; ALL implies everything.
 * DENY never spreads this way: a DENY only blocks its own operation (or ALL).
 */
export function allowingOperations(op: number): readonly number[] {
  switch (op) {
    case AclOperation.DESCRIBE:
      return DESCRIBE_GRANTORS;
    case AclOperation.DESCRIBE_CONFIGS:
      return DESCRIBE_CONFIGS_GRANTORS;
    default:
      return SINGLE_GRANTORS[op] ?? [op, AclOperation.ALL];
  }
}

const DESCRIBE_GRANTORS = [AclOperation.DESCRIBE, AclOperation.READ, AclOperation.WRITE, AclOperation.DELETE, AclOperation.ALTER, AclOperation.ALL];
const DESCRIBE_CONFIGS_GRANTORS = [AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS, AclOperation.ALL];
const SINGLE_GRANTORS: number[][] = [];
for (let op = 0; op <= AclOperation.DESCRIBE_TOKENS; op++) SINGLE_GRANTORS[op] = [op, AclOperation.ALL];

/** Why a binding may not be stored (Kafka answers INVALID_REQUEST with this), or null when it is valid. */
export function bindingProblem(b: AclBinding): string | null {
  if (b.resourceType < ResourceType.TOPIC || b.resourceType > ResourceType.USER) return `invalid resource type ${b.resourceType}`;
  if (b.patternType !== PatternType.LITERAL && b.patternType !== PatternType.PREFIXED) return `invalid pattern type ${b.patternType}: only LITERAL and PREFIXED can be stored`;
  if (b.operation < AclOperation.ALL || b.operation > AclOperation.DESCRIBE_TOKENS) return `invalid operation ${b.operation}`;
  if (b.permission !== AclPermission.ALLOW && b.permission !== AclPermission.DENY) return `invalid permission type ${b.permission}`;
  if (b.resourceName === '') return 'resource name must not be empty';
  if (b.resourceType === ResourceType.CLUSTER && b.resourceName !== CLUSTER_RESOURCE_NAME) return `the only valid name for the CLUSTER resource is ${CLUSTER_RESOURCE_NAME}`;
  if (!/^[^:]+:.+$/.test(b.principal)) return `principal ${JSON.stringify(b.principal)} is not of the form Type:name`;
  if (b.host === '') return 'host must not be empty (use * for any host)';
  return null;
}

/** Why a filter cannot be used (INVALID_REQUEST), or null. */
export function filterProblem(f: AclBindingFilter): string | null {
  if (f.resourceType < ResourceType.ANY || f.resourceType > ResourceType.USER) return `invalid resource type filter ${f.resourceType}`;
  if (f.patternType < PatternType.ANY || f.patternType > PatternType.PREFIXED) return `invalid pattern type filter ${f.patternType}`;
  if (f.operation < AclOperation.ANY || f.operation > AclOperation.DESCRIBE_TOKENS) return `invalid operation filter ${f.operation}`;
  if (f.permission < AclPermission.ANY || f.permission > AclPermission.ALLOW) return `invalid permission type filter ${f.permission}`;
  return null;
}

/** Whether a filter selects a stored binding, with Kafka's ANY/MATCH pattern semantics. */
export function filterMatches(f: AclBindingFilter, b: AclBinding): boolean {
  if (f.resourceType !== ResourceType.ANY && f.resourceType !== b.resourceType) return false;
  if (f.operation !== AclOperation.ANY && f.operation !== b.operation) return false;
  if (f.permission !== AclPermission.ANY && f.permission !== b.permission) return false;
  if (f.principal !== null && f.principal !== b.principal) return false;
  if (f.host !== null && f.host !== b.host) return false;
  switch (f.patternType) {
    case PatternType.ANY:
      return f.resourceName === null || f.resourceName === b.resourceName;
    case PatternType.MATCH:
      // Every stored pattern that would apply to a resource of this name.
      if (f.resourceName === null) return true;
      if (b.patternType === PatternType.LITERAL) return b.resourceName === f.resourceName || b.resourceName === WILDCARD;
      return b.patternType === PatternType.PREFIXED && f.resourceName.startsWith(b.resourceName);
    default:
      return f.patternType === b.patternType && (f.resourceName === null || f.resourceName === b.resourceName);
  }
}

export function sameBinding(a: AclBinding, b: AclBinding): boolean {
  return (
    a.resourceType === b.resourceType &&
    a.resourceName === b.resourceName &&
    a.patternType === b.patternType &&
    a.principal === b.principal &&
    a.host === b.host &&
    a.operation === b.operation &&
    a.permission === b.permission
  );
}

export function bindingKey(b: AclBinding): string {
  return JSON.stringify([b.resourceType, b.patternType, b.resourceName, b.principal, b.host, b.operation, b.permission]);
}
