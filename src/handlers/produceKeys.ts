import { ErrorCode } from '../../protocol/errors';
import { ATTR, BATCH } from '../../protocol/records/batchHeader';
import { decompress } from '../../protocol/records/compression';

/** Where the varint reader stands; module state, so walking a batch allocates nothing per record. */
let at = 0;

/** The zig-zag varint at `at` in body[..end], moving `at` past it; NaN when it runs past `end` or past 5 bytes. */
function varint(body: Uint8Array, end: number): number {
  let raw = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    if (at >= end) return NaN;
    const b = body[at++]!;
    raw |= (b & 0x7f) << shift;
    if ((b & 0x80) === 0) return (raw >>> 1) ^ -(raw & 1);
  }
  return NaN;
}

/** Moves `at` past a varlong (up to 10 bytes); false when it runs past `end`. */
function skipVarlong(body: Uint8Array, end: number): boolean {
  for (let i = 0; i < 10; i++) {
    if (at >= end) return false;
    if ((body[at++]! & 0x80) === 0) return true;
  }
  return false;
}

/**
 * Kafka's LogValidator refuses a record without a key on a topic whose cleanup.policy includes compact (the cleaner
 * could never replace or delete it), with INVALID_RECORD. Walks each v2 batch's records in place, decompressing a
 * compressed batch once; control batches carry no user keys. Called only for compacted topics, so other topics'
 * produce pays nothing. Null when every record has a key.
 */
export function keylessRecordProblem(batches: Buffer): { errorCode: number; message: string } | null {
  for (let pos = 0; pos + BATCH.HEADER_SIZE <= batches.length; pos += BATCH.LOG_OVERHEAD + batches.readInt32BE(pos + BATCH.BATCH_LENGTH)) {
    const attributes = batches.readInt16BE(pos + BATCH.ATTRIBUTES);
    if ((attributes & ATTR.CONTROL) !== 0) continue;
    const count = batches.readInt32BE(pos + BATCH.RECORD_COUNT);
    const batchEnd = pos + BATCH.LOG_OVERHEAD + batches.readInt32BE(pos + BATCH.BATCH_LENGTH);
    const codec = attributes & ATTR.COMPRESSION_MASK;
    let body: Uint8Array = batches;
    let end = batchEnd;
    at = pos + BATCH.RECORDS;
    if (codec !== 0) {
      try {
        body = decompress(codec, batches.subarray(at, batchEnd));
      } catch (err) {
        return { errorCode: ErrorCode.CORRUPT_MESSAGE, message: `batch at byte ${pos} does not decompress: ${(err as Error).message}` };
      }
      at = 0;
      end = body.length;
    }
    for (let i = 0; i < count; i++) {
      const length = varint(body, end);
      const next = at + length;
      if (!(length > 0 && next <= end)) return malformed(pos, i);
      at++; // attributes
      if (!skipVarlong(body, next)) return malformed(pos, i);
      if (Number.isNaN(varint(body, next))) return malformed(pos, i); // offset delta
      const keyLength = varint(body, next);
      if (Number.isNaN(keyLength)) return malformed(pos, i);
      if (keyLength < 0) return { errorCode: ErrorCode.INVALID_RECORD, message: 'Compacted topic cannot accept message without key' };
      at = next;
    }
  }
  return null;
}

function malformed(pos: number, i: number): { errorCode: number; message: string } {
  return { errorCode: ErrorCode.INVALID_RECORD, message: `record ${i} of the batch at byte ${pos} is malformed` };
}
