import type * as avro from 'avsc';

/**
 * Can data written with `writer` be read with `reader`? Avro's own schema
 * resolution answers it: avsc builds a resolver exactly when the spec's
 * resolution rules (matching names/aliases, promotable types, defaults for
 * fields the writer lacks) hold. Empty = compatible, else why not.
 */
export function avroReadable(reader: avro.Type, writer: avro.Type): string[] {
  try {
    reader.createResolver(writer);
    return [];
  } catch (err) {
    return [(err as Error).message];
  }
}
