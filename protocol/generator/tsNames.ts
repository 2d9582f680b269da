/** TypeScript names and types of spec fields in the generated modules. */
import type { FieldType, PrimitiveType } from './spec';

export const JS_RESERVED = new Set(
  (
    'break case catch class const continue debugger default delete do else enum export extends false finally for ' +
    'function if import in instanceof new null return super switch this throw true try typeof var void while with ' +
    'yield let static implements interface package private protected public await arguments eval ' +
    // Names the generated functions use for their own locals.
    'r w m version flexible out unknownTags nTags tag tr tw n a i v nextUnknown'
  ).split(' '),
);

export function localName(prop: string): string {
  return JS_RESERVED.has(prop) ? `${prop}_` : prop;
}

export function tsPrimitive(name: PrimitiveType, input: boolean): string {
  switch (name) {
    case 'bool':
      return 'boolean';
    case 'int64':
      return 'bigint';
    case 'string':
      return 'string';
    case 'uuid':
    case 'bytes':
      return 'Buffer';
    case 'records':
      return input ? 'Buffer | readonly Buffer[]' : 'Buffer';
    default:
      return 'number';
  }
}

export function tsType(t: FieldType, input: boolean): string {
  if (t.kind === 'primitive') return tsPrimitive(t.name, input);
  if (t.kind === 'struct') return input ? `${t.struct.tsName}Input` : t.struct.tsName;
  const elem = tsType(t.element, input);
  return elem.includes(' ') ? `(${elem})[]` : `${elem}[]`;
}
