import { HttpError } from '../respond';

/** Confluent REST v3 embedded data formats Brook serves (schema-based ones need the registry wiring, not done here). */
export type EmbeddedType = 'JSON' | 'BINARY' | 'STRING';

export interface EmbeddedData {
  type: EmbeddedType;
  bytes: Buffer | null;
}

/**
 * `{type, data}` of a v3 record's key or value into bytes: JSON is its source text (`dataText`, exactly as sent:
 * big integers and `1.10` stay as written) or else serialized, BINARY is base64, STRING is UTF-8.
 */
export function decodeEmbedded(v: unknown, field: string, dataText?: string): EmbeddedData | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'object' || Array.isArray(v)) throw new HttpError(400, 40002, `${field} must be an object {type, data}`);
  const o = v as { type?: unknown; data?: unknown; schema_id?: unknown; subject?: unknown };
  const type = o.type === undefined ? 'JSON' : String(o.type).toUpperCase();
  if (o.schema_id !== undefined || o.subject !== undefined || type === 'AVRO' || type === 'PROTOBUF' || type === 'JSONSCHEMA') {
    throw new HttpError(400, 40002, `${field}: schema-based formats (AVRO, PROTOBUF, JSONSCHEMA) are not supported by Brook's REST proxy; use JSON, BINARY or STRING`);
  }
  if (o.data === undefined || o.data === null) return { type: type as EmbeddedType, bytes: null };
  switch (type) {
    case 'JSON':
      return { type, bytes: Buffer.from(dataText ?? jsonText(o.data, field), 'utf8') };
    case 'BINARY': {
      if (typeof o.data !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(o.data)) throw new HttpError(400, 40002, `${field}.data must be base64 for type BINARY`);
      return { type, bytes: Buffer.from(o.data, 'base64') };
    }
    case 'STRING':
      if (typeof o.data !== 'string') throw new HttpError(400, 40002, `${field}.data must be a string for type STRING`);
      return { type, bytes: Buffer.from(o.data, 'utf8') };
    default:
      throw new HttpError(400, 40002, `${field}.type ${type} is not one of JSON, BINARY, STRING`);
  }
}

/**
 * The JSON text of an embedded value. A value nested thousands of levels deep parses but overflows the stack when
 * serialized: that is the client's data, answered as Confluent's REST proxy answers JSON it cannot convert
 * (422, error code 42203), not a 500.
 */
function jsonText(data: unknown, field: string): string {
  try {
    return JSON.stringify(data);
  } catch (err) {
    if (err instanceof RangeError) throw new HttpError(422, 42203, `Conversion of JSON to Object failed: ${field}.data is nested too deeply`);
    throw err;
  }
}

/** Kafka's default partitioner hash (murmur2, as the Java producer and Confluent's proxy use it for keyed records). */
export function murmur2(data: Buffer): number {
  const m = 0x5bd1e995;
  const len = data.length;
  let h = (0x9747b28c ^ len) | 0;
  const whole = len & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const tail = len & 3;
  if (tail === 3) h ^= data[whole + 2]! << 16;
  if (tail >= 2) h ^= data[whole + 1]! << 8;
  if (tail >= 1) {
    h ^= data[whole]!;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h;
}

export function partitionForKey(key: Buffer, partitions: number): number {
  return (murmur2(key) & 0x7fffffff) % partitions;
}
