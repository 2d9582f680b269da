import { expect } from 'chai';
import { HandlePool, type PooledHandle } from '../../storage/handlePool';

/** A handle that counts how often the pool closed it; reopening is touching it again. */
class FakeHandle implements PooledHandle {
  readers = 0;
  lastUsed = 0;
  poolSlot = -1;
  open = false;
  constructor(private readonly closes: { n: number }) {}
  closeHandle(): void {
    this.open = false;
    this.closes.n++;
  }
}

/** Uses `h` as Segment.acquire/release do: a closed handle counts as a reopen. */
function use(pool: HandlePool, h: FakeHandle, reopens: { n: number }): void {
  if (!h.open) {
    h.open = true;
    reopens.n++;
  }
  pool.touch(h);
}

describe('storage: the segment handle pool', () => {
  it('a producer cycling over a few more segments than the cap reopens few of them (LRU reopened every one)', () => {
    const closes = { n: 0 };
    const reopens = { n: 0 };
    const pool = new HandlePool(9_760, 60_000);
    const handles = Array.from({ length: 10_003 }, () => new FakeHandle(closes));
    for (const h of handles) use(pool, h, reopens);
    reopens.n = 0;
    const rounds = 20;
    for (let r = 0; r < rounds; r++) for (const h of handles) use(pool, h, reopens);
    expect(pool.openCount).to.equal(9_760);
    expect(reopens.n / (rounds * handles.length)).to.be.below(0.1);
    expect(closes.n).to.equal(handles.length + reopens.n - 9_760);
  });

  it('never closes a handle in use, and closes the excess once it is released', () => {
    const closes = { n: 0 };
    const pool = new HandlePool(2, 60_000);
    const busy = [new FakeHandle(closes), new FakeHandle(closes), new FakeHandle(closes)];
    for (const h of busy) {
      h.readers = 1;
      h.open = true;
      pool.touch(h);
    }
    expect(pool.openCount).to.equal(3);
    expect(closes.n).to.equal(0);
    busy[1]!.readers = 0;
    pool.trim();
    expect(pool.openCount).to.equal(2);
    expect(busy[1]!.open).to.equal(false);
  });

  it('forgets a handle closed by its owner and closes idle ones', () => {
    const closes = { n: 0 };
    const pool = new HandlePool(10, 1_000);
    const a = new FakeHandle(closes);
    const b = new FakeHandle(closes);
    pool.touch(a, 0);
    pool.touch(b, 900);
    pool.forget(a);
    expect(pool.openCount).to.equal(1);
    expect(pool.closeIdle(1_500)).to.equal(0);
    expect(pool.closeIdle(2_000)).to.equal(1);
    expect(pool.openCount).to.equal(0);
    expect(b.poolSlot).to.equal(-1);
  });

  it('closes at most the number of idle handles it is given per call', () => {
    const closes = { n: 0 };
    const pool = new HandlePool(10, 1_000);
    for (let i = 0; i < 5; i++) pool.touch(new FakeHandle(closes), 0);
    expect(pool.closeIdle(5_000, 2)).to.equal(2);
    expect(pool.openCount).to.equal(3);
    expect(pool.closeIdle(5_000, 2)).to.equal(2);
    expect(pool.closeIdle(5_000, 2)).to.equal(1);
    expect(pool.openCount).to.equal(0);
  });
});
