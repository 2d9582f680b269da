/**
 * Access to kafkajs's own record batch / message set encoders and decoders,
 * and codec plug-ins for the codecs kafkajs does not ship (the way kafkajs
 * users add snappy/lz4/zstd), written independently of Brook's codecs so the
 * interop tests compare two implementations.
 */
import { compressSync as snappyCompress, uncompressSync as snappyUncompress } from 'snappy';
import { compressFrameSync, decompressFrameSync } from 'lz4-napi';
import { compress as zstdCompress, decompress as zstdDecompress } from 'zstd-napi';

export interface KjsEncoder {
  buffer: Buffer;
}

export interface KjsCodec {
  compress(encoder: KjsEncoder): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

export interface KjsLong {
  toString(): string;
}

export interface KjsRecordInput {
  offsetDelta?: number;
  timestampDelta?: number;
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Record<string, Buffer | string | Array<Buffer | string>>;
}

export interface KjsDecodedRecord {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | Buffer[]>;
  isControlRecord: boolean;
}

export interface KjsDecodedBatch {
  firstOffset: string;
  producerId: string;
  producerEpoch: number;
  firstSequence: number;
  inTransaction: boolean;
  isControlBatch: boolean;
  lastOffsetDelta: number;
  records: KjsDecodedRecord[];
}

export interface KjsLegacyMessage {
  offset: string;
  magicByte: number;
  timestamp?: string;
  key: Buffer | null;
  value: Buffer | null;
}

/* eslint-disable @typescript-eslint/no-require-imports */
export const kjsLong = require('kafkajs/src/utils/long') as { fromValue(v: number | string | bigint): KjsLong };
const DecoderClass = require('kafkajs/src/protocol/decoder') as new (buf: Buffer) => object;
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as {
  RecordBatch(opts: Record<string, unknown>): Promise<KjsEncoder>;
};
const kjsRecord = require('kafkajs/src/protocol/recordBatch/record/v0') as (r: KjsRecordInput) => KjsEncoder;
const kjsBatchDecoder = require('kafkajs/src/protocol/recordBatch/v0/decoder') as (d: object) => Promise<KjsDecodedBatch>;
const kjsMessageSet = require('kafkajs/src/protocol/messageSet') as (opts: {
  messageVersion: number;
  compression?: number;
  entries: Array<{ key?: Buffer | string | null; value: Buffer | string | null; timestamp?: number; compression?: number }>;
}) => KjsEncoder & { size(): number };
const kjsMessageSetDecoder = require('kafkajs/src/protocol/messageSet/decoder') as (d: object, size: number) => Promise<KjsLegacyMessage[]>;
const { Codecs, Types, lookupCodec } = require('kafkajs/src/protocol/message/compression') as {
  Codecs: Record<number, () => KjsCodec>;
  Types: { None: 0; GZIP: 1; Snappy: 2; LZ4: 3; ZSTD: 4 };
  lookupCodec(type: number): KjsCodec;
};
/* eslint-enable @typescript-eslint/no-require-imports */

export { Types as KjsCompression };

export function kjsBuildBatch(opts: Record<string, unknown>, records: KjsRecordInput[]): Promise<Buffer> {
  return RecordBatch({ ...opts, records: records.map(kjsRecord) }).then((e) => e.buffer);
}

export function kjsDecodeBatch(buf: Buffer): Promise<KjsDecodedBatch> {
  return kjsBatchDecoder(new DecoderClass(buf));
}

/** A legacy message set the way kafkajs Produce v0-v2 sends one (a wrapper message when compressed). */
export async function kjsBuildMessageSet(
  messageVersion: 0 | 1,
  compression: number,
  entries: Array<{ key: Buffer | string | null; value: Buffer | string | null; timestamp?: number }>,
): Promise<Buffer> {
  const inner = kjsMessageSet({ messageVersion, compression, entries });
  if (compression === Types.None) return inner.buffer;
  const value = await lookupCodec(compression).compress(inner);
  return kjsMessageSet({ messageVersion, entries: [{ compression, timestamp: entries[0].timestamp, value }] }).buffer;
}

export function kjsDecodeMessageSet(buf: Buffer): Promise<KjsLegacyMessage[]> {
  return kjsMessageSetDecoder(new DecoderClass(buf), buf.length);
}

/** Minimal xerial unframing, independent of Brook's, so kafkajs can read Java-style snappy. */
function unframeSnappy(buf: Buffer): Buffer {
  const magic = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
  if (buf.length < 16 || !buf.subarray(0, 8).equals(magic)) return snappyUncompress(buf, { asBuffer: true }) as Buffer;
  const out: Buffer[] = [];
  for (let p = 16; p < buf.length; ) {
    const n = buf.readInt32BE(p);
    out.push(snappyUncompress(buf.subarray(p + 4, p + 4 + n), { asBuffer: true }) as Buffer);
    p += 4 + n;
  }
  return Buffer.concat(out);
}

const PLUGINS: Record<number, () => KjsCodec> = {
  // Raw snappy, as librdkafka writes it.
  [Types.Snappy]: () => ({
    compress: async (e) => snappyCompress(e.buffer),
    decompress: async (b) => unframeSnappy(b),
  }),
  [Types.LZ4]: () => ({
    compress: async (e) => compressFrameSync(e.buffer),
    decompress: async (b) => decompressFrameSync(b),
  }),
  [Types.ZSTD]: () => ({
    compress: async (e) => zstdCompress(e.buffer),
    decompress: async (b) => zstdDecompress(b),
  }),
};

let saved: Record<number, () => KjsCodec> | undefined;

/** Registers the plug-ins in kafkajs's global codec table; call restore in `after`. */
export function installKafkajsCodecs(): void {
  saved = { ...Codecs };
  Object.assign(Codecs, PLUGINS);
}

export function restoreKafkajsCodecs(): void {
  if (saved) {
    for (const k of Object.keys(Codecs)) delete Codecs[Number(k)];
    Object.assign(Codecs, saved);
  }
}
