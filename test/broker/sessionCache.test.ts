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

  it('creates no sessions with zero slots', () => {
    expect(new FetchSessionCache(0).create(1)).to.equal(null);
  });
});
