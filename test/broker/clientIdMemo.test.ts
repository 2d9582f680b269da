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
    const first = readHeaderRest(r1, 1, memo);
    const r2 = new Reader(Buffer.from(buf));
    const second = readHeaderRest(r2, 1, memo);
    expect(first).to.equal('rdkafka');
    expect(second).to.equal('rdkafka');
    const plain = new Reader(buf);
    readHeaderRest(plain, 1);
    expect(r2.offset).to.equal(plain.offset);
    expect(r2.int8()).to.equal(0x2a);
  });

  it('decodes a different id, of the same length or not, and then remembers that one', () => {
    const memo = new ClientIdMemo();
    expect(readHeaderRest(new Reader(headerRest('abc')), 1, memo)).to.equal('abc');
    expect(readHeaderRest(new Reader(headerRest('abd')), 1, memo)).to.equal('abd');
    expect(readHeaderRest(new Reader(headerRest('a longer id')), 1, memo)).to.equal('a longer id');
    expect(readHeaderRest(new Reader(headerRest('abd')), 1, memo)).to.equal('abd');
    expect(readHeaderRest(new Reader(headerRest('')), 1, memo)).to.equal('');
    expect(readHeaderRest(new Reader(headerRest('')), 1, memo)).to.equal('');
  });

  it('decodes non-ASCII ids every time, and null ids as null', () => {
    const memo = new ClientIdMemo();
    expect(readHeaderRest(new Reader(headerRest('café')), 1, memo)).to.equal('café');
    expect(readHeaderRest(new Reader(headerRest('cafX')), 1, memo)).to.equal('cafX');
    expect(readHeaderRest(new Reader(headerRest('café')), 1, memo)).to.equal('café');
    expect(readHeaderRest(new Reader(headerRest(null)), 1, memo)).to.equal(null);
    expect(readHeaderRest(new Reader(headerRest('x')), 1, memo)).to.equal('x');
    expect(readHeaderRest(new Reader(headerRest(null)), 1, memo)).to.equal(null);
  });

  it('reads no client id at header version 0 and skips tagged fields at version 2', () => {
    const memo = new ClientIdMemo();
    const r0 = new Reader(Buffer.from([0x01]));
    expect(readHeaderRest(r0, 0, memo)).to.equal(null);
    expect(r0.offset).to.equal(0);
    // one tagged field: tag 0, 2 bytes
    const buf = headerRest('kafkajs', [1, 0, 2, 9, 9, 0x2a]);
    for (let i = 0; i < 2; i++) {
      const r = new Reader(buf);
      expect(readHeaderRest(r, 2, memo)).to.equal('kafkajs');
      expect(r.int8()).to.equal(0x2a);
    }
  });

  it('throws DecodeError for a client id cut short, remembered or not', () => {
    const memo = new ClientIdMemo();
    expect(readHeaderRest(new Reader(headerRest('producer-1')), 1, memo)).to.equal('producer-1');
    const cut = headerRest('producer-1').subarray(0, 6);
    expect(() => readHeaderRest(new Reader(cut), 1, memo)).to.throw(DecodeError);
    expect(() => readHeaderRest(new Reader(cut), 1, new ClientIdMemo())).to.throw(DecodeError);
  });
});
