import { BATCH } from '../../protocol/records/batchHeader';

/*
 * Counting messages from batch headers keeps metrics O(1) per batch: a v2
 * batch states its record count at RECORD_COUNT. Legacy (magic 0/1) entries
 * share the first 17 bytes of layout (offset, size, crc, magic); each entry
 * counts as one message, so a compressed legacy wrapper counts once.
 */

const MIN_ENTRY = 17;

/** Reads a record set given as one Buffer or as chunks, with a cursor that only moves forward. */
class ChunkCursor {
  private index = 0;
  private start = 0;
  readonly total: number;

  constructor(private readonly chunks: readonly Buffer[]) {
    let t = 0;
    for (const c of chunks) t += c.length;
    this.total = t;
  }

  private seek(abs: number): Buffer {
    while (abs >= this.start + this.chunks[this.index]!.length) {
      this.start += this.chunks[this.index]!.length;
      this.index++;
    }
    return this.chunks[this.index]!;
  }

  /** Big-endian int32 at an absolute position; bytes may straddle chunks. */
  int32(abs: number): number {
    const c = this.seek(abs);
    const rel = abs - this.start;
    if (rel + 4 <= c.length) return c.readInt32BE(rel);
    let v = 0;
    for (let i = 0; i < 4; i++) v = (v << 8) | this.int8(abs + i, true);
    return v | 0;
  }

  int8(abs: number, unsigned = false): number {
    const c = this.seek(abs);
    const b = c[abs - this.start]!;
    return unsigned ? b : (b << 24) >> 24;
  }
}

/** Messages in whole batches/entries of a record set; a trailing partial batch (KIP-74 cut) is not counted. */
export function countRecords(data: Buffer | readonly Buffer[] | null | undefined): number {
  if (!data) return 0;
  if (Buffer.isBuffer(data)) return countInBuffer(data);
  if (data.length === 0) return 0;
  if (data.length === 1) return countInBuffer(data[0]!);
  const cur = new ChunkCursor(data);
  let pos = 0;
  let count = 0;
  while (pos + MIN_ENTRY <= cur.total) {
    const size = BATCH.LOG_OVERHEAD + cur.int32(pos + BATCH.BATCH_LENGTH);
    if (size < MIN_ENTRY || pos + size > cur.total) break;
    const magic = cur.int8(pos + BATCH.MAGIC);
    if (magic >= 2) {
      if (size < BATCH.HEADER_SIZE) break;
      count += cur.int32(pos + BATCH.RECORD_COUNT);
    } else {
      count += 1;
    }
    pos += size;
  }
  return count;
}

/** The common case (one contiguous record set) without the cursor. */
function countInBuffer(buf: Buffer): number {
  let pos = 0;
  let count = 0;
  while (pos + MIN_ENTRY <= buf.length) {
    const size = BATCH.LOG_OVERHEAD + buf.readInt32BE(pos + BATCH.BATCH_LENGTH);
    if (size < MIN_ENTRY || pos + size > buf.length) break;
    if (buf[pos + BATCH.MAGIC]! >= 2) {
      if (size < BATCH.HEADER_SIZE) break;
      count += buf.readInt32BE(pos + BATCH.RECORD_COUNT);
    } else {
      count += 1;
    }
    pos += size;
  }
  return count;
}

export function byteLength(data: Buffer | readonly Buffer[] | null | undefined): number {
  if (!data) return 0;
  if (Buffer.isBuffer(data)) return data.length;
  let n = 0;
  for (const c of data) n += c.length;
  return n;
}
