import { expect } from 'chai';
import { WindowedRate } from '../../src/security/quota/rate';

describe('quota rate (windowed, like Kafka Rate)', () => {
  const window = { samples: 11, windowMs: 1000 };

  it('measures over at least samples-1 windows, so a fresh client may burst', () => {
    const r = new WindowedRate(window, 0);
    r.record(10_000, 0);
    // 10 000 bytes over the padded 10 s window
    expect(r.measure(0)).to.equal(1000);
    expect(r.throttleMs(1000, 0)).to.equal(0);
    expect(r.throttleMs(999, 0)).to.be.greaterThan(0);
  });

  it('throttle time is how long until the rate falls back to the quota', () => {
    const r = new WindowedRate(window, 0);
    r.record(20_000, 0);
    // 20 000 bytes / 10 s = 2000 B/s against 1000 B/s: quiet for 10 s more makes it 20 000 / 20 s
    expect(r.throttleMs(1000, 0)).to.equal(10_000);
    // Kafka's padding keeps the measured window at 10 s until 10 s have passed, and the
    // sample drops out once it is older than the whole window (11 s).
    expect(r.throttleMs(1000, 10_999)).to.be.greaterThan(0);
    expect(r.throttleMs(1000, 11_000)).to.equal(0);
  });

  it('a client that keeps under its quota is never throttled', () => {
    const r = new WindowedRate(window, 0);
    for (let t = 0; t < 60_000; t += 100) {
      r.record(95, t); // 950 B/s; the sample in progress counts fully, so exactly 1000 B/s would read slightly over
      expect(r.throttleMs(1000, t), `at ${t} ms`).to.equal(0);
    }
    expect(r.measure(60_000)).to.be.closeTo(950, 20);
  });

  it('a client sending at twice its quota is throttled about as long as it sent', () => {
    const r = new WindowedRate(window, 0);
    let t = 0;
    let sent = 0;
    // Behaves like a well-behaved client: sends 2000 B every 100 ms unless told to wait.
    while (t < 120_000) {
      r.record(200, t);
      sent += 200;
      const wait = r.throttleMs(1000, t);
      t += 100 + wait;
    }
    // Long run: bytes sent never exceed quota * (elapsed + burst window)
    expect(sent).to.be.at.most(1000 * (t / 1000 + 11));
    expect(sent).to.be.at.least(1000 * (t / 1000 - 11));
  });

  it('forgets samples older than the whole window', () => {
    const r = new WindowedRate(window, 0);
    r.record(1_000_000, 0);
    expect(r.measure(10_999)).to.be.greaterThan(0);
    expect(r.measure(11_000)).to.equal(0);
    expect(r.throttleMs(1, 11_000)).to.equal(0);
  });

  it('throttle time is capped at the whole window', () => {
    const r = new WindowedRate(window, 0);
    r.record(1e12, 0);
    expect(r.throttleMs(1, 0)).to.equal(11_000);
  });

  it('starts a new sample once the current one is a window old, reusing the oldest slot', () => {
    const r = new WindowedRate({ samples: 2, windowMs: 1000 }, 0);
    r.record(1000, 0);
    r.record(1000, 999); // same sample
    expect(r.measure(999)).to.be.closeTo(1000.5, 0.01); // 2000 bytes over 999 ms padded by one window
    r.record(500, 1000); // second sample
    r.record(300, 2000); // replaces the first (2000 bytes are gone)
    expect(r.measure(2000)).to.equal(800);
  });

  it('unrecord takes back what was just recorded', () => {
    const r = new WindowedRate(window, 0);
    r.record(50_000, 0);
    r.unrecord(50_000);
    expect(r.measure(0)).to.equal(0);
  });
});
