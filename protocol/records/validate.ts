import { ErrorCode } from '../errors';
import {
  ATTR,
  BATCH,
  Compression,
  batchCrcValid,
  readAttributes,
  readBaseSequence,
  readBaseTimestamp,
  readLastOffsetDelta,
  readMaxTimestamp,
  readProducerEpoch,
  readProducerId,
  readRecordCount,
} from './batchHeader';
import { MIN_BATCH_LENGTH } from './batch';
import { CompressionError, decompress } from './compression';
import { MIN_RECORD_SIZE } from './recordCodec';
import type { BatchInfo } from './types';

/**
 * Checks a Produce request's records before anything is stored. Walks batch
 * headers in place, verifies CRCs, and walks every batch's record boundaries
 * without allocating per record: a compressed batch is decompressed once for
 * that (as Kafka's LogValidator reads every record of a compressed batch before
 * the append), and its body handed back so later looks need not decompress again.
 */

export type ProduceValidation =
  | { ok: true; batches: BatchInfo[] }
  | {
      ok: false;
      errorCode: number;
      message: string;
      /** Where in the buffer the offending batch starts. */
      position: number;
      /** Set for magic 0/1 message sets: the caller may convert them with convertLegacyToV2. */
      legacyMagic?: 0 | 1;
    };

export interface ValidateOptions {
  /** Produce v3+ must carry exactly one batch per partition (Kafka answers INVALID_RECORD otherwise). */
  requireSingleBatch?: boolean;
  /**
   * Accept a batch with no records when it carries a producer id: it only records that producer's sequence
   * range on the partition (Brook's scheduler, see src/scheduled/sequencedIntake.ts; Kafka's cleaner leaves
   * such batches too). Only for the broker's own inter-broker writes.
   */
  allowSequenceOnly?: boolean;
}

function fail(errorCode: number, message: string, position: number): Extract<ProduceValidation, { ok: false }> {
  return { ok: false, errorCode, message, position };
}

/** Filled by walkBatches with each compressed batch's body (it runs synchronously: one walk at a time). */
let bodiesFound: (Buffer | undefined)[] | null = null;

export function validateProduceRecords(buf: Buffer, opts: ValidateOptions = {}): ProduceValidation {
  const batches: BatchInfo[] = [];
  const problem = walkBatches(buf, opts, batches);
  bodiesFound = null;
  return problem ?? { ok: true, batches };
}

/**
 * The decompressed records of the checked batches, by batch ordinal (undefined for an uncompressed batch): what
 * the check decompressed, for the produce path's later looks (scheduling headers, keys of a compacted topic).
 */
export type DecompressedBodies = readonly (Buffer | undefined)[];

/** A passed check of checkProduceRecords without compressed batches (shared: nothing allocated per partition). */
export const PRODUCE_RECORDS_OK: { readonly ok: true; readonly bodies: null } = { ok: true, bodies: null };
export type ProduceCheck = { readonly ok: true; readonly bodies: DecompressedBodies | null } | Extract<ProduceValidation, { ok: false }>;

/**
 * validateProduceRecords without the per-batch details: Produce's check, which
 * also refuses a batch over `maxBatchBytes` (MESSAGE_TOO_LARGE, max.message.bytes).
 */
export function checkProduceRecords(buf: Buffer, opts: ValidateOptions, maxBatchBytes: number): ProduceCheck {
  bodiesFound = null;
  const problem = walkBatches(buf, opts, null, maxBatchBytes);
  const bodies = bodiesFound;
  bodiesFound = null;
  if (problem) return problem;
  return bodies === null ? PRODUCE_RECORDS_OK : { ok: true, bodies };
}

/** The checks of both: null when every batch passed; `batches` collects their details when given. */
function walkBatches(buf: Buffer, opts: ValidateOptions, batches: BatchInfo[] | null, maxBatchBytes = Infinity): Extract<ProduceValidation, { ok: false }> | null {
  let count = 0;
  let pos = 0;
  while (pos < buf.length) {
    const left = buf.length - pos;
    // Kafka's ProduceRequest.validateRecords refuses a second batch before any of its own checks (INVALID_RECORD)
    if (opts.requireSingleBatch && count > 0 && left >= BATCH.HEADER_SIZE) {
      return fail(ErrorCode.INVALID_RECORD, 'Produce v3+ may carry exactly one record batch per partition, got more', pos);
    }
    if (left <= BATCH.MAGIC) return fail(ErrorCode.CORRUPT_MESSAGE, `${left} trailing bytes are not a batch`, pos);
    const magic = buf.readInt8(pos + BATCH.MAGIC);
    if (magic === 0 || magic === 1) {
      return {
        ok: false,
        errorCode: ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT,
        message: `legacy message format v${magic}; convert it to a v2 batch first`,
        position: pos,
        legacyMagic: magic,
      };
    }
    if (magic !== 2) return fail(ErrorCode.CORRUPT_MESSAGE, `unknown batch magic ${magic}`, pos);
    if (left < BATCH.HEADER_SIZE) return fail(ErrorCode.CORRUPT_MESSAGE, `truncated batch header (${left} bytes)`, pos);
    const batchLength = buf.readInt32BE(pos + BATCH.BATCH_LENGTH);
    if (batchLength < MIN_BATCH_LENGTH) {
      return fail(ErrorCode.CORRUPT_MESSAGE, `batch length ${batchLength} below the minimum ${MIN_BATCH_LENGTH}`, pos);
    }
    const size = BATCH.LOG_OVERHEAD + batchLength;
    if (size > left) return fail(ErrorCode.CORRUPT_MESSAGE, `batch of ${size} bytes but only ${left} left`, pos);
    if (!batchCrcValid(buf, pos)) return fail(ErrorCode.CORRUPT_MESSAGE, 'batch CRC-32C mismatch', pos);

    const attributes = readAttributes(buf, pos);
    const codec = attributes & ATTR.COMPRESSION_MASK;
    if (codec > Compression.Zstd) {
      return fail(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `unknown compression codec ${codec}`, pos);
    }
    if (attributes & ATTR.CONTROL) {
      return fail(ErrorCode.INVALID_RECORD, 'clients may not produce control batches', pos);
    }
    const recordCount = readRecordCount(buf, pos);
    if (recordCount < 0) return fail(ErrorCode.CORRUPT_MESSAGE, `negative record count ${recordCount}`, pos);
    const lastOffsetDelta = readLastOffsetDelta(buf, pos);
    // Kafka refuses producer batches whose offset span and count disagree, empty ones included.
    const sequenceOnly = recordCount === 0 && opts.allowSequenceOnly === true && readProducerId(buf, pos) >= 0n && lastOffsetDelta >= 0;
    if (recordCount === 0 && !sequenceOnly) return fail(ErrorCode.INVALID_RECORD, 'batch has no records', pos);
    if (!sequenceOnly && lastOffsetDelta !== recordCount - 1) {
      return fail(
        ErrorCode.INVALID_RECORD,
        `lastOffsetDelta ${lastOffsetDelta} inconsistent with record count ${recordCount}`,
        pos,
      );
    }
    const recordsStart = pos + BATCH.RECORDS;
    const end = pos + size;
    if (codec === Compression.None) {
      if (recordCount * MIN_RECORD_SIZE > end - recordsStart) {
        return fail(ErrorCode.CORRUPT_MESSAGE, `record count ${recordCount} cannot fit in the batch`, pos);
      }
      const problem = checkUncompressedRecords(buf, recordsStart, end, recordCount);
      if (problem !== null) return fail(problem.code, problem.message, pos);
    }
    if (size > maxBatchBytes) return fail(ErrorCode.MESSAGE_TOO_LARGE, `batch of ${size} bytes exceeds max.message.bytes ${maxBatchBytes}`, pos);
    if (codec !== Compression.None) {
      // a payload that does not decompress (or past the cap: a bomb) is this batch's CORRUPT_MESSAGE, not the request's
      let body: Buffer;
      try {
        body = decompress(codec, buf.subarray(recordsStart, end));
      } catch (err) {
        // the codecs' own errors are CompressionErrors; a native binding's other throw is the payload's fault too
        return fail(ErrorCode.CORRUPT_MESSAGE, err instanceof CompressionError ? err.message : `corrupt ${codec} payload: ${(err as Error).message}`, pos);
      }
      if (recordCount * MIN_RECORD_SIZE > body.length) {
        return fail(ErrorCode.CORRUPT_MESSAGE, `record count ${recordCount} cannot fit in the ${body.length} decompressed bytes`, pos);
      }
      const problem = checkUncompressedRecords(body, 0, body.length, recordCount);
      if (problem !== null) return fail(problem.code, problem.message, pos);
      (bodiesFound ??= [])[count] = body;
    }
    count++;
    batches?.push({
      position: pos,
      size,
      recordCount,
      lastOffsetDelta,
      baseTimestamp: readBaseTimestamp(buf, pos),
      maxTimestamp: readMaxTimestamp(buf, pos),
      producerId: readProducerId(buf, pos),
      producerEpoch: readProducerEpoch(buf, pos),
      baseSequence: readBaseSequence(buf, pos),
      isTransactional: (attributes & ATTR.TRANSACTIONAL) !== 0,
      compression: codec as Compression,
      timestampType: attributes & ATTR.TIMESTAMP_LOG_APPEND ? 'log-append' : 'create',
    });
    pos = end;
  }
  if (opts.requireSingleBatch && count !== 1) {
    return fail(ErrorCode.INVALID_RECORD, `expected exactly one record batch, got ${count}`, 0);
  }
  return null;
}

// Varint scanning without allocation: the value is returned, the position
// after it is left here. `BAD` marks truncation or an over-long encoding.
const BAD = Number.MIN_SAFE_INTEGER;
let scanPos = 0;

function scanVarint(buf: Buffer, pos: number, end: number): number {
  let u = 0;
  for (let i = 0; i < 5; i++) {
    if (pos >= end) return BAD;
    const b = buf[pos++];
    if (i === 4 && b > 0x0f) return BAD;
    u |= (b & 0x7f) << (7 * i);
    if ((b & 0x80) === 0) {
      scanPos = pos;
      u >>>= 0;
      return (u >>> 1) ^ -(u & 1);
    }
  }
  return BAD;
}

function skipVarlong(buf: Buffer, pos: number, end: number): boolean {
  for (let i = 0; i < 10; i++) {
    if (pos >= end) return false;
    if ((buf[pos++] & 0x80) === 0) {
      scanPos = pos;
      return true;
    }
  }
  return false;
}

/** Skips a varint-length-prefixed field; -1 (null) is allowed when `nullable`. */
function skipField(buf: Buffer, pos: number, end: number, nullable: boolean): boolean {
  const n = scanVarint(buf, pos, end);
  if (n === BAD) return false;
  if (n === -1 && nullable) return true;
  if (n < 0 || scanPos + n > end) return false;
  scanPos += n;
  return true;
}

interface RecordProblem {
  code: number;
  message: string;
}

function checkUncompressedRecords(buf: Buffer, start: number, end: number, count: number): RecordProblem | null {
  const corrupt = (i: number, what: string): RecordProblem => ({
    code: ErrorCode.CORRUPT_MESSAGE,
    message: `record ${i}: ${what}`,
  });
  let pos = start;
  for (let i = 0; i < count; i++) {
    const len = scanVarint(buf, pos, end);
    if (len === BAD || len < 0 || scanPos + len > end) return corrupt(i, 'invalid record length');
    const recEnd = scanPos + len;
    let p = scanPos + 1; // attributes
    if (p > recEnd || !skipVarlong(buf, p, recEnd)) return corrupt(i, 'truncated timestamp delta');
    const offsetDelta = scanVarint(buf, scanPos, recEnd);
    if (offsetDelta === BAD) return corrupt(i, 'truncated offset delta');
    if (offsetDelta !== i) {
      return { code: ErrorCode.INVALID_RECORD, message: `record ${i} has offset delta ${offsetDelta}` };
    }
    if (!skipField(buf, scanPos, recEnd, true)) return corrupt(i, 'invalid key');
    if (!skipField(buf, scanPos, recEnd, true)) return corrupt(i, 'invalid value');
    const headers = scanVarint(buf, scanPos, recEnd);
    if (headers === BAD || headers < 0) return corrupt(i, 'invalid header count');
    p = scanPos;
    for (let h = 0; h < headers; h++) {
      if (!skipField(buf, p, recEnd, false)) return corrupt(i, `invalid header ${h} key`);
      if (!skipField(buf, scanPos, recEnd, true)) return corrupt(i, `invalid header ${h} value`);
      p = scanPos;
    }
    if (p !== recEnd) return corrupt(i, `declares ${len} bytes but its fields end elsewhere`);
    pos = recEnd;
  }
  if (pos !== end) return { code: ErrorCode.CORRUPT_MESSAGE, message: `${end - pos} bytes after the last record` };
  return null;
}
