import { ATTR, BATCH, fixBatchCrc } from '../../protocol/records/batchHeader';
import { decompress } from '../../protocol/records/compression';
import type { RecordFilter } from './recordFilter';
import { RecordCursor } from './recordScan';

/** A copy of the batch header over only the kept records, uncompressed, with its length, count and CRC redone. */
export function rewriteBatch(buf: Buffer, pos: number, records: Buffer, ranges: readonly number[], count: number): Buffer {
  let body = 0;
  for (let i = 0; i < ranges.length; i += 2) body += ranges[i + 1]! - ranges[i]!;
  const out = Buffer.allocUnsafe(BATCH.HEADER_SIZE + body);
  buf.copy(out, 0, pos, pos + BATCH.HEADER_SIZE);
  let q = BATCH.HEADER_SIZE;
  for (let i = 0; i < ranges.length; i += 2) q += records.copy(out, q, ranges[i]!, ranges[i + 1]!);
  out.writeInt32BE(out.length - BATCH.LOG_OVERHEAD, BATCH.BATCH_LENGTH);
  out.writeInt16BE(out.readInt16BE(BATCH.ATTRIBUTES) & ~ATTR.COMPRESSION_MASK, BATCH.ATTRIBUTES);
  out.writeInt32BE(count, BATCH.RECORD_COUNT);
  fixBatchCrc(out);
  return out;
}

/** Which records of a batch to keep: by filter from an offset on, or by offset ranges already decided. */
export type Selection = { filter: RecordFilter; from: number } | { offsets: readonly number[] };

const cursor = new RecordCursor();
const byteRanges: number[] = [];

/**
 * The records of the v2 batch at buf[pos, pos + size) that `select` keeps, as a batch of their own: the batch itself
 * when it keeps all, else an uncompressed copy over the kept ones (base offset and last offset delta unchanged, as
 * compaction leaves them); null when it keeps none. The kept offsets are appended to `kept` as [first, last] pairs.
 * Share groups on a filtered view use it: only matching records are acquired, and only acquired ones delivered.
 */
export function selectRecords(buf: Buffer, pos: number, size: number, select: Selection, kept: number[]): Buffer | null {
  const attributes = buf.readInt16BE(pos + BATCH.ATTRIBUTES);
  const baseOffset = Number(buf.readBigInt64BE(pos));
  const codec = attributes & ATTR.COMPRESSION_MASK;
  const records = codec === 0 ? buf : decompress(codec, buf.subarray(pos + BATCH.RECORDS, pos + size));
  const from = codec === 0 ? pos + BATCH.RECORDS : 0;
  const to = codec === 0 ? pos + size : records.length;
  const c = cursor;
  byteRanges.length = 0;
  let count = 0;
  let all = true;
  let range = 0;
  c.reset(records, from, to);
  while (c.next()) {
    const offset = baseOffset + c.offsetDelta;
    let keep: boolean;
    if ('filter' in select) {
      keep = offset >= select.from && select.filter.matches(c);
    } else {
      const o = select.offsets;
      while (range < o.length && o[range + 1]! < offset) range += 2;
      keep = range < o.length && o[range]! <= offset;
    }
    if (!keep) {
      all = false;
      continue;
    }
    count++;
    const last = kept.length - 1;
    if (last > 0 && kept[last] === offset - 1) kept[last] = offset;
    else kept.push(offset, offset);
    const b = byteRanges.length - 1;
    if (b > 0 && byteRanges[b] === c.start) byteRanges[b] = c.stop;
    else byteRanges.push(c.start, c.stop);
  }
  if (count === 0) return null;
  if (all && codec === 0) return buf.subarray(pos, pos + size);
  return rewriteBatch(buf, pos, records, byteRanges, count);
}
