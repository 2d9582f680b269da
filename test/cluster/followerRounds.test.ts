import { expect } from 'chai';
import type { PartitionLog } from '../../storage';
import { type Followed, FollowerRounds } from '../../src/replication/followerRounds';

function followed(n: number): Map<string, Followed> {
  const m = new Map<string, Followed>();
  for (let i = 0; i < n; i++) {
    const key = `t\u0000${i}`;
    const p: Followed = { topic: 't', partition: i, log: {} as PartitionLog, leaderEpoch: 1, needsTruncation: false, backoffUntil: 0, ask: { key, topic: 't', partition: i, fetchOffset: 0, logStartOffset: 0, leaderEpoch: 1, maxBytes: 1, owner: {} } };
    p.ask.owner = p;
    m.set(key, p);
  }
  return m;
}
const partitionsOf = (ps: readonly Followed[]) => ps.map((p) => p.partition);

/** Issue 17: a follower's fetch round looks at what changed, not at every partition it follows from the leader. */
describe('replication: which followed partitions a fetch round looks at', () => {
  it('a round right after another looks only at the marked partitions, among 10,000', () => {
    const all = followed(10_000);
    const r = new FollowerRounds(1_000, 1000);
    r.mark(all.get('t\u00007')!);
    expect(partitionsOf(r.take(1_000, all))).to.deep.equal([7]);
    expect(partitionsOf(r.take(1_000, all))).to.deep.equal([]);
  });

  it('a partition held back comes back once its back-off ends, and not before', () => {
    const all = followed(100);
    const r = new FollowerRounds(0, 1_000_000);
    const p = all.get('t\u00003')!;
    p.backoffUntil = 500;
    r.hold(p);
    // held: looked at once (so it leaves the leader's session), then waits
    expect(partitionsOf(r.take(10, all))).to.deep.equal([3]);
    expect(partitionsOf(r.take(20, all))).to.deep.equal([]);
    expect(r.earliestBackoff()).to.equal(500);
    expect(partitionsOf(r.take(500, all))).to.deep.equal([3]);
    expect(r.waiting.size).to.equal(0);
    expect(r.earliestBackoff()).to.equal(Infinity);
  });

  it('a partition waiting for truncation stays held until truncated, and one no longer followed is dropped', () => {
    const all = followed(10);
    const r = new FollowerRounds(0, 1_000_000);
    const p = all.get('t\u00001')!;
    p.needsTruncation = true;
    r.hold(p);
    const gone = all.get('t\u00002')!;
    gone.backoffUntil = 5;
    r.hold(gone);
    all.delete('t\u00002');
    r.take(1, all);
    expect(r.take(100, all)).to.deep.equal([]);
    expect([...r.waiting].map((w) => w.partition)).to.deep.equal([1]);
    p.needsTruncation = false;
    expect(partitionsOf(r.take(101, all))).to.deep.equal([1]);
  });

  it('the sweep visits every partition once per period, spread over the rounds in it', () => {
    const all = followed(1_000);
    const r = new FollowerRounds(0, 1000);
    const seen = new Map<number, number>();
    let most = 0;
    for (let now = 1; now <= 1000; now++) {
      const got = r.take(now, all);
      most = Math.max(most, got.length);
      for (const p of got) seen.set(p.partition, (seen.get(p.partition) ?? 0) + 1);
    }
    expect(seen.size).to.equal(1_000);
    expect([...seen.values()].every((n) => n === 1)).to.equal(true);
    // a round every millisecond over 1,000 partitions and a 1 s period: one each
    expect(most).to.equal(1);
    // an idle stretch is made up for, but never with more than one whole pass at once
    expect(r.take(60_000, all).length).to.equal(1_000);
  });
});
