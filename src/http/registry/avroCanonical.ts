/**
 * The form two Avro schema texts are compared in to decide whether they are
 * the same schema (same id, no new version). avsc's own export drops logical
 * types on primitives and every custom property (`connect.name`, decimal
 * precision), which would make `{"type":"long","logicalType":"timestamp-millis"}`
 * the same schema as `"long"`; and it inlines referenced named types. Here the
 * text's JSON is kept whole, only made independent of how it was written:
 * object keys sorted, whitespace gone, names written in full (the namespace
 * folded into them, as avsc's export and Avro's Parsing Canonical Form do, so
 * schemas stored by earlier Brook versions still match), and a type object
 * holding nothing but its type name written as that name.
 */
export function avroCanonical(schema: unknown): string {
  return JSON.stringify(typeNode(schema, ''));
}

const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);
const NAMED = new Set(['record', 'error', 'enum', 'fixed']);

function fullName(name: string, ns: string): string {
  return name.includes('.') || ns === '' ? name : `${ns}.${name}`;
}

/** A schema in a position where a type is expected, inside namespace `ns`. */
function typeNode(node: unknown, ns: string): unknown {
  if (typeof node === 'string') return PRIMITIVES.has(node) || NAMED.has(node) || node === 'array' || node === 'map' ? node : fullName(node, ns);
  if (Array.isArray(node)) return node.map((n) => typeNode(n, ns));
  if (typeof node !== 'object' || node === null) return node;
  const obj = node as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.length === 1 && keys[0] === 'type' && typeof obj.type === 'string') return typeNode(obj.type, ns);
  const out: Record<string, unknown> = {};
  let inner = ns;
  if (NAMED.has(obj.type as string) && typeof obj.name === 'string') {
    const name = fullName(obj.name, typeof obj.namespace === 'string' ? obj.namespace : ns);
    out.name = name;
    inner = name.includes('.') ? name.slice(0, name.lastIndexOf('.')) : '';
  }
  for (const k of keys.sort()) {
    const v = obj[k];
    if (k in out || (k === 'namespace' && 'name' in out)) continue;
    if (k === 'type' || k === 'items' || k === 'values') out[k] = typeNode(v, inner);
    else if (k === 'fields' && Array.isArray(v)) out[k] = v.map((f) => fieldNode(f, inner));
    else out[k] = sorted(v);
  }
  return sorted(out);
}

function fieldNode(field: unknown, ns: string): unknown {
  if (typeof field !== 'object' || field === null || Array.isArray(field)) return sorted(field);
  const obj = field as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(obj).sort()) out[k] = k === 'type' ? typeNode(obj[k], ns) : sorted(obj[k]);
  return out;
}

/** Any other JSON value (defaults, symbols, custom properties): keys sorted, arrays in order. */
function sorted(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sorted);
  if (typeof v !== 'object' || v === null) return v;
  const obj = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(obj).sort()) out[k] = sorted(obj[k]);
  return out;
}
