import { expect } from 'chai';
import { loadSpecs, type MessageSpec } from '../../protocol/generator/spec';
import { Reader } from '../../protocol/codec/reader';
import { Writer } from '../../protocol/codec/writer';
import { SampleBuilder, SPEC_DIR, codecFor, specsAvailable, UNKNOWN_TAG, type SampleOptions } from './generated-samples';

function roundTrip(spec: MessageSpec, version: number, opts: SampleOptions): void {
  const codec = codecFor(spec.name);
  const { input, expected } = new SampleBuilder(spec, version, opts).build();
  const w = new Writer(64);
  codec.encode(w, version, input);
  const bytes = w.toBuffer();
  const r = new Reader(bytes);
  const decoded = codec.decode(r, version);
  expect(r.remaining, 'bytes left after decoding').to.equal(0);
  expect(decoded).to.deep.equal(expected);
  // Decoded objects re-encode to the same bytes: nothing lost, nothing invented.
  const again = new Writer(64);
  codec.encode(again, version, decoded);
  expect(again.toBuffer().equals(bytes), 're-encoding the decoded message').to.equal(true);
}

describe('generated codecs: round trips of every spec at every version', function () {
  if (!specsAvailable()) {
    it('needs ../shared/kafka-protocol', function () {
      console.log(`skipped: Kafka specs not found at ${SPEC_DIR}`);
      this.skip();
    });
    return;
  }
  const specs = loadSpecs(SPEC_DIR);

  it('covers every spec file', function () {
    expect(specs.length).to.be.greaterThan(180);
    for (const s of specs) expect(() => codecFor(s.name), s.name).not.to.throw();
  });

  // Every version, not only the lowest, highest and first flexible one: it is
  // cheap, and fields that come and go mid-range are where codecs slip.
  for (const spec of specs) {
    for (let version = spec.validVersions.low; version <= spec.validVersions.high; version++) {
      it(`${spec.name} v${version}: every field non-default, unknown tags kept`, function () {
        roundTrip(spec, version, { nulls: false, unknownTags: true, recordChunks: false });
      });
      it(`${spec.name} v${version}: nulls where allowed, records as chunks`, function () {
        roundTrip(spec, version, { nulls: true, unknownTags: false, recordChunks: true });
      });
    }
  }

  it('the unknown tag in a sample really reaches the wire', function () {
    const spec = specs.find((s) => s.name === 'ApiVersionsRequest')!;
    const { input } = new SampleBuilder(spec, 3, { nulls: false, unknownTags: true, recordChunks: false }).build();
    const w = new Writer();
    codecFor(spec.name).encode(w, 3, input);
    const bytes = w.toBuffer();
    // Tag section at the end: count 1, tag 9000 as uvarint (0xa8 0x46), size 4, 4 bytes.
    expect([...bytes.subarray(bytes.length - 8)]).to.deep.equal([1, 0xa8, 0x46, 4, ...(input._unknownTaggedFields as { data: Buffer }[])[0].data]);
    expect(UNKNOWN_TAG).to.equal(9000);
  });
});
