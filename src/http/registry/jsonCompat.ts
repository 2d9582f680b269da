/**
 * JSON Schema compatibility: can every document valid under `writer` be read
 * by a consumer expecting `reader` (reader accepts a superset)? No npm
 * library checks this, so this covers the keywords schemas evolve by, the
 * way Confluent's checker names its differences: type narrowing, required
 * properties added, properties dropped from or added to a closed/open
 * content model, enums narrowed, numeric/string bounds tightened, array
 * items, and combinators compared branch by branch. Empty = compatible.
 */

type Schema = boolean | Record<string, unknown>;

function asSchema(v: unknown): Schema {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  return true;
}

function types(s: Record<string, unknown>): Set<string> | null {
  const t = s.type;
  if (t === undefined) return null;
  return new Set(Array.isArray(t) ? t.map(String) : [String(t)]);
}

function typeCovers(reader: Set<string>, t: string): boolean {
  return reader.has(t) || (t === 'integer' && reader.has('number'));
}

function num(s: Record<string, unknown>, k: string): number | undefined {
  return typeof s[k] === 'number' ? (s[k] as number) : undefined;
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function props(s: Record<string, unknown>): Record<string, unknown> {
  const p = s.properties;
  return typeof p === 'object' && p !== null ? (p as Record<string, unknown>) : {};
}

/** false = closed content model (additionalProperties: false). */
function additional(s: Record<string, unknown>): Schema {
  return s.additionalProperties === undefined ? true : asSchema(s.additionalProperties);
}

function check(readerIn: Schema, writerIn: Schema, path: string, out: string[]): void {
  if (readerIn === true || writerIn === false) return;
  if (readerIn === false) return void out.push(`${path}: reader accepts nothing`);
  const reader = readerIn;
  const writer: Record<string, unknown> = writerIn === true ? {} : writerIn;
  if (Object.keys(reader).every((k) => k.startsWith('$') || k === 'title' || k === 'description' || k === 'default' || k === 'examples')) return;

  const rt = types(reader);
  const wt = types(writer);
  if (rt) {
    if (!wt) out.push(`${path}: TYPE_NARROWED (reader restricts type to ${[...rt].join(',')})`);
    else for (const t of wt) if (!typeCovers(rt, t)) out.push(`${path}: TYPE_CHANGED (${t} not accepted by reader type ${[...rt].join(',')})`);
  }

  if (Array.isArray(reader.enum)) {
    if (!Array.isArray(writer.enum)) out.push(`${path}: ENUM_ARRAY_NARROWED (reader adds an enum)`);
    else for (const v of writer.enum) if (!reader.enum.some((r) => deepEqual(r, v))) out.push(`${path}: ENUM_ARRAY_NARROWED (${JSON.stringify(v)} removed)`);
  }
  if (reader.const !== undefined && !deepEqual(reader.const, writer.const)) out.push(`${path}: CONST_CHANGED`);

  for (const [k, looser] of [['maxLength', 'max'], ['maxItems', 'max'], ['maxProperties', 'max'], ['maximum', 'max'], ['exclusiveMaximum', 'max'], ['minLength', 'min'], ['minItems', 'min'], ['minProperties', 'min'], ['minimum', 'min'], ['exclusiveMinimum', 'min']] as const) {
    const r = num(reader, k);
    if (r === undefined) continue;
    const w = num(writer, k);
    if (w === undefined || (looser === 'max' ? r < w : r > w)) out.push(`${path}: ${k.toUpperCase()}_${looser === 'max' ? 'DECREASED' : 'INCREASED'} (${k} ${w ?? 'unset'} -> ${r})`);
  }
  if (typeof reader.pattern === 'string' && reader.pattern !== writer.pattern) out.push(`${path}: PATTERN_CHANGED`);

  // Objects.
  const rReq = new Set(Array.isArray(reader.required) ? reader.required.map(String) : []);
  const wReq = new Set(Array.isArray(writer.required) ? writer.required.map(String) : []);
  for (const r of rReq) if (!wReq.has(r)) out.push(`${path}: REQUIRED_ATTRIBUTE_ADDED (${r})`);
  const rp = props(reader);
  const wp = props(writer);
  const rAdd = additional(reader);
  const wAdd = additional(writer);
  for (const [name, ws] of Object.entries(wp)) {
    if (name in rp) check(asSchema(rp[name]), asSchema(ws), `${path}.${name}`, out);
    else if (rAdd === false) out.push(`${path}: PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL (${name})`);
    else check(rAdd, asSchema(ws), `${path}.${name}`, out);
  }
  for (const [name, rs] of Object.entries(rp)) {
    if (name in wp) continue;
    // The writer never wrote it if its model is closed; an open writer may have written anything under that name.
    if (wAdd === false) continue;
    check(asSchema(rs), wAdd, `${path}.${name}`, out);
    if (wAdd === true && asSchema(rs) !== true) out.push(`${path}: PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL (${name})`);
  }
  if (rAdd !== true && wAdd === true && Object.keys(reader).includes('additionalProperties')) out.push(`${path}: ADDITIONAL_PROPERTIES_NARROWED`);
  else if (typeof rAdd === 'object' && typeof wAdd === 'object') check(rAdd, wAdd, `${path}.additionalProperties`, out);

  // Arrays.
  if (reader.items !== undefined && !Array.isArray(reader.items)) check(asSchema(reader.items), asSchema(writer.items ?? true), `${path}[]`, out);

  // Combinators: branch by branch when the shape is kept, else only an unchanged one is known safe.
  for (const k of ['oneOf', 'anyOf', 'allOf'] as const) {
    const r = reader[k];
    const w = writer[k];
    if (r === undefined) continue;
    if (!Array.isArray(r)) continue;
    if (!Array.isArray(w)) {
      out.push(`${path}: COMBINED_TYPE_CHANGED (reader adds ${k})`);
      continue;
    }
    if (k === 'allOf') {
      if (r.length > w.length) out.push(`${path}: PRODUCT_TYPE_EXTENDED (allOf grew)`);
    } else if (r.length < w.length) out.push(`${path}: SUM_TYPE_NARROWED (${k} lost branches)`);
    for (let i = 0; i < Math.min(r.length, w.length); i++) check(asSchema(r[i]), asSchema(w[i]), `${path}.${k}[${i}]`, out);
  }
  if (reader.$ref !== undefined && reader.$ref !== writer.$ref) out.push(`${path}: REF_CHANGED`);
  if (reader.not !== undefined && !deepEqual(reader.not, writer.not)) out.push(`${path}: NOT_TYPE_CHANGED`);
}

export function jsonReadable(reader: unknown, writer: unknown): string[] {
  const out: string[] = [];
  check(asSchema(reader), asSchema(writer), '#', out);
  return out;
}
