/**
 * Kafka 4.0 dropped the oldest versions of several APIs (KIP-896) and pruned
 * their specs, but older clients (kafka-node, old librdkafka, kafka-python
 * with a pinned api_version) still send them. The specs folder keeps those
 * definitions in `legacy/`; this merges a legacy spec with its current one so
 * the generator emits one codec covering both ranges.
 *
 * The rule: versions below the current spec's lowest version are described by
 * the legacy spec alone, the rest by the current spec alone. Every version
 * range of a field is recomputed from that rule, and the merge refuses (throws)
 * what it cannot express as one contiguous range, or a field whose type or
 * default changed between the two, rather than guessing.
 */
import { parseVersions, type VersionRange, isEmpty } from './versions';

export interface RawFieldJson {
  name: string;
  type: string;
  versions?: string;
  nullableVersions?: string;
  taggedVersions?: string;
  flexibleVersions?: string;
  default?: string | number | boolean;
  tag?: number;
  fields?: RawFieldJson[];
  [other: string]: unknown;
}

export interface RawSpecJson {
  name: string;
  validVersions: string;
  flexibleVersions?: string;
  fields: RawFieldJson[];
  commonStructs?: { name: string; versions?: string; fields: RawFieldJson[] }[];
  [other: string]: unknown;
}

function formatRange(r: VersionRange): string {
  if (isEmpty(r)) return 'none';
  if (r.high === Infinity) return `${r.low}+`;
  return r.low === r.high ? `${r.low}` : `${r.low}-${r.high}`;
}

/** The legacy range below `cut` joined to the current range from `cut` up. */
function joinRanges(what: string, legacy: string | undefined, current: string | undefined, cut: number): string | undefined {
  if (legacy === undefined && current === undefined) return undefined;
  const old = parseVersions(legacy);
  const cur = parseVersions(current);
  const below: VersionRange = { low: old.low, high: Math.min(old.high, cut - 1) };
  const above: VersionRange = { low: Math.max(cur.low, cut), high: cur.high };
  if (isEmpty(below)) return current === undefined ? undefined : formatRange(above);
  if (isEmpty(above)) return formatRange(below);
  if (below.high + 1 !== above.low) {
    throw new Error(`${what}: legacy ${legacy} and current ${current} do not join into one range at version ${cut}`);
  }
  return formatRange({ low: below.low, high: above.high });
}

const RANGE_KEYS = ['versions', 'nullableVersions', 'taggedVersions', 'flexibleVersions'] as const;

function mergeField(path: string, legacy: RawFieldJson | undefined, current: RawFieldJson | undefined, cut: number): RawFieldJson {
  if (!legacy) return { ...current!, versions: joinRanges(path, undefined, current!.versions, cut) ?? 'none' };
  if (!current) {
    const versions = joinRanges(path, legacy.versions, undefined, cut) ?? 'none';
    return { ...legacy, versions, fields: legacy.fields && mergeFields(path, legacy.fields, [], cut) };
  }
  if (legacy.type !== current.type) throw new Error(`${path}: type changed from ${legacy.type} to ${current.type}`);
  if (String(legacy.default) !== String(current.default)) throw new Error(`${path}: default changed`);
  const merged: RawFieldJson = { ...current };
  // Ignorable only matters at versions that lack the field; a field the legacy spec let old versions drop
  // (RequestHeader.ClientId at v0) stays droppable there.
  if (legacy.ignorable === true) merged.ignorable = true;
  for (const key of RANGE_KEYS) {
    const joined = joinRanges(`${path}.${key}`, legacy[key], current[key], cut);
    if (joined === undefined) delete merged[key];
    else merged[key] = joined;
  }
  if (legacy.fields || current.fields) merged.fields = mergeFields(path, legacy.fields ?? [], current.fields ?? [], cut);
  return merged;
}

/**
 * Current fields in their order, with fields only the legacy spec has put back
 * after the field that precedes them there (so old versions read and write in
 * the order they always did).
 */
function mergeFields(path: string, legacy: RawFieldJson[], current: RawFieldJson[], cut: number): RawFieldJson[] {
  const legacyByName = new Map(legacy.map((f) => [f.name, f]));
  const out = current.map((f) => mergeField(`${path}.${f.name}`, legacyByName.get(f.name), f, cut));
  const currentNames = new Set(current.map((f) => f.name));
  for (let i = 0; i < legacy.length; i++) {
    const f = legacy[i];
    if (currentNames.has(f.name)) continue;
    const prev = i === 0 ? undefined : legacy[i - 1].name;
    const at = prev === undefined ? 0 : out.findIndex((o) => o.name === prev) + 1;
    out.splice(at, 0, mergeField(`${path}.${f.name}`, f, undefined, cut));
  }
  return out;
}

/** One spec describing the legacy versions below the current spec's range and the current ones. */
export function mergeLegacySpec(legacy: RawSpecJson, current: RawSpecJson): RawSpecJson {
  const cur = parseVersions(current.validVersions);
  const old = parseVersions(legacy.validVersions);
  if (old.low >= cur.low) return current;
  const cut = cur.low;
  const name = current.name;
  const merged: RawSpecJson = { ...current, validVersions: formatRange({ low: old.low, high: cur.high }) };
  const flexible = joinRanges(`${name}.flexibleVersions`, legacy.flexibleVersions, current.flexibleVersions, cut);
  if (flexible !== undefined) merged.flexibleVersions = flexible;
  merged.fields = mergeFields(name, legacy.fields, current.fields, cut);
  if (legacy.commonStructs || current.commonStructs) {
    const legacyStructs = new Map((legacy.commonStructs ?? []).map((s) => [s.name, s]));
    const currentNames = new Set((current.commonStructs ?? []).map((s) => s.name));
    merged.commonStructs = (current.commonStructs ?? []).map((s) => ({
      ...s,
      fields: mergeFields(`${name}.${s.name}`, legacyStructs.get(s.name)?.fields ?? [], s.fields, cut),
    }));
    for (const s of legacy.commonStructs ?? []) {
      if (!currentNames.has(s.name)) merged.commonStructs.push({ ...s, fields: mergeFields(`${name}.${s.name}`, s.fields, [], cut) });
    }
  }
  return merged;
}
