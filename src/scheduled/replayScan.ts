import { ATTR, BATCH, decodeRecordBatch, iterateBatches } from '../../protocol/records';
import type { PartitionLog } from '../../storage';

const READ_BYTES = 4 << 20;

/** Reads a zigzag varint/varlong at `pos` as a number (values here stay far below 2^53). */
function readVar(buf: Buffer, pos: number): [value: number, next: number] {
  let result = 0;
  let mul = 1;
  let b: number;
  do {
    b = buf[pos++]!;
    result += (b & 0x7f) * mul;
    mul *= 128;
  } while (b & 0x80);
  // zigzag: even -> positive, odd -> negative
  return [result % 2 === 0 ? result / 2 : -(result + 1) / 2, pos];
}

/**
 * Every record of `__brook_scheduled` from its start, as (offset, key, value) views into the read buffer,
 * found by walking the record framing without building a record object, bigint or header list per
 * record: a restart with a million pending schedules replays them in well under a second of CPU.
 * Batches the scheduler did not write itself (compressed, which it never does) fall back to the decoder.
 */
export async function scanJournal(log: PartitionLog, visit: (offset: number, key: Buffer, value: Buffer | null) => void): Promise<void> {
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const res = await log.read(offset, READ_BYTES, { minOneBatch: true });
    if (res.chunks.length === 0) break;
    const buf = res.chunks.length === 1 ? res.chunks[0]! : Buffer.concat(res.chunks);
    let next = offset;
    for (const b of iterateBatches(buf)) {
      const base = Number(b.baseOffset);
      next = base + b.lastOffsetDelta + 1;
      if (b.isControl) continue;
      if ((b.attributes & ATTR.COMPRESSION_MASK) !== 0) {
        for (const r of decodeRecordBatch(buf.subarray(b.position, b.position + b.size)).records) {
          if (r.key && Number(r.offset) >= offset) visit(Number(r.offset), r.key, r.value);
        }
        continue;
      }
      let pos = b.position + BATCH.RECORDS;
      for (let i = 0; i < b.recordCount; i++) {
        let len: number;
        [len, pos] = readVar(buf, pos);
        const end = pos + len;
        pos += 1; // attributes
        [, pos] = readVar(buf, pos); // timestamp delta
        let delta: number;
        [delta, pos] = readVar(buf, pos);
        let keyLen: number;
        [keyLen, pos] = readVar(buf, pos);
        const key = keyLen < 0 ? null : buf.subarray(pos, pos + keyLen);
        pos += Math.max(0, keyLen);
        let valueLen: number;
        [valueLen, pos] = readVar(buf, pos);
        const value = valueLen < 0 ? null : buf.subarray(pos, pos + valueLen);
        const at = base + delta;
        if (key && at >= offset) visit(at, key, value);
        pos = end;
      }
    }
    if (next <= offset) break;
    offset = next;
  }
}
