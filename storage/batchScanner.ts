import { checkBatch, plausibleBatchSize } from './batch';
import { BATCH } from '../protocol/records/batchHeader';

const CHUNK = 8 * 1024 * 1024;

/** What a scan reads from: a segment, or anything shaped like one. */
export interface BatchSource {
  read(position: number, length: number): Promise<Buffer>;
}

export interface ScannedBatch {
  /** Buffer holding the batch at `offsetInBuf`. */
  buf: Buffer;
  offsetInBuf: number;
  /** File position of the batch. */
  position: number;
  size: number;
}

export interface ScanEnd {
  /** Position after the last good batch. */
  end: number;
  /** Why the scan stopped before `limit`, if it did. */
  problem?: string;
}

/**
 * Walks the batches of a segment from `from` to `limit` in large reads.
 * With `verify`, each batch must pass header checks and CRC-32C (recovery);
 * without, only the header is checked (reads of already validated data).
 * The visitor returns false to stop early.
 */
export async function scanBatches(
  seg: BatchSource,
  from: number,
  limit: number,
  verify: boolean,
  visit: (b: ScannedBatch) => boolean | void,
): Promise<ScanEnd> {
  let pos = from;
  while (pos < limit) {
    const want = Math.min(CHUNK, limit - pos);
    let buf = await seg.read(pos, want);
    if (buf.length === 0) return { end: pos, problem: `file ends at ${pos}, expected ${limit}` };
    let p = 0;
    while (p < buf.length) {
      const available = buf.length - p;
      const moreInFile = pos + buf.length < limit;
      if (available < BATCH.HEADER_SIZE && moreInFile) break;
      const size = plausibleBatchSize(buf, p, available);
      if (size > 0 && size > available && moreInFile) {
        if (p === 0) {
          // one batch larger than the chunk: read exactly it
          const need = Math.min(size, limit - pos);
          buf = await seg.read(pos, need);
          if (buf.length < need) return { end: pos, problem: `file ends inside the batch at ${pos}` };
          continue;
        }
        break;
      }
      const check = verify ? checkBatch(buf, p, available) : size < 0 ? { ok: false as const, reason: 'invalid batch header' } : size > available ? { ok: false as const, reason: `torn batch (${available} of ${size} bytes)` } : { ok: true as const, size };
      if (!check.ok) return { end: pos + p, problem: `${check.reason} at position ${pos + p}` };
      if (visit({ buf, offsetInBuf: p, position: pos + p, size: check.size }) === false) return { end: pos + p + check.size };
      p += check.size;
    }
    if (p === 0) return { end: pos, problem: `no progress at position ${pos}` };
    pos += p;
  }
  return { end: pos };
}
