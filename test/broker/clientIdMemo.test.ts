import { expect } from 'chai';
import { Reader } from '../../protocol/codec/reader';
import { DecodeError } from '../../protocol/codec/errors';
import { ClientIdMemo, readHeaderRest } from '../../src/server/requestHeader';

/** The rest of a request header after the fixed 8 bytes: client id (int16 length, -1 = null), then `tail`. */
function headerRest(id: string | null, tail: number[] = []): Buffer {
  if (id === null) return Buffer.from([0xff, 0xff, ...tail]);
  const bytes = Buffer.from(id, 'utf8');
  const len = Buffer.alloc(2);
  len.writeInt16BE(bytes.length);
  return Buffer.concat([len, bytes, Buffer.from(tail)]);
}

describe('ClientIdMemo: a connection decodes its client id once', () => {
  it('returns the same string again for the same bytes, and leaves the reader where readHeaderRest would', () => {
    const memo = new ClientIdMemo();
    const buf = headerRest('rdkafka', [0x2a]);
    const r1 = new Reader(buf);
    const first = memo.read(r1, 1);
    const r2 = new Reader(Buffer.from(buf));
    const second = memo.read(r2, 1);
    expect(first).to.equal('rdkafka');
    expect(second).to.equal('rdkafka');
    const plain = new Reader(buf);
    readHeaderRest(plain, 1);
    expect(r2.offset).to.equal(plain.offset);
    expect(r2.int8()).to.equal(0x2a);
  });

  it('decodes a different id, of the same length or not, and then remembers that one', () => {
    const memo = new ClientIdMemo();
    expect(memo.read(new Reader(headerRest('abc')), 1)).to.equal('abc');
    expect(memo.read(new Reader(headerRest('abd')), 1)).to.equal('abd');
    expect(memo.read(new Reader(headerRest('a longer id')), 1)).to.equal('a longer id');
    expect(memo.read(new Reader(headerRest('abd')), 1)).to.equal('abd');
    expect(memo.read(new Reader(headerRest('')), 1)).to.equal('');
    expect(memo.read(new Reader(headerRest('')), 1)).to.equal('');
  });

  it('decodes non-ASCII ids every time, and null ids as null', () => {
    const memo = new ClientIdMemo();
    expect(memo.read(new Reader(headerRest('café')), 1)).to.equal('café');
    expect(memo.read(new Reader(headerRest('cafX')), 1)).to.equal('cafX');
    expect(memo.read(new Reader(headerRest('café')), 1)).to.equal('café');
    expect(memo.read(new Reader(headerRest(null)), 1)).to.equal(null);
    expect(memo.read(new Reader(headerRest('x')), 1)).to.equal('x');
    expect(memo.read(new Reader(headerRest(null)), 1)).to.equal(null);
  });

  it('reads no client id at header version 0 and skips tagged fields at version 2', () => {
    const memo = new ClientIdMemo();
    const r0 = new Reader(Buffer.from([0x01]));
    expect(memo.read(r0, 0)).to.equal(null);
    expect(r0.offset).to.equal(0);
    // one tagged field: tag 0, 2 bytes
    const buf = headerRest('kafkajs', [1, 0, 2, 9, 9, 0x2a]);
    for (let i = 0; i < 2; i++) {
      const r = new Reader(buf);
      expect(memo.read(r, 2)).to.equal('kafkajs');
      expect(r.int8()).to.equal(0x2a);
    }
  });

  it('throws DecodeError for a client id cut short, remembered or not', () => {
    const memo = new ClientIdMemo();
    expect(memo.read(new Reader(headerRest('producer-1')), 1)).to.equal('producer-1');
    const cut = headerRest('producer-1').subarray(0, 6);
    expect(() => memo.read(new Reader(cut), 1)).to.throw(DecodeError);
    expect(() => new ClientIdMemo().read(new Reader(cut), 1)).to.throw(DecodeError);
  });
});
