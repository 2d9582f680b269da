import { avroReadable } from './avroCompat';
import { jsonReadable } from './jsonCompat';
import { protobufReadable } from './protobufCompat';
import type { ParsedSchema } from './schemaTypes';

export const COMPATIBILITY_LEVELS = ['NONE', 'BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD', 'FORWARD_TRANSITIVE', 'FULL', 'FULL_TRANSITIVE'] as const;
export type CompatibilityLevel = (typeof COMPATIBILITY_LEVELS)[number];

export function isCompatibilityLevel(v: unknown): v is CompatibilityLevel {
  return typeof v === 'string' && (COMPATIBILITY_LEVELS as readonly string[]).includes(v);
}

/** Why data written with `writer` cannot be read with `reader`; empty = it can. */
function readable(reader: ParsedSchema, writer: ParsedSchema): string[] {
  if (reader.type !== writer.type) return [`schema type changed from ${writer.type} to ${reader.type}`];
  if (reader.type === 'AVRO' && writer.type === 'AVRO') return avroReadable(reader.avro, writer.avro);
  if (reader.type === 'JSON' && writer.type === 'JSON') return jsonReadable(reader.json, writer.json);
  if (reader.type === 'PROTOBUF' && writer.type === 'PROTOBUF') return protobufReadable(reader.proto, writer.proto);
  return [];
}

/**
 * Confluent's levels: BACKWARD = consumers on the new schema read data
 * written with the old; FORWARD = consumers on the old schema read data
 * written with the new; FULL = both. Plain levels compare with the latest
 * version only, _TRANSITIVE with every live version. `previous` is oldest
 * first. Empty = compatible, else the reasons (with the version they concern).
 */
export function incompatibilities(level: CompatibilityLevel, candidate: ParsedSchema, previous: Array<{ version: number; schema: ParsedSchema }>): string[] {
  if (level === 'NONE' || previous.length === 0) return [];
  const against = level.endsWith('_TRANSITIVE') ? previous : previous.slice(-1);
  const backward = level.startsWith('BACKWARD') || level.startsWith('FULL');
  const forward = level.startsWith('FORWARD') || level.startsWith('FULL');
  const out: string[] = [];
  for (const p of against) {
    if (backward) for (const m of readable(candidate, p.schema)) out.push(`version ${p.version} (BACKWARD): ${m}`);
    if (forward) for (const m of readable(p.schema, candidate)) out.push(`version ${p.version} (FORWARD): ${m}`);
  }
  return out;
}
