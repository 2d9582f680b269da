/**
 * Run-time helpers the generated codecs share: tagged-field sections (KIP-482),
 * record blobs written from one or several Buffers, and the errors an encoder
 * raises when asked to write something the target version cannot carry.
 */
import { Reader } from './reader';
import { Writer } from './writer';

/** A tagged field this code does not know, kept as raw bytes so it survives a re-encode. */
export interface TaggedField {
  tag: number;
  data: Buffer;
}

/** Default for bytes fields; zero-length, so sharing it is safe. */
export const EMPTY_BYTES: Buffer = Buffer.alloc(0);

/** Kafka's "no UUID". Callers must not mutate it. */
export const ZERO_UUID: Buffer = Buffer.alloc(16);

export function isZeroUuid(b: Buffer): boolean {
  if (b.length !== 16) return false;
  for (let i = 0; i < 16; i++) if (b[i] !== 0) return false;
  return true;
}

/** Reads a tagged-field section of a struct that has no known tags. */
export function readUnknownTaggedFields(r: Reader): TaggedField[] | undefined {
  let fields: TaggedField[] | undefined;
  // Each entry is at least two bytes, so a lying count runs out of input, not time.
  for (let n = r.uvarint(); n > 0; n--) {
    const tag = r.uvarint();
    const data = r.raw(r.uvarint());
    (fields ??= []).push({ tag, data });
  }
  return fields;
}

/** The tagged-field section of a struct with no known tags: count, then each field. */
export function writeUnknownTaggedFields(w: Writer, fields: readonly TaggedField[] | undefined): void {
  if (fields === undefined || fields.length === 0) {
    w.uvarint(0);
    return;
  }
  w.uvarint(fields.length);
  writeUnknownBefore(w, fields, 0, Infinity);
}

/**
 * Writes unknown tags from index `from` whose tag is below `limit`, so they
 * interleave in ascending order with the known ones. Returns the next index.
 */
export function writeUnknownBefore(
  w: Writer,
  fields: readonly TaggedField[] | undefined,
  from: number,
  limit: number,
): number {
  if (fields === undefined) return from;
  let i = from;
  for (; i < fields.length && fields[i].tag < limit; i++) {
    const f = fields[i];
    w.uvarint(f.tag);
    w.uvarint(f.data.length);
    w.raw(f.data);
  }
  return i;
}

/** A known tagged field whose value was encoded into `value` (needed for the size prefix). */
export function writeTaggedValue(w: Writer, tag: number, value: Writer): void {
  w.uvarint(tag);
  w.uvarint(value.length);
  for (const part of value.chunksOut()) w.raw(part);
}

/**
 * A `records` field: null, one blob, or several blobs sent as one field
 * without concatenating them (a Fetch response stitched from segment slices).
 */
export function writeRecords(w: Writer, v: Buffer | readonly Buffer[] | null, compact: boolean): void {
  if (v === null) {
    if (compact) w.uvarint(0);
    else w.int32(-1);
  } else if (Buffer.isBuffer(v)) {
    if (compact) w.compactBytes(v);
    else w.bytes(v);
  } else {
    w.bytesChunks(v, compact);
  }
}

/** A field the target version lacks was given a non-default value and may not be dropped. */
export function unsupportedField(message: string, field: string, version: number): Error {
  return new RangeError(`${message}.${field} is not supported at version ${version} and cannot be ignored`);
}

export function nullNotAllowed(message: string, field: string, version: number): Error {
  return new RangeError(`${message}.${field} cannot be null at version ${version}`);
}
