import { isCompatibilityLevel, type CompatibilityLevel } from './compatibility';
import { SCHEMA_TYPES, type SchemaReference, type SchemaType } from './schemaTypes';

export interface SchemaKey {
  keytype: 'SCHEMA';
  subject: string;
  version: number;
  magic: 1;
}
export interface ConfigKey {
  keytype: 'CONFIG';
  subject: string | null;
  magic: 0;
}
/** Confluent's marker: written by a new leader to learn where the log ends; carries nothing. */
export interface NoopKey {
  keytype: 'NOOP';
  magic: 0;
}
export type RegistryKey = SchemaKey | ConfigKey | NoopKey;

/** A SCHEMA value as stored (guid may be missing in records written by other registries). */
export interface SchemaValue {
  id: number;
  schemaType: SchemaType;
  schema: string;
  references: SchemaReference[];
  deleted: boolean;
  guid: string | null;
}

/** What one `_schemas` record means to the registry. */
export type DecodedRecord =
  | { kind: 'schema'; key: SchemaKey; value: SchemaValue | null }
  | { kind: 'config'; subject: string | null; level: CompatibilityLevel | null }
  /** A key type this registry does not keep (Confluent's NOOP, MODE, DELETE_SUBJECT, ...). */
  | { kind: 'other' }
  /** Not a record any registry writes: skipped, with the reason logged. */
  | { kind: 'invalid'; reason: string };

function parseJson(buf: Buffer): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(buf.toString('utf8')) as unknown };
  } catch {
    return { ok: false };
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isReference = (r: unknown): r is SchemaReference => isObject(r) && typeof r.name === 'string' && typeof r.subject === 'string' && Number.isInteger(r.version);

function schemaValue(v: Record<string, unknown>): SchemaValue | string {
  if (!Number.isInteger(v.id) || (v.id as number) < 0) return 'value has no integer id';
  if (typeof v.schema !== 'string') return 'value has no schema text';
  const type = v.schemaType ?? 'AVRO';
  if (!(SCHEMA_TYPES as readonly unknown[]).includes(type)) return `unknown schemaType ${String(type)}`;
  const refs = v.references ?? [];
  if (!Array.isArray(refs) || !refs.every(isReference)) return 'references are not a list of {name, subject, version}';
  return {
    id: v.id as number,
    schemaType: type as SchemaType,
    schema: v.schema,
    references: refs.map((r) => ({ name: r.name, subject: r.subject, version: r.version })),
    deleted: v.deleted === true,
    guid: typeof v.guid === 'string' ? v.guid : null,
  };
}

/**
 * Reads one `_schemas` record without trusting it: anyone with WRITE on the
 * topic can produce to it, and one bad record must not stop the registry
 * from replaying everything after it.
 */
export function decodeRecord(keyBuf: Buffer, valueBuf: Buffer | null): DecodedRecord {
  const key = parseJson(keyBuf);
  if (!key.ok) return { kind: 'invalid', reason: 'key is not JSON' };
  if (!isObject(key.value)) return { kind: 'invalid', reason: 'key is not a JSON object' };
  const k = key.value;
  if (k.keytype !== 'SCHEMA' && k.keytype !== 'CONFIG') return { kind: 'other' };
  let value: Record<string, unknown> | null = null;
  if (valueBuf !== null) {
    const parsed = parseJson(valueBuf);
    if (!parsed.ok) return { kind: 'invalid', reason: 'value is not JSON' };
    // A JSON null value is a delete, as a record without a value is.
    if (parsed.value !== null && !isObject(parsed.value)) return { kind: 'invalid', reason: 'value is not a JSON object' };
    value = parsed.value as Record<string, unknown> | null;
  }
  if (k.keytype === 'CONFIG') {
    if (k.subject !== undefined && k.subject !== null && typeof k.subject !== 'string') return { kind: 'invalid', reason: 'CONFIG key subject is not a string' };
    const level = value?.compatibilityLevel;
    return { kind: 'config', subject: (k.subject as string | null | undefined) ?? null, level: isCompatibilityLevel(level) ? level : null };
  }
  if (typeof k.subject !== 'string' || !Number.isInteger(k.version) || (k.version as number) < 1) return { kind: 'invalid', reason: 'SCHEMA key lacks a subject or a positive integer version' };
  const schemaKey: SchemaKey = { keytype: 'SCHEMA', subject: k.subject, version: k.version as number, magic: 1 };
  if (value === null) return { kind: 'schema', key: schemaKey, value: null };
  const v = schemaValue(value);
  if (typeof v === 'string') return { kind: 'invalid', reason: v };
  return { kind: 'schema', key: schemaKey, value: v };
}
