import { isIP } from 'node:net';

/**
 * Kafka's client quota entities (KIP-55, KIP-546): a user, a client id, the
 * (user, client id) pair, or an IP address. A null name is the `<default>`
 * entity of that type, an absent type is "not part of this entity".
 */
export const USER = 'user';
export const CLIENT_ID = 'client-id';
export const IP = 'ip';
export type EntityType = typeof USER | typeof CLIENT_ID | typeof IP;
export const ENTITY_TYPES: readonly EntityType[] = [USER, CLIENT_ID, IP];

export interface QuotaEntity {
  user?: string | null;
  clientId?: string | null;
  ip?: string | null;
}

export const PRODUCER_BYTE_RATE = 'producer_byte_rate';
export const CONSUMER_BYTE_RATE = 'consumer_byte_rate';
export const REQUEST_PERCENTAGE = 'request_percentage';
export const CONTROLLER_MUTATION_RATE = 'controller_mutation_rate';
export const CONNECTION_CREATION_RATE = 'connection_creation_rate';

/** How Kafka types each key: longs and ints must be whole numbers. */
type KeyKind = 'long' | 'int' | 'double';
const CLIENT_KEYS: ReadonlyMap<string, KeyKind> = new Map([
  [PRODUCER_BYTE_RATE, 'long'],
  [CONSUMER_BYTE_RATE, 'long'],
  [REQUEST_PERCENTAGE, 'double'],
  [CONTROLLER_MUTATION_RATE, 'double'],
]);
const IP_KEYS: ReadonlyMap<string, KeyKind> = new Map([[CONNECTION_CREATION_RATE, 'int']]);

/** Entity as it travels on the wire: a list of (type, name) pairs. */
export interface WireEntity {
  entityType: string;
  entityName: string | null;
}

/** The wire pairs as an entity, or why they do not form one (answered as INVALID_REQUEST). */
export function entityFromWire(pairs: readonly WireEntity[]): QuotaEntity | string {
  if (pairs.length === 0) return 'the quota entity is empty';
  const e: QuotaEntity = {};
  for (const p of pairs) {
    const field = fieldOf(p.entityType);
    if (field === null) return `unknown quota entity type ${p.entityType}`;
    if (e[field] !== undefined) return `duplicate quota entity type ${p.entityType}`;
    e[field] = p.entityName;
  }
  if (e.ip !== undefined && (e.user !== undefined || e.clientId !== undefined)) return 'an ip quota entity cannot be combined with user or client-id';
  if (e.ip !== undefined && e.ip !== null && !isIpAddress(e.ip)) return `${e.ip} is not a valid IP address`;
  if (e.user === '') return 'the user entity name must not be empty';
  return e;
}

export function entityToWire(e: QuotaEntity): WireEntity[] {
  const out: WireEntity[] = [];
  if (e.user !== undefined) out.push({ entityType: USER, entityName: e.user });
  if (e.clientId !== undefined) out.push({ entityType: CLIENT_ID, entityName: e.clientId });
  if (e.ip !== undefined) out.push({ entityType: IP, entityName: e.ip });
  return out;
}

export function fieldOf(entityType: string): keyof QuotaEntity | null {
  if (entityType === USER) return 'user';
  if (entityType === CLIENT_ID) return 'clientId';
  if (entityType === IP) return 'ip';
  return null;
}

/** One map key per entity; absent, default and named differ, and names cannot collide with markers. */
export function entityKey(e: QuotaEntity): string {
  return `${part(e.user)}|${part(e.clientId)}|${part(e.ip)}`;
}

function part(v: string | null | undefined): string {
  if (v === undefined) return '-';
  if (v === null) return '*';
  return `=${encodeURIComponent(v)}`;
}

/** Why `value` cannot be stored under `key` for this entity, or null when it can. */
export function validateQuotaValue(e: QuotaEntity, key: string, value: number): string | null {
  const kind = (e.ip !== undefined ? IP_KEYS : CLIENT_KEYS).get(key);
  if (kind === undefined) return `${key} is not a quota key for ${e.ip !== undefined ? 'ip' : 'user/client-id'} entities`;
  if (!Number.isFinite(value) || value <= 0) return `${key} must be a positive number, got ${value}`;
  if (kind !== 'double' && !Number.isInteger(value)) return `${key} must be a whole number, got ${value}`;
  if (kind === 'int' && value > 0x7fffffff) return `${key} must fit in an int, got ${value}`;
  if (kind === 'long' && value >= 2 ** 63) return `${key} must fit in a long, got ${value}`;
  return null;
}

export function isQuotaKey(e: QuotaEntity, key: string): boolean {
  return (e.ip !== undefined ? IP_KEYS : CLIENT_KEYS).has(key);
}

function isIpAddress(s: string): boolean {
  return isIP(s) !== 0;
}

/** `User:alice` -> `alice`: Kafka's user quotas are keyed by the principal's name. */
export function userOf(principal: string): string {
  const i = principal.indexOf(':');
  return i < 0 ? principal : principal.slice(i + 1);
}
