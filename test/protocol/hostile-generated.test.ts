/**
 * Hostile input against the generated decoders: whatever the bytes, a decoder
 * returns or throws DecodeError, quickly and without allocating more than the
 * input could describe.
 */
import { expect } from 'chai';
import { loadSpecs, type MessageSpec } from '../../protocol/generator/spec';
import { Reader } from '../../protocol/codec/reader';
import { Writer } from '../../protocol/codec/writer';
import { DecodeError } from '../../protocol/codec/errors';
import { decodeMetadataRequest } from '../../protocol/generated/messages/MetadataRequest';
import { decodeProduceRequest, encodeProduceRequest } from '../../protocol/generated/messages/ProduceRequest';
import { decodeApiVersionsRequest } from '../../protocol/generated/messages/ApiVersionsRequest';
import { decodeApiVersionsResponse } from '../../protocol/generated/messages/ApiVersionsResponse';
import { decodeRequestHeader } from '../../protocol/generated/headers';
import { SampleBuilder, SPEC_DIR, codecFor, interestingVersions, specsAvailable } from './generated-samples';
import { seededRandom as prng } from '../helpers/seededRandom';

/** Runs `fn`; passes if it returns or throws DecodeError, fails on anything else. */
function expectDecodeErrorOrValue(fn: () => unknown, what: string): 'ok' | 'error' {
  try {
    fn();
    return 'ok';
  } catch (e) {
    if (e instanceof DecodeError) return 'error';
    throw new Error(`${what}: threw ${(e as Error)?.name}: ${(e as Error)?.message}`);
  }
}

function expectDecodeError(fn: () => unknown, pattern?: RegExp): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, 'expected a DecodeError').to.be.instanceOf(DecodeError);
  if (pattern) expect((thrown as Error).message).to.match(pattern);
}


function be32(n: number): number[] {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return [...b];
}

describe('generated codecs: hostile input', function () {
  describe('hand-made lies', function () {
    it('rejects negative string lengths other than the null marker', function () {
      // ProduceRequest v3: transactional id length -2.
      expectDecodeError(() => decodeProduceRequest(new Reader(Buffer.from([0xff, 0xfe, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0])), 3), /negative/);
    });

    it('rejects negative and huge array counts without allocating', function () {
      expectDecodeError(() => decodeMetadataRequest(new Reader(Buffer.from(be32(-2))), 1), /negative/);
      expectDecodeError(() => decodeMetadataRequest(new Reader(Buffer.from([...be32(0x7fffffff), 0, 1, 0x61])), 1), /exceeds/);
      // Flexible: compact count 2^31 as a uvarint.
      expectDecodeError(() => decodeMetadataRequest(new Reader(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x08, 0])), 12), /exceeds/);
    });

    it('rejects negative and oversized bytes lengths in records', function () {
      const head = [0, 1, 0, 0, 0, 0, ...be32(1), 0, 1, 0x74, ...be32(1), ...be32(0)];
      expectDecodeError(() => decodeProduceRequest(new Reader(Buffer.from([...head, ...be32(-7)])), 0), /negative/);
      expectDecodeError(() => decodeProduceRequest(new Reader(Buffer.from([...head, ...be32(1 << 30), 1, 2])), 0), /need/);
      // -1 is null records, which the spec allows.
      const ok = decodeProduceRequest(new Reader(Buffer.from([...head, ...be32(-1)])), 0);
      expect(ok.topicData[0].partitionData[0].records).to.equal(null);
    });

    it('rejects varints longer than 5 bytes and varlongs longer than 10', function () {
      expectDecodeError(() => decodeMetadataRequest(new Reader(Buffer.from([0x81, 0x81, 0x81, 0x81, 0x81, 0x01])), 12));
      expectDecodeError(() => new Reader(Buffer.alloc(11, 0x81)).varlong());
      // A tag count with too many continuation bytes.
      expectDecodeError(() => decodeApiVersionsRequest(new Reader(Buffer.from([1, 0x61, 1, 0x62, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])), 3));
    });

    it('rejects a tagged field whose size runs past the end', function () {
      // ApiVersionsRequest v3: client name "a", version "b", 1 tag: tag 7 size 100, 2 bytes.
      expectDecodeError(() => decodeApiVersionsRequest(new Reader(Buffer.from([2, 0x61, 2, 0x62, 1, 7, 100, 1, 2])), 3), /need/);
    });

    it('stops on a lying tag count instead of looping', function () {
      // Count 2^32-1 with one real tag after it.
      expectDecodeError(() => decodeApiVersionsRequest(new Reader(Buffer.from([2, 0x61, 2, 0x62, 0xff, 0xff, 0xff, 0xff, 0x0f, 9, 1, 0])), 3));
    });

    it('keeps unknown tags and skips them safely', function () {
      // Tag 200 is the two-byte uvarint c8 01.
      const r = new Reader(Buffer.from([2, 0x61, 2, 0x62, 2, 7, 2, 0xaa, 0xbb, 0xc8, 0x01, 1, 0x01]));
      const req = decodeApiVersionsRequest(r, 3);
      expect(r.remaining).to.equal(0);
      expect(req.clientSoftwareName).to.equal('a');
      expect(req._unknownTaggedFields).to.deep.equal([
        { tag: 7, data: Buffer.from([0xaa, 0xbb]) },
        { tag: 200, data: Buffer.from([0x01]) },
      ]);
    });

    it('turns a known tag with a short payload into a DecodeError', function () {
      // ApiVersionsResponse v3: no api keys, throttle 0, tag 1 (int64 epoch) with only 2 bytes.
      expectDecodeError(() => decodeApiVersionsResponse(new Reader(Buffer.from([0, 0, 1, 0, 0, 0, 0, 1, 1, 2, 0, 0])), 3));
    });

    it('rejects a header with a negative client id length', function () {
      expectDecodeError(() => decodeRequestHeader(new Reader(Buffer.from([0, 3, 0, 1, 0, 0, 0, 1, 0xff, 0xf0])), 1), /negative/);
    });

    it('decodes a 64 MiB claim in a 20-byte Produce quickly', function () {
      const blob = Buffer.alloc(16);
      const w = new Writer();
      encodeProduceRequest(w, 9, { acks: 1, topicData: [{ name: 't', partitionData: [{ index: 0, records: blob }] }] });
      const bytes = w.toBuffer();
      // Rewrite the compact records length (17) to 64 MiB + 1 as a 4-byte uvarint: longer than the buffer.
      const at = bytes.indexOf(17, 8);
      const lie = Buffer.concat([bytes.subarray(0, at), Buffer.from([0x81, 0x80, 0x80, 0x20]), bytes.subarray(at + 1)]);
      expectDecodeError(() => decodeProduceRequest(new Reader(lie), 9), /need/);
    });
  });

  describe('every spec', function () {
    if (!specsAvailable()) {
      it('needs ../shared/kafka-protocol', function () {
        console.log(`skipped: Kafka specs not found at ${SPEC_DIR}`);
        this.skip();
      });
      return;
    }
    const specs = loadSpecs(SPEC_DIR);

    function sampleBytes(spec: MessageSpec, version: number, seedNulls: boolean): Buffer {
      const { input } = new SampleBuilder(spec, version, { nulls: seedNulls, unknownTags: true, recordChunks: false }).build();
      const w = new Writer(64);
      codecFor(spec.name).encode(w, version, input);
      return w.toBuffer();
    }

    it('throws DecodeError for every strict prefix of a valid encoding', function () {
      let prefixes = 0;
      for (const spec of specs) {
        const codec = codecFor(spec.name);
        for (const version of interestingVersions(spec)) {
          const bytes = sampleBytes(spec, version, false);
          for (let n = 0; n < bytes.length; n++) {
            const r = new Reader(bytes.subarray(0, n));
            expectDecodeError(() => codec.decode(r, version));
            prefixes++;
          }
        }
      }
      expect(prefixes).to.be.greaterThan(10_000);
    });

    it('survives seeded random mutations with only DecodeErrors', function () {
      const random = prng(0xb00c);
      let decoded = 0;
      let rejected = 0;
      for (const spec of specs) {
        const codec = codecFor(spec.name);
        for (const version of interestingVersions(spec)) {
          for (const nulls of [false, true]) {
            const original = sampleBytes(spec, version, nulls);
            for (let round = 0; round < 40; round++) {
              const bytes = Buffer.from(original);
              const edits = 1 + Math.floor(random() * 4);
              for (let e = 0; e < edits; e++) {
                const at = Math.floor(random() * bytes.length);
                const choice = random();
                if (choice < 0.5) bytes[at] = Math.floor(random() * 256);
                else if (choice < 0.75) bytes[at] ^= 1 << Math.floor(random() * 8);
                else bytes[at] = random() < 0.5 ? 0xff : 0x80;
              }
              const cut = random() < 0.2 ? Math.floor(random() * bytes.length) : bytes.length;
              const result = expectDecodeErrorOrValue(
                () => codec.decode(new Reader(bytes.subarray(0, cut)), version),
                `${spec.name} v${version} round ${round}`,
              );
              if (result === 'ok') decoded++;
              else rejected++;
            }
          }
        }
      }
      // Both outcomes must occur, or the mutations are not testing anything.
      expect(decoded).to.be.greaterThan(100);
      expect(rejected).to.be.greaterThan(1000);
    });
  });
});
