import { gzipSync, gunzipSync } from 'node:zlib';
import { compressSync as snappyCompress, uncompressSync as snappyUncompress } from 'snappy';
import { compressFrameSync as lz4CompressFrame, decompressFrameSync as lz4DecompressFrame } from 'lz4-napi';
import { compress as zstdCompress } from 'zstd-napi';
import * as zstdBinding from 'zstd-napi/binding';
import { Compression } from './batchHeader';

/**
 * Record batch payload codecs (attributes bits 0-2). Every decompressor is
 * bounded: the output size is checked against `maxSize` before (or while)
 * memory is allocated, so a small hostile batch cannot expand into gigabytes.
 */

/** Default cap on one batch's decompressed records; Kafka's own default message.max.bytes is ~1 MiB. */
export const DEFAULT_MAX_DECOMPRESSED_SIZE = 64 * 1024 * 1024;

export type CompressionErrorKind = 'unsupported' | 'corrupt' | 'too-large';

export class CompressionError extends Error {
  constructor(
    message: string,
    readonly codec: number,
    readonly kind: CompressionErrorKind,
  ) {
    super(message);
    this.name = 'CompressionError';
  }
}

export function compressionName(codec: number): string {
  switch (codec) {
    case Compression.None:
      return 'none';
    case Compression.Gzip:
      return 'gzip';
    case Compression.Snappy:
      return 'snappy';
    case Compression.Lz4:
      return 'lz4';
    case Compression.Zstd:
      return 'zstd';
    default:
      return `unknown(${codec})`;
  }
}

export function isKnownCompression(codec: number): codec is Compression {
  return codec >= Compression.None && codec <= Compression.Zstd && Number.isInteger(codec);
}

export function compress(codec: number, data: Buffer): Buffer {
  switch (codec) {
    case Compression.None:
      return data;
    case Compression.Gzip:
      return gzipSync(data);
    case Compression.Snappy:
      return xerialSnappyCompress(data);
    case Compression.Lz4:
      // lz4-napi writes independent 64 KiB blocks without checksums: the layout
      // Kafka's Java LZ4 stream and librdkafka both read.
      return lz4CompressFrame(data);
    case Compression.Zstd:
      return zstdCompress(data);
    default:
      throw new CompressionError(`unsupported compression codec ${codec}`, codec, 'unsupported');
  }
}

export function decompress(codec: number, data: Buffer, maxSize = DEFAULT_MAX_DECOMPRESSED_SIZE): Buffer {
  switch (codec) {
    case Compression.None:
      if (data.length > maxSize) throw tooLarge(codec, data.length, maxSize);
      return data;
    case Compression.Gzip:
      return gunzipBounded(data, maxSize);
    case Compression.Snappy:
      return snappyDecompress(data, maxSize);
    case Compression.Lz4:
      return lz4Decompress(data, maxSize);
    case Compression.Zstd:
      return zstdDecompress(data, maxSize);
    default:
      throw new CompressionError(`unsupported compression codec ${codec}`, codec, 'unsupported');
  }
}

function tooLarge(codec: number, size: number, maxSize: number): CompressionError {
  return new CompressionError(
    `${compressionName(codec)} payload decompresses to more than ${maxSize} bytes (at least ${size})`,
    codec,
    'too-large',
  );
}

function corrupt(codec: number, why: string): CompressionError {
  return new CompressionError(`corrupt ${compressionName(codec)} payload: ${why}`, codec, 'corrupt');
}

function gunzipBounded(data: Buffer, maxSize: number): Buffer {
  try {
    return gunzipSync(data, { maxOutputLength: Math.max(1, maxSize) });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(Compression.Gzip, maxSize + 1, maxSize);
    throw corrupt(Compression.Gzip, (err as Error).message);
  }
}

// --- snappy ---------------------------------------------------------------

/** Kafka's Java client (via snappy-java) frames snappy blocks behind this magic. */
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_SIZE = 16; // magic + int32 version + int32 min compatible version
const XERIAL_BLOCK_SIZE = 32 * 1024;

function isXerial(data: Buffer): boolean {
  return data.length >= XERIAL_HEADER_SIZE && data.compare(XERIAL_MAGIC, 0, 8, 0, 8) === 0;
}

function xerialSnappyCompress(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  const header = Buffer.alloc(XERIAL_HEADER_SIZE);
  XERIAL_MAGIC.copy(header, 0);
  header.writeInt32BE(1, 8);
  header.writeInt32BE(1, 12);
  parts.push(header);
  for (let pos = 0; pos < data.length; pos += XERIAL_BLOCK_SIZE) {
    const block = snappyCompress(data.subarray(pos, Math.min(pos + XERIAL_BLOCK_SIZE, data.length)));
    const len = Buffer.allocUnsafe(4);
    len.writeInt32BE(block.length, 0);
    parts.push(len, block);
  }
  return Buffer.concat(parts);
}

/** The uncompressed length a raw snappy block announces in its varint preamble. */
function snappyDeclaredLength(block: Buffer): number {
  let result = 0;
  for (let i = 0; i < 5; i++) {
    if (i >= block.length) throw corrupt(Compression.Snappy, 'truncated length preamble');
    const b = block[i];
    result += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) return result;
  }
  throw corrupt(Compression.Snappy, 'length preamble longer than 5 bytes');
}

function snappyBlock(block: Buffer, budget: number, maxSize: number): Buffer {
  const declared = snappyDeclaredLength(block);
  if (declared > budget) throw tooLarge(Compression.Snappy, maxSize - budget + declared, maxSize);
  try {
    return snappyUncompress(block, { asBuffer: true }) as Buffer;
  } catch (err) {
    throw corrupt(Compression.Snappy, (err as Error).message);
  }
}

/** librdkafka sends raw snappy, Java sends xerial frames: accept both. */
function snappyDecompress(data: Buffer, maxSize: number): Buffer {
  if (!isXerial(data)) return snappyBlock(data, maxSize, maxSize);
  const blocks: Buffer[] = [];
  let total = 0;
  let pos = XERIAL_HEADER_SIZE;
  while (pos < data.length) {
    if (pos + 4 > data.length) throw corrupt(Compression.Snappy, 'truncated xerial block length');
    const len = data.readInt32BE(pos);
    pos += 4;
    if (len < 0 || pos + len > data.length) throw corrupt(Compression.Snappy, `xerial block of ${len} bytes overruns input`);
    const out = snappyBlock(data.subarray(pos, pos + len), maxSize - total, maxSize);
    blocks.push(out);
    total += out.length;
    pos += len;
  }
  return blocks.length === 1 ? blocks[0] : Buffer.concat(blocks, total);
}

// --- lz4 ------------------------------------------------------------------

const LZ4_FRAME_MAGIC = 0x184d2204;
const LZ4_BLOCK_MAX: Record<number, number> = { 4: 64 * 1024, 5: 256 * 1024, 6: 1024 * 1024, 7: 4 * 1024 * 1024 };

/**
 * Walks the frames' block size fields (no decompression) to bound the output:
 * each compressed block yields at most the frame's block maximum, each stored
 * block exactly its size. Lets us refuse a bomb before lz4 allocates anything.
 * Returns the bound and the largest block maximum seen.
 */
function lz4OutputBound(data: Buffer): { bound: number; slack: number } {
  const codec = Compression.Lz4;
  let bound = 0;
  let slack = 0;
  let pos = 0;
  do {
    if (pos + 7 > data.length || data.readUInt32LE(pos) !== LZ4_FRAME_MAGIC) throw corrupt(codec, 'not an LZ4 frame');
    const flg = data[pos + 4];
    const bd = data[pos + 5];
    if (flg >> 6 !== 1) throw corrupt(codec, `unsupported LZ4 frame version ${flg >> 6}`);
    const blockMax = LZ4_BLOCK_MAX[(bd >> 4) & 0x07];
    if (blockMax === undefined) throw corrupt(codec, 'invalid LZ4 block maximum size');
    slack = Math.max(slack, blockMax);
    const blockChecksum = (flg & 0x10) !== 0;
    const hasContentSize = (flg & 0x08) !== 0;
    const contentChecksum = (flg & 0x04) !== 0;
    const hasDictId = (flg & 0x01) !== 0;
    pos += 6 + (hasContentSize ? 8 : 0) + (hasDictId ? 4 : 0) + 1;
    for (;;) {
      if (pos + 4 > data.length) throw corrupt(codec, 'truncated LZ4 frame');
      const word = data.readUInt32LE(pos);
      pos += 4;
      if (word === 0) break;
      const stored = (word & 0x80000000) !== 0;
      const size = word & 0x7fffffff;
      if (size > blockMax) throw corrupt(codec, `LZ4 block of ${size} bytes exceeds the frame maximum ${blockMax}`);
      bound += stored ? size : blockMax;
      pos += size + (blockChecksum ? 4 : 0);
    }
    if (contentChecksum) pos += 4;
    if (pos > data.length) throw corrupt(codec, 'truncated LZ4 frame');
  } while (pos < data.length);
  return { bound, slack };
}

function lz4Decompress(data: Buffer, maxSize: number): Buffer {
  const { bound, slack } = lz4OutputBound(data);
  // A frame whose real content fits in maxSize has a bound of at most
  // maxSize + one block, because only its last block can be partly filled.
  if (bound > maxSize + slack) throw tooLarge(Compression.Lz4, bound - slack, maxSize);
  let out: Buffer;
  try {
    out = lz4DecompressFrame(data);
  } catch (err) {
    throw corrupt(Compression.Lz4, (err as Error).message);
  }
  if (out.length > maxSize) throw tooLarge(Compression.Lz4, out.length, maxSize);
  return out;
}

// --- zstd -----------------------------------------------------------------

let zstdContext: zstdBinding.DCtx | undefined;

/**
 * Streaming decode into chunks so frames without a content size (written by
 * streaming compressors) work, and so the cap is enforced as output appears
 * rather than trusting a size field from the wire.
 */
function zstdDecompress(data: Buffer, maxSize: number): Buffer {
  const codec = Compression.Zstd;
  const dctx = (zstdContext ??= new zstdBinding.DCtx());
  dctx.reset(zstdBinding.ResetDirective.sessionOnly);
  const chunks: Buffer[] = [];
  let total = 0;
  let input = data;
  let frameDone = false;
  try {
    for (;;) {
      const room = maxSize - total;
      const chunk = Buffer.allocUnsafe(Math.min(Math.max(128 * 1024, input.length * 4), room + 1));
      const [hint, produced, consumed] = dctx.decompressStream(chunk, input);
      if (produced > 0) {
        total += produced;
        if (total > maxSize) throw tooLarge(codec, total, maxSize);
        chunks.push(chunk.subarray(0, produced));
      }
      input = input.subarray(consumed);
      frameDone = hint === 0;
      if (frameDone && input.length === 0) break;
      // No input left, frame unfinished and the output had room: the input is cut short.
      if (input.length === 0 && produced < chunk.length) break;
      if (produced === 0 && consumed === 0) break;
    }
  } catch (err) {
    if (err instanceof CompressionError) throw err;
    throw corrupt(codec, (err as Error).message);
  } finally {
    dctx.reset(zstdBinding.ResetDirective.sessionOnly);
  }
  if (!frameDone) throw corrupt(codec, 'truncated zstd frame');
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total);
}
