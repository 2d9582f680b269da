import * as protobuf from 'protobufjs';

/**
 * Protobuf compatibility: can bytes written with `writer` be read with
 * `reader`? Protobuf's rules are about field numbers: a field may be added or
 * removed freely (unknown fields are skipped), but a number that stays must
 * keep a wire-compatible type and cardinality; messages a schema used must
 * not disappear, and proto2 `required` fields must not appear or vanish.
 * protobufjs parses; the comparison is the part no library does.
 */

/** Scalar types that share an encoding and can be read as one another. */
const WIRE_GROUPS: readonly string[][] = [
  ['int32', 'uint32', 'int64', 'uint64', 'bool'],
  ['sint32', 'sint64'],
  ['fixed32', 'sfixed32'],
  ['fixed64', 'sfixed64'],
  ['string', 'bytes'],
];
const SCALARS = new Set(WIRE_GROUPS.flat().concat(['double', 'float']));

function messages(ns: protobuf.NamespaceBase, out = new Map<string, protobuf.Type>()): Map<string, protobuf.Type> {
  for (const nested of ns.nestedArray) {
    if (nested instanceof protobuf.Type) out.set(nested.fullName.replace(/^\./, ''), nested);
    if (nested instanceof protobuf.Namespace || nested instanceof protobuf.Type) messages(nested as protobuf.NamespaceBase, out);
  }
  return out;
}

function shortName(t: string): string {
  return t.replace(/^\./, '').split('.').pop()!;
}

function sameWireType(a: string, b: string): boolean {
  if (a === b) return true;
  if (SCALARS.has(a) !== SCALARS.has(b)) return false;
  if (!SCALARS.has(a)) return shortName(a) === shortName(b);
  return WIRE_GROUPS.some((g) => g.includes(a) && g.includes(b));
}

export function protobufReadable(reader: protobuf.Root, writer: protobuf.Root): string[] {
  const out: string[] = [];
  const rMsgs = messages(reader);
  const wMsgs = messages(writer);
  for (const [name, w] of wMsgs) {
    const r = rMsgs.get(name);
    if (!r) {
      out.push(`${name}: MESSAGE_REMOVED`);
      continue;
    }
    for (const wf of w.fieldsArray) {
      const rf = r.fieldsById[wf.id];
      if (!rf) {
        if (wf.required) out.push(`${name}.${wf.name}: REQUIRED_FIELD_REMOVED (#${wf.id})`);
        continue;
      }
      if (!sameWireType(rf.type, wf.type)) out.push(`${name}.${rf.name}: FIELD_KIND_CHANGED (#${wf.id} ${wf.type} -> ${rf.type})`);
      if (rf.repeated !== wf.repeated || rf.map !== wf.map) out.push(`${name}.${rf.name}: FIELD_CARDINALITY_CHANGED (#${wf.id})`);
      const rOneof = rf.partOf?.name ?? null;
      const wOneof = wf.partOf?.name ?? null;
      if (rOneof !== null && wOneof === null && (rf.partOf?.fieldsArray.length ?? 0) > 1) out.push(`${name}.${rf.name}: FIELD_MOVED_TO_EXISTING_ONEOF (#${wf.id})`);
    }
    for (const rf of r.fieldsArray) {
      if (rf.required && !w.fieldsById[rf.id]) out.push(`${name}.${rf.name}: REQUIRED_FIELD_ADDED (#${rf.id})`);
    }
  }
  return out;
}
