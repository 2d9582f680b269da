import { expect } from 'chai';
import { FrameDecoder } from '../../src/server/frameDecoder';

function frame(body: Buffer): Buffer {
  const b = Buffer.alloc(4 + body.length);
  b.writeInt32BE(body.length, 0);
  body.copy(b, 4);
  return b;
}

describe('FrameDecoder', () => {
  it('returns frames inside one chunk as slices of that chunk (no copy)', () => {
    const a = Buffer.from('hello');
    const b = Buffer.from('world!!');
    const chunk = Buffer.concat([frame(a), frame(b)]);
    const { frames, oversized } = new FrameDecoder(1024).push(chunk);
    expect(oversized).to.equal(null);
    expect(frames.map((f) => f.toString())).to.deep.equal(['hello', 'world!!']);
    expect(frames[0].buffer).to.equal(chunk.buffer);
    expect(frames[0].byteOffset).to.equal(chunk.byteOffset + 4);
  });

  it('reassembles frames split at every possible byte boundary, prefix included', () => {
    const bodies = [Buffer.from('abc'), Buffer.alloc(0), Buffer.from('0123456789')];
    const stream = Buffer.concat(bodies.map(frame));
    for (let cut1 = 0; cut1 <= stream.length; cut1++) {
      for (let cut2 = cut1; cut2 <= stream.length; cut2++) {
        const d = new FrameDecoder(1024);
        const got: string[] = [];
        for (const part of [stream.subarray(0, cut1), stream.subarray(cut1, cut2), stream.subarray(cut2)]) {
          const r = d.push(part);
          expect(r.oversized).to.equal(null);
          got.push(...r.frames.map((f) => f.toString('hex')));
        }
        expect(got, `cuts ${cut1}/${cut2}`).to.deep.equal(bodies.map((b) => b.toString('hex')));
        expect(d.buffered).to.equal(0);
      }
    }
  });

  it('reports a size prefix above the limit before buffering the body', () => {
    const d = new FrameDecoder(100);
    const head = Buffer.alloc(4);
    head.writeInt32BE(101, 0);
    const r = d.push(head);
    expect(r.oversized).to.equal(101);
    expect(d.buffered).to.equal(0);
  });

  it('reports an oversized prefix that arrives split across chunks', () => {
    const d = new FrameDecoder(100);
    const head = Buffer.alloc(4);
    head.writeInt32BE(0x7fffffff, 0);
    expect(d.push(head.subarray(0, 2)).oversized).to.equal(null);
    expect(d.push(head.subarray(2)).oversized).to.equal(0x7fffffff);
  });

  it('treats a negative size as oversized', () => {
    const head = Buffer.alloc(4);
    head.writeInt32BE(-5, 0);
    expect(new FrameDecoder(100).push(head).oversized).to.equal(-5);
  });

  it('pushInto appends the frames of each read to the queue it is given, and reports oversized prefixes on both paths', () => {
    const d = new FrameDecoder(100);
    const queue: Buffer[] = [Buffer.from('earlier')];
    const stream = Buffer.concat([frame(Buffer.from('one')), frame(Buffer.from('two'))]);
    expect(d.pushInto(stream.subarray(0, 5), queue)).to.equal(null);
    expect(queue.map((f) => f.toString())).to.deep.equal(['earlier']);
    expect(d.pushInto(stream.subarray(5), queue)).to.equal(null);
    expect(queue.map((f) => f.toString())).to.deep.equal(['earlier', 'one', 'two']);
    const big = Buffer.alloc(4);
    big.writeInt32BE(101, 0);
    // a whole prefix inside the read, after a frame that completed in it: the frame is queued, the size reported
    expect(d.pushInto(Buffer.concat([frame(Buffer.from('three')), big]), queue)).to.equal(101);
    expect(queue.map((f) => f.toString())).to.deep.equal(['earlier', 'one', 'two', 'three']);
    // a prefix completed from a previous read's bytes
    const split = new FrameDecoder(100);
    expect(split.pushInto(big.subarray(0, 3), queue)).to.equal(null);
    expect(split.pushInto(big.subarray(3), queue)).to.equal(101);
    expect(queue).to.have.length(4);
  });
});
