import { expect } from 'chai';
import { Reader } from '../../protocol/codec/reader';
import { Writer } from '../../protocol/codec/writer';
import { DecodeError } from '../../protocol/codec/errors';

describe('protocol primitives', () => {
  it('round-trips every primitive', () => {
    const w = new Writer(8);
    w.bool(true).int8(-5).int16(-300).uint16(65000).int32(-70000).uint32(4000000000).int64(-(2n ** 62n)).float64(1.5);
    w.uvarint(300).varint(-129).varlong(-(2n ** 60n)).string('héllo').nullableString(null).compactString('x').compactNullableString(null);
    w.bytes(Buffer.from('abc')).nullableBytes(null).compactBytes(Buffer.alloc(1000, 7)).uuid(Buffer.alloc(16, 9));
    const r = new Reader(w.toBuffer());
    expect(r.bool()).to.equal(true);
    expect(r.int8()).to.equal(-5);
    expect(r.int16()).to.equal(-300);
    expect(r.uint16()).to.equal(65000);
    expect(r.int32()).to.equal(-70000);
    expect(r.uint32()).to.equal(4000000000);
    expect(r.int64()).to.equal(-(2n ** 62n));
    expect(r.float64()).to.equal(1.5);
    expect(r.uvarint()).to.equal(300);
    expect(r.varint()).to.equal(-129);
    expect(r.varlong()).to.equal(-(2n ** 60n));
    expect(r.string()).to.equal('héllo');
    expect(r.nullableString()).to.equal(null);
    expect(r.compactString()).to.equal('x');
    expect(r.compactNullableString()).to.equal(null);
    expect(r.bytes().toString()).to.equal('abc');
    expect(r.nullableBytes()).to.equal(null);
    expect(r.compactBytes().equals(Buffer.alloc(1000, 7))).to.equal(true);
    expect(r.uuid().equals(Buffer.alloc(16, 9))).to.equal(true);
    expect(r.remaining).to.equal(0);
  });

  it('writes int64 exactly on both sides of the safe-integer range (halves inside it, BigInt outside)', () => {
    const edges = [0n, 1n, -1n, 2n ** 31n, -(2n ** 31n), 2n ** 32n - 1n, 2n ** 32n, -(2n ** 32n), 1733400000000n, 2n ** 53n - 1n, -(2n ** 53n) + 1n, 2n ** 53n, -(2n ** 53n), 2n ** 63n - 1n, -(2n ** 63n)];
    const w = new Writer(8);
    for (const v of edges) w.int64(v);
    const b = w.toBuffer();
    expect(edges.map((_, i) => b.readBigInt64BE(i * 8))).to.deep.equal(edges);
  });

  it('links large payloads instead of copying them', () => {
    const big = Buffer.alloc(4096, 1);
    const w = new Writer();
    w.int32(1).bytes(big).int32(2);
    const chunks = w.chunksOut();
    expect(chunks.some((c) => c === big)).to.equal(true);
    expect(w.length).to.equal(4 + 4 + 4096 + 4);
  });

  it('refuses hostile lengths and varints with a DecodeError', () => {
    const cases: Array<[string, Buffer, (r: Reader) => unknown]> = [
      ['truncated int32', Buffer.from([0, 0, 1]), (r) => r.int32()],
      ['negative string length', Buffer.from([0xff, 0xfe]), (r) => r.string()],
      ['string longer than buffer', Buffer.from([0x7f, 0xff, 0x41]), (r) => r.string()],
      ['huge array count', Buffer.from([0x7f, 0xff, 0xff, 0xff, 0]), (r) => r.arrayLength()],
      ['6-byte varint', Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]), (r) => r.uvarint()],
      ['varint over 32 bits', Buffer.from([0xff, 0xff, 0xff, 0xff, 0x1f]), (r) => r.uvarint()],
      ['11-byte varlong', Buffer.alloc(11, 0x80), (r) => r.varlong()],
      ['compact array longer than buffer', Buffer.from([0x10, 0x01]), (r) => r.compactArrayLength()],
      ['negative bytes length', Buffer.from([0xff, 0xff, 0xff, 0x00]), (r) => r.bytes()],
    ];
    for (const [name, buf, read] of cases) {
      expect(() => read(new Reader(buf)), name).to.throw(DecodeError);
    }
  });

  it('a reusable writer hands out copies of its scratch, so the next encoding leaves the last one intact', () => {
    const w = Writer.reusable(16);
    const payload = Buffer.alloc(300, 0xab); // linked, not copied (over the link threshold)
    const encode = (tag: number, body: Buffer | null) => {
      w.reset().reserveFrameSize();
      w.int32(tag);
      if (body) w.bytes(body);
      w.int64(BigInt(tag)); // past the 16-byte scratch when a body came first: a grown scratch
      w.setFrameSize();
      return w.chunksOutDetached();
    };
    const first = encode(1, payload);
    expect(first.some((c) => c === payload), 'the linked payload itself').to.equal(true);
    const firstBytes = Buffer.concat(first);
    const second = encode(2, null);
    const third = encode(3, payload);
    expect(Buffer.concat(first)).to.deep.equal(firstBytes);
    expect(Buffer.concat(second)).to.deep.equal(Buffer.from([0, 0, 0, 12, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 2]));
    const r = new Reader(Buffer.concat(third));
    expect(r.int32()).to.equal(4 + 4 + 300 + 8);
    expect(r.int32()).to.equal(3);
    expect(r.bytes()).to.deep.equal(payload);
    expect(r.int64()).to.equal(3n);
    // an encoding that grew the scratch past 64 KB (many small fields): given up at the next reset, and what it
    // handed out stays as it was
    w.reset();
    for (let i = 0; i < 20_000; i++) w.int32(i);
    const big = w.chunksOutDetached();
    const bigBytes = Buffer.concat(big);
    expect(bigBytes.readInt32BE(4 * 19_999)).to.equal(19_999);
    encode(5, Buffer.alloc(100, 2));
    w.reset();
    for (let i = 0; i < 20_000; i++) w.int32(-i);
    w.chunksOutDetached();
    expect(Buffer.concat(big)).to.deep.equal(bigBytes);
  });
});
