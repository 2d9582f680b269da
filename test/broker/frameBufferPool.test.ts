import { expect } from 'chai';
import { FrameDecoder } from '../../src/server/frameDecoder';
import { FrameBufferPool, POISON_BYTE } from '../../src/server/frameBufferPool';

/** A frame whose body starts with `apiKey` (int16) followed by `bodyBytes - 2` counting bytes. */
function frame(apiKey: number, bodyBytes: number): Buffer {
  const b = Buffer.alloc(4 + bodyBytes);
  b.writeInt32BE(bodyBytes, 0);
  b.writeInt16BE(apiKey, 4);
  for (let i = 6; i < b.length; i++) b[i] = i & 0xff;
  return b;
}

const PRODUCE = 0;
const FETCH = 1;
const onlyProduce = (k: number): boolean => k === PRODUCE;

describe('FrameBufferPool with the FrameDecoder', () => {
  it('assembles a pooled API frame spread over reads in a slot, at every split point', () => {
    const stream = Buffer.concat([frame(PRODUCE, 40), frame(FETCH, 30), frame(PRODUCE, 25)]);
    const want = [stream.subarray(4, 44), stream.subarray(48, 78), stream.subarray(82)].map((b) => b.toString('hex'));
    for (let cut1 = 0; cut1 <= stream.length; cut1++) {
      for (let cut2 = cut1; cut2 <= stream.length; cut2++) {
        const pool = new FrameBufferPool({ slotBytes: 64 });
        const d = new FrameDecoder(1024, pool, onlyProduce);
        const got: Buffer[] = [];
        for (const part of [stream.subarray(0, cut1), stream.subarray(cut1, cut2), stream.subarray(cut2)]) got.push(...d.push(part).frames);
        expect(got.map((f) => f.toString('hex')), `cuts ${cut1}/${cut2}`).to.deep.equal(want);
        expect(d.buffered).to.equal(0);
        // the fetch frame never comes from the pool; a produce frame does when it was split after its API key
        expect(pool.owns(got[1]!)).to.equal(false);
        for (const f of [got[0]!, got[2]!]) if (pool.owns(f)) pool.give(f);
        expect(pool.stats().leased).to.equal(0);
      }
    }
  });

  it('reuses a given-back slot for the next split frame', () => {
    const pool = new FrameBufferPool({ slotBytes: 1024 });
    const d = new FrameDecoder(4096, pool, onlyProduce);
    for (let round = 0; round < 5; round++) {
      const f = frame(PRODUCE, 500 + round);
      expect(d.push(f.subarray(0, 100)).frames).to.deep.equal([]);
      const [got] = d.push(f.subarray(100)).frames;
      expect(got!.equals(f.subarray(4))).to.equal(true);
      expect(pool.owns(got!)).to.equal(true);
      pool.give(got!);
    }
    expect(pool.stats()).to.deep.equal({ leased: 0, free: 1, allocated: 1, taken: 5 });
  });

  it('gives a split frame a slot of its own while the previous one is still held', () => {
    const pool = new FrameBufferPool({ slotBytes: 1024 });
    const d = new FrameDecoder(4096, pool, onlyProduce);
    const a = frame(PRODUCE, 300);
    const b = frame(PRODUCE, 300);
    b.fill(7, 6);
    d.push(a.subarray(0, 10));
    const [fa] = d.push(a.subarray(10)).frames;
    d.push(b.subarray(0, 10));
    const [fb] = d.push(b.subarray(10)).frames;
    expect(fa!.equals(a.subarray(4))).to.equal(true);
    expect(fb!.equals(b.subarray(4))).to.equal(true);
    expect(pool.stats().leased).to.equal(2);
  });

  it('assembles a frame larger than a slot, and one split inside its API key, without the pool', () => {
    const pool = new FrameBufferPool({ slotBytes: 100 });
    const d = new FrameDecoder(4096, pool, onlyProduce);
    const big = frame(PRODUCE, 101);
    d.push(big.subarray(0, 50));
    const [got] = d.push(big.subarray(50)).frames;
    expect(got!.equals(big.subarray(4))).to.equal(true);
    expect(pool.owns(got!)).to.equal(false);
    const small = frame(PRODUCE, 50);
    d.push(small.subarray(0, 5)); // the size and one byte of the API key
    const [got2] = d.push(small.subarray(5)).frames;
    expect(got2!.equals(small.subarray(4))).to.equal(true);
    expect(pool.owns(got2!)).to.equal(false);
    expect(pool.stats().allocated).to.equal(0);
  });

  it('keeps frames inside one read as slices of it, unless poisoning', () => {
    const chunk = Buffer.concat([frame(PRODUCE, 20), frame(FETCH, 20)]);
    const plain = new FrameDecoder(1024, new FrameBufferPool(), onlyProduce).push(chunk).frames;
    expect(plain[0]!.buffer).to.equal(chunk.buffer);
    const pool = new FrameBufferPool({ poison: true });
    const poisoned = new FrameDecoder(1024, pool, onlyProduce).push(chunk).frames;
    expect(pool.owns(poisoned[0]!)).to.equal(true);
    expect(poisoned[0]!.equals(chunk.subarray(4, 24))).to.equal(true);
    expect(poisoned[1]!.buffer).to.equal(chunk.buffer);
    const held = poisoned[0]!;
    pool.give(held);
    expect([...held].every((b) => b === POISON_BYTE)).to.equal(true);
  });

  it('copies every frame and every partial frame out of a transient chunk, at every split point', () => {
    const stream = Buffer.concat([frame(PRODUCE, 40), frame(FETCH, 30), frame(PRODUCE, 90)]);
    const want = [stream.subarray(4, 44), stream.subarray(48, 78), stream.subarray(82)].map((b) => b.toString('hex'));
    for (let cut1 = 0; cut1 <= stream.length; cut1++) {
      for (let cut2 = cut1; cut2 <= stream.length; cut2++) {
        // frames over 64 bytes do not fit a slot: the produce frame of 90 takes the copying path
        const pool = new FrameBufferPool({ slotBytes: 64 });
        const d = new FrameDecoder(1024, pool, onlyProduce);
        const reused = Buffer.alloc(stream.length);
        const got: Buffer[] = [];
        for (const [from, to] of [[0, cut1], [cut1, cut2], [cut2, stream.length]] as const) {
          // one buffer for every read, scribbled over after each push, as the shared read buffer is reused
          stream.copy(reused, 0, from, to);
          got.push(...d.push(reused.subarray(0, to - from), true).frames);
          reused.fill(0xaa);
        }
        expect(got.map((f) => f.toString('hex')), `cuts ${cut1}/${cut2}`).to.deep.equal(want);
        expect(pool.owns(got[0]!), 'a produce frame that fits goes to a slot').to.equal(true);
        expect(pool.owns(got[1]!)).to.equal(false);
      }
    }
  });

  it('keeps at most maxFree slots', () => {
    const pool = new FrameBufferPool({ slotBytes: 16, maxFree: 2 });
    const taken = [pool.take(10)!, pool.take(10)!, pool.take(10)!];
    expect(pool.take(17)).to.equal(null);
    for (const t of taken) pool.give(t);
    expect(pool.stats()).to.deep.equal({ leased: 0, free: 2, allocated: 3, taken: 3 });
  });
});
