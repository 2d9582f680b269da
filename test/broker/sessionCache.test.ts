import { expect } from 'chai';
import { FetchSessionCache } from '../../src/fetch/sessionCache';

describe('FetchSessionCache', () => {
  it('evicts the least recently used session when full', () => {
    const c = new FetchSessionCache(2);
    const a = c.create(1)!;
    const b = c.create(2)!;
    expect(c.get(a.id, 3)).to.equal(a); // a is now the most recent
    const d = c.create(4)!;
    expect(c.size).to.equal(2);
    expect(c.get(b.id, 5)).to.equal(undefined);
    expect(c.get(a.id, 5)).to.equal(a);
    expect(c.get(d.id, 5)).to.equal(d);
    expect(new Set([a.id, d.id]).size).to.equal(2);
  });

  it('evicts consumer sessions before followers\' ones, and a follower\'s only when all are followers\'', () => {
    const c = new FetchSessionCache(2);
    const follower = c.create(1, true)!;
    const consumer = c.create(2)!;
    const other = c.create(3)!;
    // the follower's is the oldest, but the consumer's made room
    expect(c.get(consumer.id, 4)).to.equal(undefined);
    expect(c.get(follower.id, 4)).to.equal(follower);
    const follower2 = c.create(5, true)!;
    expect(c.get(other.id, 6)).to.equal(undefined);
    const follower3 = c.create(7, true)!;
    // only followers left: the least recently used of them goes
    expect(c.get(follower.id, 8)).to.equal(undefined);
    expect(c.get(follower2.id, 8)).to.equal(follower2);
    expect(c.get(follower3.id, 8)).to.equal(follower3);
  });

  it('creates no sessions with zero slots', () => {
    expect(new FetchSessionCache(0).create(1)).to.equal(null);
  });
});
