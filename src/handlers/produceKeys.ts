import { ErrorCode } from '../../protocol/errors';
import { ATTR, BATCH } from '../../protocol/records/batchHeader';
import { decompress } from '../../protocol/records/compression';
import type { DecompressedBodies } from '../../protocol/records/validate';
import { RecordCursor } from '../views/recordScan';

/** One cursor for every produce: walking a batch allocates nothing per record. */
const cursor = new RecordCursor();

/**
 * Kafka's LogValidator refuses a record without a key on a topic whose cleanup.policy includes compact (the cleaner
 * could never replace or delete it), with INVALID_RECORD. Walks each v2 batch's records in place, decompressing a
 * compressed batch once (or reading the body Produce's check decompressed: `bodies`, by batch ordinal); control
 * batches carry no user keys. Called only for compacted topics, so other topics' produce pays nothing. Null when
 * every record has a key.
 */
export function keylessRecordProblem(batches: Buffer, bodies: DecompressedBodies | null = null): { errorCode: number; message: string } | null {
  for (let pos = 0, n = 0; pos + BATCH.HEADER_SIZE <= batches.length; pos += BATCH.LOG_OVERHEAD + batches.readInt32BE(pos + BATCH.BATCH_LENGTH), n++) {
    const attributes = batches.readInt16BE(pos + BATCH.ATTRIBUTES);
    if ((attributes & ATTR.CONTROL) !== 0) continue;
    const batchEnd = pos + BATCH.LOG_OVERHEAD + batches.readInt32BE(pos + BATCH.BATCH_LENGTH);
    const codec = attributes & ATTR.COMPRESSION_MASK;
    if (codec === 0) cursor.reset(batches, pos + BATCH.RECORDS, batchEnd);
    else {
      let body: Buffer;
      try {
        body = bodies?.[n] ?? decompress(codec, batches.subarray(pos + BATCH.RECORDS, batchEnd));
      } catch (err) {
        return { errorCode: ErrorCode.CORRUPT_MESSAGE, message: `batch at byte ${pos} does not decompress: ${(err as Error).message}` };
      }
      cursor.reset(body, 0, body.length);
    }
    let i = 0;
    try {
      for (; cursor.next(); i++) {
        if (cursor.keyLen < 0) return { errorCode: ErrorCode.INVALID_RECORD, message: 'Compacted topic cannot accept message without key' };
      }
    } catch {
      return { errorCode: ErrorCode.INVALID_RECORD, message: `record ${i} of the batch at byte ${pos} is malformed` };
    }
  }
  return null;
}
