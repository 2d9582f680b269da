import { expect } from 'chai';
import crc32 from 'buffer-crc32';
import { gzipSync } from 'node:zlib';
import { DecodeError } from '../../protocol/codec/errors';
import { Compression } from '../../protocol/records/batchHeader';
import { buildRecordBatch, decodeRecordBatch } from '../../protocol/records/batch';
import { buildControlBatch } from '../../protocol/records/control';
import { CompressionError } from '../../protocol/records/compression';
import { convertLegacyToV2, convertV2ToLegacy, decodeLegacyMessageSet } from '../../protocol/records/legacy';
import { validateProduceRecords } from '../../protocol/records/validate';
import {
  KjsCompression,
  installKafkajsCodecs,
  kjsBuildMessageSet,
  kjsDecodeMessageSet,
  restoreKafkajsCodecs,
} from './records-kafkajs-helpers';

const T0 = 1_600_000_000_000n;

/** One log entry, written field by field as the old format specifies. */
function message(
  offset: bigint,
  magic: 0 | 1,
  key: Buffer | string | null,
  value: Buffer | string | null,
  opts: { attributes?: number; timestamp?: bigint } = {},
): Buffer {
  const k = typeof key === 'string' ? Buffer.from(key) : key;
  const v = typeof value === 'string' ? Buffer.from(value) : value;
  const body: Buffer[] = [Buffer.from([magic, opts.attributes ?? 0])];
  if (magic === 1) {
    const ts = Buffer.alloc(8);
    ts.writeBigInt64BE(opts.timestamp ?? -1n);
    body.push(ts);
  }
  for (const f of [k, v]) {
    const len = Buffer.alloc(4);
    len.writeInt32BE(f === null ? -1 : f.length);
    body.push(len);
    if (f) body.push(f);
  }
  const content = Buffer.concat(body);
  const head = Buffer.alloc(16);
  head.writeBigInt64BE(offset, 0);
  head.writeInt32BE(content.length + 4, 8);
  head.writeUInt32BE(crc32.unsigned(content), 12);
  return Buffer.concat([head, content]);
}

function expectDecodeError(fn: () => unknown): void {
  expect(fn).to.throw(DecodeError);
}

describe('legacy message sets (magic 0 and 1)', () => {
  before(installKafkajsCodecs);
  after(restoreKafkajsCodecs);

  it('decodes uncompressed magic 0 and magic 1 messages', () => {
    const v0 = Buffer.concat([message(0n, 0, 'k0', 'v0'), message(1n, 0, null, 'v1'), message(2n, 0, 'k2', null)]);
    const r0 = decodeLegacyMessageSet(v0);
    expect(r0.map((r) => [r.offset, r.magic, r.timestamp, r.key?.toString() ?? null, r.value?.toString() ?? null])).to.deep.equal([
      [0n, 0, -1n, 'k0', 'v0'],
      [1n, 0, -1n, null, 'v1'],
      [2n, 0, -1n, 'k2', null],
    ]);
    const v1 = Buffer.concat([message(7n, 1, 'a', 'x', { timestamp: T0 }), message(8n, 1, 'b', 'y', { timestamp: T0 + 9n })]);
    const r1 = decodeLegacyMessageSet(v1);
    expect(r1.map((r) => [r.offset, r.magic, r.timestamp, r.timestampType])).to.deep.equal([
      [7n, 1, T0, 'create'],
      [8n, 1, T0 + 9n, 'create'],
    ]);
  });

  it('unwraps compressed wrappers: relative inner offsets for magic 1, absolute for magic 0', () => {
    const innerV1 = Buffer.concat([0n, 1n, 2n].map((o) => message(o, 1, `k${o}`, `v${o}`, { timestamp: T0 + o })));
    const wrapperV1 = message(102n, 1, null, gzipSync(innerV1), { attributes: Compression.Gzip, timestamp: T0 + 2n });
    const r1 = decodeLegacyMessageSet(wrapperV1);
    expect(r1.map((r) => [r.offset, r.timestamp, r.key?.toString(), r.compression])).to.deep.equal([
      [100n, T0, 'k0', Compression.Gzip],
      [101n, T0 + 1n, 'k1', Compression.Gzip],
      [102n, T0 + 2n, 'k2', Compression.Gzip],
    ]);

    const innerV0 = Buffer.concat([50n, 51n].map((o) => message(o, 0, null, `v${o}`)));
    const wrapperV0 = message(51n, 0, null, gzipSync(innerV0), { attributes: Compression.Gzip });
    expect(decodeLegacyMessageSet(wrapperV0).map((r) => r.offset)).to.deep.equal([50n, 51n]);
  });

  it('applies a log-append wrapper timestamp to every inner message', () => {
    const inner = Buffer.concat([message(0n, 1, null, 'a', { timestamp: 1n }), message(1n, 1, null, 'b', { timestamp: 2n })]);
    const wrapper = message(1n, 1, null, gzipSync(inner), { attributes: Compression.Gzip | 0x08, timestamp: T0 });
    const r = decodeLegacyMessageSet(wrapper);
    expect(r.map((x) => [x.timestamp, x.timestampType])).to.deep.equal([
      [T0, 'log-append'],
      [T0, 'log-append'],
    ]);
  });

  it('refuses corrupt, truncated and hostile message sets with typed errors', () => {
    const good = Buffer.concat([message(0n, 1, 'k', 'v', { timestamp: T0 }), message(1n, 1, 'k', 'v', { timestamp: T0 })]);
    const badCrc = Buffer.from(good);
    badCrc[good.length - 1] ^= 1;
    expectDecodeError(() => decodeLegacyMessageSet(badCrc));
    expect(decodeLegacyMessageSet(badCrc, { verifyCrc: false })).to.have.length(2);
    expectDecodeError(() => decodeLegacyMessageSet(good.subarray(0, good.length - 3)));
    expectDecodeError(() => decodeLegacyMessageSet(good.subarray(0, 5)));
    const tiny = Buffer.from(good);
    tiny.writeInt32BE(3, 8);
    expectDecodeError(() => decodeLegacyMessageSet(tiny));
    const huge = Buffer.from(good);
    huge.writeInt32BE(0x7fffffff, 8);
    expectDecodeError(() => decodeLegacyMessageSet(huge));
    // key length beyond the message, with a valid CRC
    const keyLie = message(0n, 0, 'k', 'v');
    keyLie.writeInt32BE(1_000_000, 18);
    keyLie.writeUInt32BE(crc32.unsigned(keyLie.subarray(16)), 12);
    expectDecodeError(() => decodeLegacyMessageSet(keyLie));
    // magic 2 where a message is expected
    const magic2 = message(0n, 0, 'k', 'v');
    magic2.writeInt8(2, 16);
    magic2.writeUInt32BE(crc32.unsigned(magic2.subarray(16)), 12);
    expectDecodeError(() => decodeLegacyMessageSet(magic2));
    // compressed message inside a compressed wrapper
    const nested = message(0n, 1, null, gzipSync(message(0n, 1, null, gzipSync(message(0n, 1, null, 'x')), { attributes: 1 })), { attributes: 1 });
    expectDecodeError(() => decodeLegacyMessageSet(nested));
    // an empty wrapper and a wrapper with a null value
    expectDecodeError(() => decodeLegacyMessageSet(message(0n, 1, null, gzipSync(Buffer.alloc(0)), { attributes: 1 })));
    expectDecodeError(() => decodeLegacyMessageSet(message(0n, 1, null, null, { attributes: 1 })));
    // zstd did not exist for magic 0/1
    expect(() => decodeLegacyMessageSet(message(0n, 1, null, 'x', { attributes: 4 }))).to.throw(CompressionError);
    // a wrapper that inflates past the cap
    const bomb = message(0n, 1, null, gzipSync(Buffer.alloc(8 * 1024 * 1024)), { attributes: 1 });
    expect(() => decodeLegacyMessageSet(bomb, { maxDecompressedSize: 1024 * 1024 })).to.throw(CompressionError);
  });

  it('converts an old producer message set to one valid v2 batch', () => {
    const inner = Buffer.concat([0n, 1n, 2n].map((o) => message(o, 1, `k${o}`, `v${o}`, { timestamp: T0 + o * 10n })));
    const v2 = convertLegacyToV2(message(2n, 1, null, gzipSync(inner), { attributes: Compression.Gzip, timestamp: T0 + 20n }));
    const check = validateProduceRecords(v2);
    expect(check.ok).to.equal(true);
    const b = decodeRecordBatch(v2);
    expect(b.compression).to.equal(Compression.Gzip);
    expect(b.records.map((r) => [r.offsetDelta, r.timestamp, r.key?.toString(), r.value?.toString()])).to.deep.equal([
      [0, T0, 'k0', 'v0'],
      [1, T0 + 10n, 'k1', 'v1'],
      [2, T0 + 20n, 'k2', 'v2'],
    ]);
    expect(b.maxTimestamp).to.equal(T0 + 20n);

    const fromV0 = decodeRecordBatch(convertLegacyToV2(Buffer.concat([message(0n, 0, 'a', '1'), message(1n, 0, null, null)])));
    expect(fromV0.compression).to.equal(Compression.None);
    expect(fromV0.records.map((r) => [r.timestamp, r.key?.toString() ?? null, r.value])).to.deep.equal([
      [-1n, 'a', Buffer.from('1')],
      [-1n, null, null],
    ]);
    expect(fromV0.maxTimestamp).to.equal(-1n);
    expectDecodeError(() => convertLegacyToV2(Buffer.alloc(0)));
  });

  for (const codec of [Compression.None, Compression.Gzip, Compression.Snappy, Compression.Lz4]) {
    for (const version of [0, 1] as const) {
      it(`reads kafkajs Produce v${version === 0 ? 0 : 2} message sets (magic ${version}, codec ${codec})`, async () => {
        const entries = [
          { key: 'k1', value: 'one', timestamp: Number(T0) },
          { key: null, value: 'two', timestamp: Number(T0) + 3 },
        ];
        const set = await kjsBuildMessageSet(version, codec, entries);
        const records = decodeLegacyMessageSet(set);
        expect(records.map((r) => [r.magic, r.key?.toString() ?? null, r.value?.toString()])).to.deep.equal([
          [version, 'k1', 'one'],
          [version, null, 'two'],
        ]);
        if (version === 1) expect(records.map((r) => r.timestamp)).to.deep.equal([T0, T0 + 3n]);
        const b = decodeRecordBatch(convertLegacyToV2(set));
        expect(b.records.map((r) => r.value?.toString())).to.deep.equal(['one', 'two']);
        expect(b.compression).to.equal(codec);
      });
    }
  }

  describe('v2 to legacy for old consumers', () => {
    const records = [
      { key: 'a', value: 'first', timestamp: T0, headers: [{ key: 'dropped', value: 'x' }] },
      { key: null, value: 'second', timestamp: T0 + 5n },
      { key: 'c', value: null, timestamp: T0 + 2n },
    ];

    for (const codec of [Compression.None, Compression.Gzip, Compression.Snappy, Compression.Lz4, Compression.Zstd]) {
      for (const magic of [0, 1] as const) {
        it(`codec ${codec} to magic ${magic}: Brook and kafkajs read the same records`, async () => {
          const batches = Buffer.concat([
            buildRecordBatch({ baseOffset: 40n, records, compression: codec }),
            buildControlBatch({ baseOffset: 43n, producerId: 1n, producerEpoch: 0, commit: true, coordinatorEpoch: 0 }),
            buildRecordBatch({ baseOffset: 44n, records: [{ value: 'after', timestamp: T0 + 9n }], compression: codec }),
          ]);
          const legacy = convertV2ToLegacy(batches, magic);
          const ours = decodeLegacyMessageSet(legacy);
          expect(ours.map((r) => [r.offset, r.magic, r.key?.toString() ?? null, r.value?.toString() ?? null])).to.deep.equal([
            [40n, magic, 'a', 'first'],
            [41n, magic, null, 'second'],
            [42n, magic, 'c', null],
            [44n, magic, null, 'after'],
          ]);
          expect(ours.map((r) => r.timestamp)).to.deep.equal(magic === 1 ? [T0, T0 + 5n, T0 + 2n, T0 + 9n] : [-1n, -1n, -1n, -1n]);
          const theirs = await kjsDecodeMessageSet(legacy);
          expect(theirs.map((r) => [r.offset, r.value?.toString() ?? null])).to.deep.equal([
            ['40', 'first'],
            ['41', 'second'],
            ['42', null],
            ['44', 'after'],
          ]);
          if (magic === 1) expect(theirs.map((r) => r.timestamp)).to.deep.equal([T0, T0 + 5n, T0 + 2n, T0 + 9n].map(String));
          // and back again
          const again = decodeRecordBatch(convertLegacyToV2(legacy));
          expect(again.records.map((r) => r.value?.toString() ?? null)).to.deep.equal(['first', 'second', null, 'after']);
        });
      }
    }

    it('keeps compressed batches compressed where the old format allows it', () => {
      const b = buildRecordBatch({ baseOffset: 0n, records, compression: Compression.Gzip });
      const legacy = convertV2ToLegacy(b, 1);
      expect(legacy.readInt8(17) & 0x07).to.equal(Compression.Gzip);
      expect(legacy.readBigInt64BE(0)).to.equal(2n); // wrapper carries the last inner offset
      const zstd = convertV2ToLegacy(buildRecordBatch({ records, compression: Compression.Zstd }), 1);
      expect(decodeLegacyMessageSet(zstd).every((r) => r.compression === Compression.None)).to.equal(true);
    });
  });
});
