import { ATTR, BATCH, decodeRecordBatch, iterateBatches, type RecordHeader } from '../../protocol/records';
import { ControlType, parseControlRecord } from '../../protocol/records/control';
import type { PartitionLog } from '../../storage';

/** Replay reads big; a delivery round reads about what it needs (a round is 2000 records of a few hundred bytes). */
const REPLAY_READ_BYTES = 4 << 20;
const ROUND_READ_BYTES = 1 << 20;

/** A journal record as the scheduler needs it: views into the read buffer, a number timestamp. */
export interface JournalRecord {
  key: Buffer | null;
  value: Buffer | null;
  timestamp: number;
  /** Decoded only when the caller asked for them. */
  headers: RecordHeader[];
}

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

function readBytes(buf: Buffer, pos: number): [Buffer | null, number] {
  let len: number;
  [len, pos] = readVar(buf, pos);
  if (len < 0) return [null, pos];
  return [buf.subarray(pos, pos + len), pos + len];
}

/**
 * Walks `__brook_scheduled` from `from` to its end (or until `stop` says so), calling `visit` with each
 * record's offset and its fields, found by walking the record framing without a bigint or an object per
 * record; headers are decoded only when `withHeaders(offset)` is true. Batches the scheduler did not
 * write itself (compressed: it never does) fall back to the generic decoder.
 */
export async function scanJournal(
  log: PartitionLog,
  visit: (offset: number, r: JournalRecord) => void,
  opts: {
    from?: number;
    withHeaders?: (offset: number) => boolean;
    stop?: (nextOffset: number) => number | null;
    readBytes?: 'replay' | 'round';
    /** Transaction markers (the transactions `__brook_scheduled` took part in). */
    onControl?: (offset: number, producerId: bigint, epoch: number, commit: boolean) => void;
  } = {},
): Promise<void> {
  let offset = Math.max(opts.from ?? log.logStartOffset, log.logStartOffset);
  while (offset < log.logEndOffset) {
    const res = await log.read(offset, opts.readBytes === 'round' ? ROUND_READ_BYTES : REPLAY_READ_BYTES, { minOneBatch: true });
    if (res.chunks.length === 0) break;
    const buf = res.chunks.length === 1 ? res.chunks[0]! : Buffer.concat(res.chunks);
    let next = offset;
    for (const b of iterateBatches(buf)) {
      const base = Number(b.baseOffset);
      next = base + b.lastOffsetDelta + 1;
      if (b.isControl) {
        if (opts.onControl && base >= offset) {
          const r = decodeRecordBatch(buf.subarray(b.position, b.position + b.size)).records[0];
          if (r) opts.onControl(base, b.producerId, b.producerEpoch, parseControlRecord(r).type === ControlType.COMMIT);
        }
        continue;
      }
      if ((b.attributes & ATTR.COMPRESSION_MASK) !== 0) {
        for (const r of decodeRecordBatch(buf.subarray(b.position, b.position + b.size)).records) {
          if (Number(r.offset) >= offset) visit(Number(r.offset), { key: r.key, value: r.value, timestamp: Number(r.timestamp), headers: r.headers });
        }
        continue;
      }
      const baseTs = Number(b.baseTimestamp);
      let pos = b.position + BATCH.RECORDS;
      for (let i = 0; i < b.recordCount; i++) {
        let len: number;
        [len, pos] = readVar(buf, pos);
        const end = pos + len;
        pos += 1; // attributes
        let tsDelta: number;
        [tsDelta, pos] = readVar(buf, pos);
        let delta: number;
        [delta, pos] = readVar(buf, pos);
        const at = base + delta;
        if (at >= offset) {
          let key: Buffer | null;
          let value: Buffer | null;
          [key, pos] = readBytes(buf, pos);
          [value, pos] = readBytes(buf, pos);
          const headers: RecordHeader[] = [];
          if (opts.withHeaders?.(at)) {
            let n: number;
            [n, pos] = readVar(buf, pos);
            for (let h = 0; h < n; h++) {
              let hk: Buffer | null;
              let hv: Buffer | null;
              [hk, pos] = readBytes(buf, pos);
              [hv, pos] = readBytes(buf, pos);
              headers.push({ key: hk ? hk.toString('utf8') : '', value: hv });
            }
          }
          visit(at, { key, value, timestamp: b.timestampType === 'log-append' ? Number(b.maxTimestamp) : baseTs + tsDelta, headers });
        }
        pos = end;
      }
    }
    if (next <= offset) break;
    offset = opts.stop ? (opts.stop(next) ?? log.logEndOffset) : next;
  }
}
