import { expect } from 'chai';
import type { PartitionLog } from '../../storage';
import { SWEEP_MS, SessionWatch } from '../../src/fetch/sessionWatch';
import { FetchSessionCache } from '../../src/fetch/sessionCache';

/** The part of a log a watch uses: append listeners. */
class FakeLog {
  readonly listeners = new Set<() => void>();
  onAppend(l: () => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  append(): void {
    for (const l of [...this.listeners]) l();
  }
}

const asLog = (f: FakeLog) => f as unknown as PartitionLog;

describe('SessionWatch (which partitions of a follower session changed)', () => {
  it('marks a watched partition when its log changes and wakes a parked fetch once', () => {
    const w = new SessionWatch(0);
    const a = new FakeLog();
    const b = new FakeLog();
    w.watch('a', asLog(a));
    w.watch('b', asLog(b));
    w.watch('a', asLog(a)); // watching again adds no second listener
    expect(a.listeners.size).to.equal(1);
    let woken = 0;
    w.onMark(() => woken++);
    a.append();
    a.append();
    expect(woken).to.equal(1);
    expect(w.hasMarks).to.equal(true);
    expect([...w.take()]).to.deep.equal(['a']);
    expect(w.hasMarks).to.equal(false);
    b.append();
    expect([...w.take()]).to.deep.equal(['b']);
  });

  it('keep() marks without waking; a cancelled waker is not called', () => {
    const w = new SessionWatch(0);
    let woken = 0;
    const cancel = w.onMark(() => woken++);
    w.keep('x');
    expect(woken).to.equal(0);
    cancel();
    w.mark('y');
    expect(woken).to.equal(0);
    expect([...w.take()].sort()).to.deep.equal(['x', 'y']);
  });

  it('follows a replaced log and stops listening on unwatch and close', () => {
    const w = new SessionWatch(0);
    const old = new FakeLog();
    const fresh = new FakeLog();
    w.watch('a', asLog(old));
    w.watch('a', asLog(fresh));
    expect(old.listeners.size).to.equal(0);
    expect(fresh.listeners.size).to.equal(1);
    w.unwatch('a');
    expect(fresh.listeners.size).to.equal(0);
    const c = new FakeLog();
    w.watch('c', asLog(c));
    w.close();
    expect(c.listeners.size).to.equal(0);
    c.append();
    expect(w.hasMarks).to.equal(false);
  });

  it('sweeps every session partition once per period, spread over the requests in it', () => {
    const keys = new Map<string, number>();
    for (let i = 0; i < 1000; i++) keys.set(`k${i}`, i);
    const w = new SessionWatch(0);
    const seen = new Map<string, number>();
    let most = 0;
    // a request every 5 ms for one period
    for (let now = 5; now <= SWEEP_MS; now += 5) {
      const due = w.sweepDue(keys, now);
      most = Math.max(most, due.length);
      for (const k of due) seen.set(k, (seen.get(k) ?? 0) + 1);
    }
    expect(seen.size).to.equal(1000);
    expect(Math.max(...seen.values())).to.equal(1);
    // the sweep's share per request: 1,000 keys over a period, a request every 5 ms
    expect(most).to.equal(Math.ceil((1000 * 5) / SWEEP_MS));
    // no time passed: nothing due; a long pause: each key once, not twice
    expect(w.sweepDue(keys, SWEEP_MS)).to.deep.equal([]);
    expect(w.sweepDue(keys, 10 * SWEEP_MS)).to.have.length(1000);
    expect(w.sweepDue(new Map(), 20 * SWEEP_MS)).to.deep.equal([]);
  });

  it('reaches idle partitions while busy ones keep moving to the back of the session', () => {
    // the fetch handler re-inserts partitions that got data at the end of the session map
    const keys = new Map<string, number>([['idle', 0], ['b1', 0], ['b2', 0], ['b3', 0]]);
    const w = new SessionWatch(0);
    let idleSeen = 0;
    for (let now = 50; now <= 3 * SWEEP_MS; now += 50) {
      if (w.sweepDue(keys, now).includes('idle')) idleSeen++;
      for (const k of ['b1', 'b2', 'b3']) {
        keys.delete(k);
        keys.set(k, now);
      }
    }
    expect(idleSeen).to.be.at.least(3);
  });

  it('a session closed or evicted from the cache stops its watch', () => {
    const cache = new FetchSessionCache(1);
    const first = cache.create(0, true)!;
    first.watch = new SessionWatch(0);
    const log = new FakeLog();
    first.watch.watch('t\u00000', asLog(log));
    cache.create(1, true); // evicts the first
    expect(log.listeners.size).to.equal(0);
    const second = cache.create(2, true)!;
    second.watch = new SessionWatch(2);
    second.watch.watch('t\u00000', asLog(log));
    second.forget('t\u00000');
    expect(log.listeners.size).to.equal(0);
  });
});
