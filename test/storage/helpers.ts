import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BATCH, fixBatchCrc } from '../../protocol/records/batchHeader';
import { compress } from '../../protocol/records/compression';

export interface TestRecord {
  key?: string | null;
  value?: string | Buffer | null;
  /** Absolute timestamp; defaults to the batch base timestamp. */
  timestamp?: number;
}

function zigzagVarint(value: number): Buffer {
  let v = value >= 0 ? value * 2 : -value * 2 - 1;
  const bytes: number[] = [];
  do {
    let b = v % 128;
    v = Math.floor(v / 128);
    if (v > 0) b |= 0x80;
    bytes.push(b);
  } while (v > 0);
  return Buffer.from(bytes);
}

function bytesField(v: string | Buffer | null | undefined): Buffer[] {
  if (v === null || v === undefined) return [zigzagVarint(-1)];
  const b = typeof v === 'string' ? Buffer.from(v) : v;
  return [zigzagVarint(b.length), b];
}

/** Encodes a RecordBatch v2 (baseOffset 0, as a producer sends it) with a valid CRC. */
export function buildBatch(records: TestRecord[], opts: { baseTimestamp?: number; compression?: number; producerId?: number } = {}): Buffer {
  const baseTs = opts.baseTimestamp ?? records[0]?.timestamp ?? 1_700_000_000_000;
  let maxTs = baseTs;
  const encoded: Buffer[] = records.map((r, i) => {
    const ts = r.timestamp ?? baseTs;
    if (ts > maxTs) maxTs = ts;
    const body = Buffer.concat([
      Buffer.from([0]),
      zigzagVarint(ts - baseTs),
      zigzagVarint(i),
      ...bytesField(r.key),
      ...bytesField(r.value),
      zigzagVarint(0),
    ]);
    return Buffer.concat([zigzagVarint(body.length), body]);
  });
  const codec = opts.compression ?? 0;
  const raw = Buffer.concat(encoded);
  const payload = codec === 0 ? raw : compress(codec, raw);
  const buf = Buffer.alloc(BATCH.HEADER_SIZE + payload.length);
  buf.writeBigInt64BE(0n, BATCH.BASE_OFFSET);
  buf.writeInt32BE(buf.length - BATCH.LOG_OVERHEAD, BATCH.BATCH_LENGTH);
  buf.writeInt32BE(-1, BATCH.PARTITION_LEADER_EPOCH);
  buf.writeInt8(2, BATCH.MAGIC);
  buf.writeInt16BE(codec, BATCH.ATTRIBUTES);
  buf.writeInt32BE(Math.max(records.length - 1, 0), BATCH.LAST_OFFSET_DELTA);
  buf.writeBigInt64BE(BigInt(baseTs), BATCH.BASE_TIMESTAMP);
  buf.writeBigInt64BE(BigInt(maxTs), BATCH.MAX_TIMESTAMP);
  buf.writeBigInt64BE(BigInt(opts.producerId ?? -1), BATCH.PRODUCER_ID);
  buf.writeInt16BE(-1, BATCH.PRODUCER_EPOCH);
  buf.writeInt32BE(-1, BATCH.BASE_SEQUENCE);
  buf.writeInt32BE(records.length, BATCH.RECORD_COUNT);
  payload.copy(buf, BATCH.HEADER_SIZE);
  fixBatchCrc(buf, 0);
  return buf;
}

/** A batch of `count` records whose values pad the batch to about `bytes`. */
export function sizedBatch(bytes: number, count = 1, timestamp?: number): Buffer {
  const per = Math.max(1, Math.floor((bytes - BATCH.HEADER_SIZE) / count) - 12);
  const value = Buffer.alloc(per, 0x61);
  return buildBatch(Array.from({ length: count }, () => ({ value, timestamp })), { baseTimestamp: timestamp });
}

/** Splits a read's concatenated chunks into batches: [baseOffset, lastOffset, buffer]. */
export function splitBatches(chunks: Buffer[]): Array<{ baseOffset: number; lastOffset: number; buf: Buffer }> {
  const out: Array<{ baseOffset: number; lastOffset: number; buf: Buffer }> = [];
  for (const chunk of chunks) {
    let p = 0;
    while (p < chunk.length) {
      const size = BATCH.LOG_OVERHEAD + chunk.readInt32BE(p + BATCH.BATCH_LENGTH);
      const baseOffset = Number(chunk.readBigInt64BE(p));
      out.push({ baseOffset, lastOffset: baseOffset + chunk.readInt32BE(p + BATCH.LAST_OFFSET_DELTA), buf: chunk.subarray(p, p + size) });
      p += size;
    }
    if (p !== chunk.length) throw new Error('chunk does not end on a batch boundary');
  }
  return out;
}

export function tempDir(prefix = 'brook-storage-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

export { seededRandom } from '../helpers/seededRandom';

export function listFiles(dir: string): string[] {
  return fs.readdirSync(dir).sort();
}

/** Reads the whole log from `from` to its end, batch by batch (a read stops at a segment boundary). */
export async function readAll(log: { read(o: number, m: number): Promise<{ chunks: Buffer[] }>; logEndOffset: number }, from = 0) {
  let out: Array<{ baseOffset: number; lastOffset: number; buf: Buffer }> = [];
  for (let o = from; o < log.logEndOffset; ) {
    const got = splitBatches((await log.read(o, 1 << 22)).chunks);
    if (got.length === 0) break;
    out = out.concat(got);
    o = got[got.length - 1]!.lastOffset + 1;
  }
  return out;
}
