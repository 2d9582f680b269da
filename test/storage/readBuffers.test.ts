import { expect } from 'chai';
import { ReadBufferPool } from '../../storage/readBuffers';

describe('ReadBufferPool', () => {
  it('hands a released buffer to the next lease of its size class, never one still lent', () => {
    const pool = new ReadBufferPool();
    const a = pool.lease();
    const b = pool.lease();
    const x = a.take(5000);
    const y = b.take(6000);
    expect(x.length).to.equal(8192);
    expect(y.buffer).to.not.equal(x.buffer);
    a.release();
    const c = pool.lease();
    expect(c.take(7000).buffer).to.equal(x.buffer);
    expect(pool.stats()).to.include({ reused: 1, allocated: 2, lent: 2 });
    b.release();
    c.release();
    c.release(); // twice is harmless: the buffer is not pooled twice
    expect(pool.stats()).to.include({ idle: 2, lent: 0 });
  });

  it('leaves small and huge reads to plain allocation and keeps at most maxIdleBytes', () => {
    const pool = new ReadBufferPool(16 * 1024);
    const l = pool.lease();
    expect(l.take(100).length).to.equal(100);
    l.take(32 << 20);
    l.take(10_000);
    l.take(10_000);
    l.release();
    expect(pool.stats()).to.include({ idle: 1, idleBytes: 16 * 1024, lent: 0 });
  });

  it('poisons returned buffers when asked, and refuses a lease used after release', () => {
    const pool = new ReadBufferPool();
    pool.poisonOnRelease = true;
    const l = pool.lease();
    const buf = l.take(4096).fill(1);
    l.release();
    expect(buf.every((v) => v === 0xee)).to.equal(true);
    expect(() => l.take(4096)).to.throw(/after release/);
  });
});
