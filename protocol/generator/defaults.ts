/**
 * Default values of fields, as TypeScript source: the value a decoder fills in
 * when a field is absent at a version, the value an encoder writes when the
 * caller omitted it, and the test for "is this still the default" that decides
 * whether a tagged field is sent or whether dropping a field loses information.
 */
import type { FieldSpec, FieldType } from './spec';
import { intersect, isEmpty } from './versions';

export function isNullableAnywhere(f: FieldSpec): boolean {
  return !isEmpty(intersect(f.nullableVersions, f.versions));
}

/** Spec default "null" only means null for fields that can be null. */
function defaultIsNull(f: FieldSpec): boolean {
  if (!isNullableAnywhere(f)) return false;
  if (f.type.kind === 'primitive' && f.type.name === 'records') return f.defaultText === undefined || f.defaultText === 'null';
  return f.defaultText === 'null';
}

function parseIntegerText(text: string): bigint {
  const t = text.trim();
  const negative = t.startsWith('-');
  const body = negative ? t.slice(1) : t;
  const value = BigInt(body); // accepts decimal and 0x.. forms
  return negative ? -value : value;
}

function numericLiteral(f: FieldSpec, name: string): string {
  const text = f.defaultText;
  if (name === 'float64') return text === undefined ? '0' : String(Number(text));
  const value = text === undefined || text === '' ? 0n : parseIntegerText(text);
  return name === 'int64' ? `${value}n` : String(value);
}

function boolLiteral(f: FieldSpec): string {
  return f.defaultText !== undefined && f.defaultText.toLowerCase() === 'true' ? 'true' : 'false';
}

/**
 * A fresh default value for a decoded object. `fresh` is false for the encoder
 * side, where shared constants are fine because they are only read. Byte
 * values (bytes, records, uuids) are shared constants on both sides: a decoded
 * one is otherwise a view of the request's own buffer, read and never written,
 * and a fresh 16-byte uuid per topic of every Produce and Fetch below v13 was
 * garbage on the hottest paths (bench/README.md).
 */
export function defaultValue(f: FieldSpec, fresh: boolean): string {
  const t = f.type;
  if (defaultIsNull(f)) return 'null';
  if (t.kind === 'array') return '[]';
  if (t.kind === 'struct') return fresh ? `default${t.struct.tsName}()` : '{}';
  switch (t.name) {
    case 'bool':
      return boolLiteral(f);
    case 'string':
      return JSON.stringify(f.defaultText ?? '');
    case 'uuid':
      return 'ZERO_UUID';
    case 'bytes':
    case 'records':
      return 'EMPTY_BYTES';
    default:
      return numericLiteral(f, t.name);
  }
}

/** Struct types whose `default<Name>()` helper the decoder will need. */
export function structDefaultsNeeded(f: FieldSpec): FieldType | undefined {
  if (f.type.kind === 'struct' && !defaultIsNull(f)) return f.type;
  return undefined;
}

/**
 * A boolean expression: true when `v` (an input value that may be undefined)
 * differs from the field's default.
 */
export function nonDefaultCheck(f: FieldSpec, v: string): string {
  const t = f.type;
  if (defaultIsNull(f)) return `${v} != null`;
  // A null where the default is not null is a difference too.
  const orNull = isNullableAnywhere(f) ? `${v} === null || ` : '';
  if (t.kind === 'array') return `${v} !== undefined && (${orNull}${v}.length > 0)`;
  if (t.kind === 'struct') return `${v} !== undefined && (${orNull}!isDefault${t.struct.tsName}(${v}))`;
  switch (t.name) {
    case 'uuid':
      return `${v} !== undefined && (${orNull}!isZeroUuid(${v}))`;
    case 'bytes':
    case 'records':
      return `${v} !== undefined && (${orNull}${v}.length > 0)`;
    default:
      return `${v} !== undefined && ${v} !== ${defaultValue(f, false)}`;
  }
}
