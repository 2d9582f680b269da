/**
 * Loads the Kafka JSON message specs: strips `//` comments (outside strings),
 * parses, and normalises every field into a typed model the emitters and the
 * tests' sample builder share.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { isEmpty, parseVersions, type VersionRange, NO_VERSIONS } from './versions';
import { mergeLegacySpec, type RawSpecJson } from './legacyMerge';

/** `coordinator-key` / `coordinator-value`: records of the coordinators' internal topics (specs in coordinator/). */
export type SpecKind = 'request' | 'response' | 'header' | 'data' | 'coordinator-key' | 'coordinator-value';

export type PrimitiveType =
  | 'bool' | 'int8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'float64'
  | 'string' | 'uuid' | 'bytes' | 'records';

export const PRIMITIVES: ReadonlySet<string> = new Set<PrimitiveType>([
  'bool', 'int8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'float64', 'string', 'uuid', 'bytes', 'records',
]);

/** What one field holds: a primitive, an array of something, or a struct. */
export type FieldType =
  | { kind: 'primitive'; name: PrimitiveType }
  | { kind: 'array'; element: FieldType }
  | { kind: 'struct'; struct: StructSpec };

export interface FieldSpec {
  /** Spec name, e.g. "TransactionalId". */
  readonly specName: string;
  /** lowerCamelCase property name. */
  readonly prop: string;
  readonly type: FieldType;
  readonly versions: VersionRange;
  readonly nullableVersions: VersionRange;
  /** Raw "default" text from the spec, if any. */
  readonly defaultText: string | undefined;
  readonly ignorable: boolean;
  /** Field-level override of the message's flexible versions. */
  readonly flexibleVersions: VersionRange | undefined;
  readonly tag: number | undefined;
  readonly taggedVersions: VersionRange;
}

export interface StructSpec {
  /** Spec struct name ("TopicProduceData"), or the message name for the top level. */
  readonly specName: string;
  /** TypeScript name after collision handling. */
  tsName: string;
  readonly fields: FieldSpec[];
}

export interface MessageSpec {
  readonly fileName: string;
  readonly name: string;
  readonly kind: SpecKind;
  readonly apiKey: number | undefined;
  readonly validVersions: VersionRange;
  readonly flexibleVersions: VersionRange;
  readonly latestVersionUnstable: boolean;
  readonly listeners: string[];
  readonly root: StructSpec;
  /** Every struct of the message except the root, in first-seen order. */
  readonly structs: StructSpec[];
}

/** Removes `//` comments that are not inside a JSON string. */
export function stripComments(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      out += c;
      if (c === '\\') {
        out += text[++i] ?? '';
      } else if (c === '"') {
        inString = false;
      }
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else {
      out += c;
    }
  }
  return out;
}

export function lowerCamel(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

interface RawField {
  name: string;
  type: string;
  versions?: string;
  nullableVersions?: string;
  default?: string | number | boolean;
  ignorable?: boolean;
  flexibleVersions?: string;
  tag?: number;
  taggedVersions?: string;
  fields?: RawField[];
}

interface RawSpec {
  apiKey?: number;
  type: SpecKind;
  name: string;
  validVersions: string;
  flexibleVersions: string;
  latestVersionUnstable?: boolean;
  listeners?: string[];
  fields: RawField[];
  commonStructs?: { name: string; fields: RawField[] }[];
}

/** Names a generated file already uses for its own imports and functions. */
const RESERVED = new Set(['Reader', 'Writer', 'DecodeError', 'TaggedField', 'Buffer']);

export function parseSpec(fileName: string, text: string): MessageSpec {
  return specFromJson(fileName, JSON.parse(stripComments(text)) as RawSpec);
}

function specFromJson(fileName: string, raw: RawSpec): MessageSpec {
  const structsByName = new Map<string, StructSpec>();
  const structs: StructSpec[] = [];
  const pending: { struct: StructSpec; rawFields: RawField[] }[] = [];

  const declare = (name: string, rawFields: RawField[]): StructSpec => {
    const existing = structsByName.get(name);
    if (existing) {
      if (rawFields.length > 0 && existing.fields.length === 0 && !pending.some((p) => p.struct === existing)) {
        pending.push({ struct: existing, rawFields });
      }
      return existing;
    }
    const struct: StructSpec = { specName: name, tsName: name, fields: [] };
    structsByName.set(name, struct);
    structs.push(struct);
    pending.push({ struct, rawFields });
    return struct;
  };

  // Common structs first so fields that only name them resolve.
  for (const c of raw.commonStructs ?? []) declare(c.name, c.fields);

  const resolveType = (f: RawField): FieldType => {
    const t = f.type;
    if (t.startsWith('[]')) {
      const elem = t.slice(2);
      if (PRIMITIVES.has(elem)) return { kind: 'array', element: { kind: 'primitive', name: elem as PrimitiveType } };
      return { kind: 'array', element: { kind: 'struct', struct: declare(elem, f.fields ?? []) } };
    }
    if (PRIMITIVES.has(t)) return { kind: 'primitive', name: t as PrimitiveType };
    return { kind: 'struct', struct: declare(t, f.fields ?? []) };
  };

  const toField = (f: RawField): FieldSpec => ({
    specName: f.name,
    prop: lowerCamel(f.name),
    type: resolveType(f),
    // A tagged field may leave out `versions` (coordinator records do): it exists where it is tagged, as in Kafka's generator.
    versions: parseVersions(f.versions ?? f.taggedVersions),
    nullableVersions: f.nullableVersions === undefined ? NO_VERSIONS : parseVersions(f.nullableVersions),
    defaultText: f.default === undefined ? undefined : String(f.default),
    ignorable: f.ignorable === true,
    flexibleVersions: f.flexibleVersions === undefined ? undefined : parseVersions(f.flexibleVersions),
    tag: f.tag,
    taggedVersions: f.taggedVersions === undefined ? NO_VERSIONS : parseVersions(f.taggedVersions),
  });

  const root: StructSpec = { specName: raw.name, tsName: raw.name, fields: raw.fields.map(toField) };
  while (pending.length > 0) {
    const { struct, rawFields } = pending.shift()!;
    for (const f of rawFields) struct.fields.push(toField(f));
  }

  // Order the nested structs the way they are first reached from the root, so
  // generated files read top-down; then make names unique within the file.
  const ordered: StructSpec[] = [];
  const seen = new Set<StructSpec>();
  const visit = (s: StructSpec): void => {
    for (const f of s.fields) {
      let t = f.type;
      while (t.kind === 'array') t = t.element;
      if (t.kind === 'struct' && !seen.has(t.struct)) {
        seen.add(t.struct);
        ordered.push(t.struct);
        visit(t.struct);
      }
    }
  };
  visit(root);
  for (const s of structs) if (!seen.has(s)) ordered.push(s);
  const taken = new Set<string>([raw.name, `${raw.name}Input`]);
  for (const s of ordered) {
    if (taken.has(s.specName) || taken.has(`${s.specName}Input`) || RESERVED.has(s.specName)) {
      s.tsName = `${raw.name}${s.specName}`;
    }
    taken.add(s.tsName);
    taken.add(`${s.tsName}Input`);
  }

  return {
    fileName,
    name: raw.name,
    kind: raw.type,
    apiKey: raw.apiKey,
    validVersions: parseVersions(raw.validVersions),
    flexibleVersions: parseVersions(raw.flexibleVersions),
    latestVersionUnstable: raw.latestVersionUnstable === true,
    listeners: raw.listeners ?? [],
    root,
    structs: ordered,
  };
}

function readJson(path: string): RawSpec & { fileName: string } {
  return { ...(JSON.parse(stripComments(readFileSync(path, 'utf8'))) as RawSpec), fileName: basename(path) };
}

/** Where the specs of versions Kafka has dropped are kept: `legacy/` beside the specs folder. */
export function defaultLegacyDir(dir: string): string {
  return join(dir, '..', 'legacy');
}

/**
 * Every spec in `dir`; a spec that `legacyDir` also has (an older definition
 * with versions the current one dropped) is merged with it, so the generated
 * codec keeps serving those versions.
 */
export function loadSpecs(dir: string, legacyDir: string = defaultLegacyDir(dir)): MessageSpec[] {
  const legacy = existsSync(legacyDir) ? new Set(readdirSync(legacyDir).filter((f) => f.endsWith('.json'))) : new Set<string>();
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .flatMap((f) => {
      const current = readJson(join(dir, f));
      // Kafka keeps a stub with validVersions "none" for APIs it removed (LeaderAndIsr, ControlledShutdown …).
      if (isEmpty(parseVersions(current.validVersions)) && !legacy.has(f)) return [];
      return [current];
    })
    .map((current) => {
      const f = current.fileName;
      if (!legacy.has(f)) return specFromJson(f, current);
      const merged = mergeLegacySpec(readJson(join(legacyDir, f)) as unknown as RawSpecJson, current as unknown as RawSpecJson);
      return specFromJson(f, merged as unknown as RawSpec);
    });
}
