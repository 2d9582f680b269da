import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { compressSync as rawSnappy } from 'snappy';
import { compressFrameSync } from 'lz4-napi';
import { compress as zstdOneShot, CompressStream } from 'zstd-napi';
import { Compression } from '../../protocol/records/batchHeader';
import { CompressionError, compress, decompress } from '../../protocol/records/compression';

const CODECS = [Compression.None, Compression.Gzip, Compression.Snappy, Compression.Lz4, Compression.Zstd];

function sample(size: number): Buffer {
  // Half random, half repetitive: compressible but not trivially.
  const b = Buffer.alloc(size);
  randomBytes(size >> 1).copy(b);
  b.fill('kafka-', size >> 1);
  return b;
}

function expectCompressionError(fn: () => unknown, kind: string): void {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(CompressionError);
    expect((err as CompressionError).kind).to.equal(kind);
    return;
  }
  expect.fail('expected a CompressionError');
}

function zstdStreamed(data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = new CompressStream();
    const parts: Buffer[] = [];
    s.on('data', (d: Buffer) => parts.push(d));
    s.on('end', () => resolve(Buffer.concat(parts)));
    s.on('error', reject);
    s.end(data);
  });
}

describe('record compression codecs', () => {
  for (const codec of CODECS) {
    it(`round-trips codec ${codec} for empty, small and multi-block inputs`, () => {
      for (const size of [0, 1, 100, 200_000]) {
        const data = sample(size);
        expect(decompress(codec, compress(codec, data)).equals(data), `size ${size}`).to.equal(true);
      }
    });
  }

  it('writes xerial-framed snappy like the Java client', () => {
    const out = compress(Compression.Snappy, sample(100_000));
    expect(out.subarray(0, 8).equals(Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]))).to.equal(true);
    expect(out.readInt32BE(8)).to.equal(1);
    expect(out.readInt32BE(12)).to.equal(1);
    // 100 000 bytes in 32 KiB blocks: four length-prefixed blocks fill the rest exactly.
    let pos = 16;
    let blocks = 0;
    while (pos < out.length) {
      pos += 4 + out.readInt32BE(pos);
      blocks++;
    }
    expect(pos).to.equal(out.length);
    expect(blocks).to.equal(4);
  });

  it('reads raw snappy as librdkafka writes it', () => {
    const data = sample(50_000);
    expect(decompress(Compression.Snappy, rawSnappy(data)).equals(data)).to.equal(true);
  });

  it('writes LZ4 frames with independent 64 KiB blocks and reads frames from lz4-napi', () => {
    const ours = compress(Compression.Lz4, sample(10));
    expect(ours.readUInt32LE(0)).to.equal(0x184d2204);
    expect(ours[4] & 0x20, 'block independence flag').to.equal(0x20);
    expect((ours[5] >> 4) & 7, '64 KiB block maximum').to.equal(4);
    const data = sample(300_000);
    const withChecksums = compressFrameSync(data, { contentChecksum: true, blockChecksums: true });
    expect(decompress(Compression.Lz4, withChecksums).equals(data)).to.equal(true);
  });

  it('reads zstd frames without a content size (streaming compressors)', async () => {
    const data = sample(400_000);
    const streamed = await zstdStreamed(data);
    expect(decompress(Compression.Zstd, streamed).equals(data)).to.equal(true);
    expect(decompress(Compression.Zstd, zstdOneShot(data)).equals(data)).to.equal(true);
  });

  it('refuses unknown codecs with a typed error', () => {
    expectCompressionError(() => compress(5, Buffer.from('x')), 'unsupported');
    expectCompressionError(() => decompress(7, Buffer.from('x')), 'unsupported');
  });

  describe('decompression bombs', () => {
    const bomb = Buffer.alloc(20 * 1024 * 1024);
    const cap = 1024 * 1024;
    for (const codec of [Compression.Gzip, Compression.Snappy, Compression.Lz4, Compression.Zstd]) {
      it(`codec ${codec}: stops at the cap instead of inflating 20 MiB`, () => {
        const packed = compress(codec, bomb);
        expect(packed.length).to.be.lessThan(bomb.length / 10);
        expectCompressionError(() => decompress(codec, packed, cap), 'too-large');
        expect(decompress(codec, packed, bomb.length).length).to.equal(bomb.length);
      });
    }

    it('raw snappy announcing a huge length is refused before decoding', () => {
      // Preamble claims 2^31 bytes; the body is one tiny literal.
      const hostile = Buffer.from([0x80, 0x80, 0x80, 0x80, 0x08, 0x00, 0x61]);
      expectCompressionError(() => decompress(Compression.Snappy, hostile, cap), 'too-large');
    });

    it('a zstd frame lying about its content size gives a typed error', () => {
      const frame = Buffer.from(zstdOneShot(Buffer.alloc(1000, 1)));
      // Single-segment frame with a 2-byte content size field (value - 256) right after the descriptor.
      expect(frame[4]).to.equal(0x60);
      expect(frame.readUInt16LE(5) + 256).to.equal(1000);
      expect(decompress(Compression.Zstd, frame, 1000).length).to.equal(1000);
      expectCompressionError(() => decompress(Compression.Zstd, frame, 999), 'too-large');
      frame.writeUInt16LE(0xffff, 5); // now claims 65 791 bytes
      expectCompressionError(() => decompress(Compression.Zstd, frame, 100_000), 'corrupt');
    });
  });

  describe('corrupt input', () => {
    for (const codec of [Compression.Gzip, Compression.Snappy, Compression.Lz4, Compression.Zstd]) {
      it(`codec ${codec}: garbage and truncation give typed errors`, () => {
        const packed = compress(codec, sample(100_000));
        expectCompressionError(() => decompress(codec, Buffer.from('definitely not compressed data')), 'corrupt');
        expectCompressionError(() => decompress(codec, packed.subarray(0, packed.length >> 1)), 'corrupt');
      });
    }

    it('xerial block lengths that overrun the input are corrupt', () => {
      const packed = Buffer.from(compress(Compression.Snappy, sample(1000)));
      packed.writeInt32BE(1_000_000, 16);
      expectCompressionError(() => decompress(Compression.Snappy, packed), 'corrupt');
    });
  });

  it('gzip written by other tools decodes', () => {
    const data = sample(5000);
    expect(decompress(Compression.Gzip, gzipSync(data, { level: 9 })).equals(data)).to.equal(true);
  });
  describe('payloads from the reference C libraries', () => {
    // Generated with python3-lz4 1.9.4 (liblz4): lz4.frame.compress(bytes(range(256)) * 512,
    // block_size=64 KiB, block_linked=True, content_checksum=True, store_size=True, block_checksum=True).
    // Linked blocks: the second block refers back into the first, as librdkafka's default LZ4F output may.
    const LIBLZ4_LINKED_FRAME =
    '04224d185c400000020000000000730a020000fff1000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c' +
    '1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e' +
    '4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f80' +
    '8182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2' +
    'b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4' +
    'e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff0001ffffffffffffffffffffffffffffffffffffffffff' +
    'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff' +
    'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff' +
    'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff' +
    'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff' +
    'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe750fbfcfdfeff2912674c0a0100000f' +
    '00ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff' +
    'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff' +
    'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff' +
    'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff' +
    'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff' +
    'ffffffffffffffffe850fbfcfdfeff0cf1629600000000ef897ca4';
    // python-snappy (libsnappy) raw block of b''.join(b'record-%03d;' % (i % 50) for i in range(400)).
    const LIBSNAPPY_RAW =
    'b022287265636f72642d3030303b150b0031190b0032190b0033190b0034190b0035190b0036190b0037190b0038190b0039' +
    '150b0031196e0031196e0031196e0031196e0031196e0031196e0031196e0031196e0031196e0031196e0032196e0032196e' +
    '0032196e0032196e0032196e0032196e0032196e0032196e0032196e0032196e0033196e0033196e0033196e0033196e0033' +
    '196e0033196e0033196e0033196e0033196e0033196e0034196e0034196e0034196e0034196e0034196e0034196e0034196e' +
    '0034196e0034196e0034196efe2602fe2602fe2602fe2602fe2602fe2602fe2602fe2602fe2602fe2602fe2602fe2602fe26' +
    '02fe2602fe2602fe2602fe2602fe2602fe2602fe2602fe2602fe2602fe2602fe2602fe2602fe2602fe2602fe2602fe2602fe' +
    '2602fe2602fe2602fe2602fe2602fe2602fe2602fe2602fe2602fe2602fe2602fe2602fe2602fe2602fe2602fe2602fe2602' +
    'fe2602fe2602fe2602fe2602fe2602fe2602fe2602fe2602fe2602fe2602fe2602fe2602fe2602ee26024926';

    it('decodes a liblz4 frame with linked blocks, checksums and a content size', () => {
      const frame = Buffer.from(LIBLZ4_LINKED_FRAME, 'hex');
      const expected = Buffer.alloc(256 * 512);
      for (let i = 0; i < expected.length; i++) expected[i] = i & 0xff;
      expect(decompress(Compression.Lz4, frame).equals(expected)).to.equal(true);
      expectCompressionError(() => decompress(Compression.Lz4, frame, 1000), 'too-large');
    });

    it('decodes a libsnappy raw block', () => {
      const parts: string[] = [];
      for (let i = 0; i < 400; i++) parts.push(`record-${String(i % 50).padStart(3, '0')};`);
      expect(decompress(Compression.Snappy, Buffer.from(LIBSNAPPY_RAW, 'hex')).toString()).to.equal(parts.join(''));
    });
  });
});
