import Ajv, { type AnySchema, type AnySchemaObject } from 'ajv';
import Ajv2019 from 'ajv/dist/2019';
import Ajv2020 from 'ajv/dist/2020';
import AjvDraft04 from 'ajv-draft-04';
import * as avro from 'avsc';
import * as protobuf from 'protobufjs';
import { avroCanonical } from './avroCanonical';
import { protoRoot, protobufCanonical } from './protobufSchema';

export type SchemaType = 'AVRO' | 'JSON' | 'PROTOBUF';
export const SCHEMA_TYPES: readonly SchemaType[] = ['JSON', 'PROTOBUF', 'AVRO'];

export interface SchemaReference {
  name: string;
  subject: string;
  version: number;
}

/** A schema as its type's library understood it, for identity and compatibility checks. */
export type ParsedSchema =
  | { type: 'AVRO'; canonical: string; avro: avro.Type }
  | { type: 'JSON'; canonical: string; json: unknown }
  | { type: 'PROTOBUF'; canonical: string; proto: protobuf.Root };

/** The schema text is not a valid schema of its type (Confluent's 42201). */
export class InvalidSchemaError extends Error {}

/** Referenced schemas, in the order given, by reference name. */
export interface ResolvedReference {
  name: string;
  schemaType: SchemaType;
  schema: string;
}

// strict:false: real-world schemas carry annotations (title, examples, vendor keywords) Ajv's strict mode rejects.
const AJV_OPTS = { strict: false, allErrors: false, validateFormats: false };
/** One Ajv per draft, made on first use: only validateSchema is called, which adds nothing to them. */
const ajvs = new Map<string, Ajv>();

/** Ajv's default instance knows draft-07; draft-06 (which Confluent accepts) needs its meta-schema, shipped with Ajv. */
function draft07And06(): Ajv {
  const ajv = new Ajv(AJV_OPTS);
  ajv.addMetaSchema(require('ajv/dist/refs/json-schema-draft-06.json') as AnySchemaObject);
  return ajv;
}

/** The Ajv that checks a schema of this draft (draft-04 through ajv-draft-04: Ajv 8 itself dropped it). */
function ajvFor(schema: unknown): Ajv {
  const draft = typeof schema === 'object' && schema !== null ? String((schema as { $schema?: unknown }).$schema ?? '') : '';
  const kind = /json-schema\.org\/draft-04\/schema/.test(draft) ? 'draft-04' : draft.includes('2020-12') ? '2020-12' : draft.includes('2019-09') ? '2019-09' : 'default';
  let ajv = ajvs.get(kind);
  if (!ajv) {
    ajv = kind === 'draft-04' ? new AjvDraft04(AJV_OPTS) : kind === '2020-12' ? new Ajv2020(AJV_OPTS) : kind === '2019-09' ? new Ajv2019(AJV_OPTS) : draft07And06();
    ajvs.set(kind, ajv);
  }
  return ajv;
}

function parseAvro(text: string, refs: ResolvedReference[], requireNames: boolean): ParsedSchema {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // Avro allows a bare primitive name as the whole schema text.
    json = text.trim();
  }
  const registry: Record<string, avro.Type> = {};
  try {
    for (const r of refs) if (r.schemaType === 'AVRO') avro.Type.forSchema(JSON.parse(r.schema) as avro.Schema, { registry });
    // Avro requires names on records, enums and fixed (Confluent: "No name in schema"); avsc allows them
    // anonymous. Only schemas being registered are held to it, so ones stored earlier still load.
    const type = avro.Type.forSchema(json as avro.Schema, { registry, noAnonymousTypes: requireNames });
    return { type: 'AVRO', canonical: avroCanonical(json), avro: type };
  } catch (err) {
    throw new InvalidSchemaError(`Invalid schema: ${(err as Error).message}`);
  }
}

function parseJsonSchema(text: string): ParsedSchema {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new InvalidSchemaError(`Invalid schema: not JSON: ${(err as Error).message}`);
  }
  if (typeof json !== 'boolean' && (typeof json !== 'object' || json === null || Array.isArray(json))) throw new InvalidSchemaError('Invalid schema: a JSON Schema is an object or a boolean');
  // Checked against its draft's meta-schema, not compiled: Ajv's code generation recurses per
  // property (a stack overflow at a few thousand) and ran for seconds on the event loop.
  let valid: boolean;
  const ajv = ajvFor(json);
  try {
    valid = ajv.validateSchema(json as AnySchema) as boolean;
  } catch (err) {
    throw new InvalidSchemaError(`Invalid schema: ${(err as Error).message}`);
  }
  if (!valid) throw new InvalidSchemaError(`Invalid schema: ${ajv.errorsText(ajv.errors)}`);
  return { type: 'JSON', canonical: JSON.stringify(json), json };
}

function parseProtobuf(text: string, refs: ResolvedReference[]): ParsedSchema {
  try {
    const root = protoRoot(text, refs.filter((r) => r.schemaType === 'PROTOBUF').map((r) => ({ name: r.name, text: r.schema })));
    return { type: 'PROTOBUF', canonical: protobufCanonical(text), proto: root };
  } catch (err) {
    throw new InvalidSchemaError(`Invalid schema: ${(err as Error).message}`);
  }
}

export function parseSchemaType(value: unknown): SchemaType {
  if (value === undefined || value === null || value === '') return 'AVRO';
  const t = String(value).toUpperCase();
  if (!(SCHEMA_TYPES as readonly string[]).includes(t)) throw new InvalidSchemaError(`Invalid schema type ${String(value)}`);
  return t as SchemaType;
}

/** `newSchema`: a schema being registered or checked, held to rules stored schemas may predate. */
export function parseSchema(type: SchemaType, text: string, refs: ResolvedReference[] = [], newSchema = false): ParsedSchema {
  if (type === 'AVRO') return parseAvro(text, refs, newSchema);
  if (type === 'JSON') return parseJsonSchema(text);
  return parseProtobuf(text, refs);
}
