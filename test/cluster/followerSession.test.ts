import { expect } from 'chai';
import { ErrorCode } from '../../protocol/errors';
import { FollowerFetchSession, type FollowerPartitionAsk } from '../../src/replication/followerSession';

const owners = new Map<string, object>();
function ask(topic: string, partition: number, fetchOffset: number, extra: Partial<FollowerPartitionAsk> = {}): FollowerPartitionAsk {
  const key = `${topic}-${partition}`;
  if (!owners.has(key)) owners.set(key, {});
  return { key, topic, partition, fetchOffset, logStartOffset: 0, leaderEpoch: 1, maxBytes: 1 << 20, owner: owners.get(key)!, ...extra };
}
const names = (asks: readonly FollowerPartitionAsk[]) => asks.map((a) => a.key);

describe('replication: the follower side of a fetch session (KIP-227)', () => {
  it('opens with a full fetch, then names only partitions that moved and forgets those no longer ready', () => {
    const s = new FollowerFetchSession();
    expect(s.opening).to.equal(true);
    const full = s.plan([ask('t', 0, 5), ask('t', 1, 7), ask('u', 0, 0)]);
    expect(full).to.include({ sessionId: 0, sessionEpoch: 0 });
    expect(names(full.send)).to.deep.equal(['t-0', 't-1', 'u-0']);
    expect(s.answered(0, 42)).to.equal('apply');
    expect(s.opening).to.equal(false);

    const quiet = s.plan([ask('t', 0, 5), ask('t', 1, 7), ask('u', 0, 0)]);
    expect(quiet).to.include({ sessionId: 42, sessionEpoch: 1 });
    expect(quiet.send).to.deep.equal([]);
    expect([...quiet.forgotten]).to.deep.equal([]);
    expect(s.answered(0, 42)).to.equal('apply');

    // t-1 appended, u-0 moved to a new leader epoch, t-0 backs off (not ready): it leaves the leader's session
    const moved = s.plan([ask('t', 1, 9), ask('u', 0, 0, { leaderEpoch: 2 })], ['t-0']);
    expect(moved.sessionEpoch).to.equal(2);
    expect(names(moved.send)).to.deep.equal(['t-1', 'u-0']);
    expect([...moved.forgotten]).to.deep.equal([['t', [0]]]);
    expect(s.asked('t-1')!.fetchOffset).to.equal(9);
    expect(s.asked('t-0')).to.equal(undefined);
    expect(s.answered(0, 42)).to.equal('apply');

    // back from its back-off: named again; the partitions not given stand as they are in the session
    const back = s.plan([ask('t', 0, 5)]);
    expect(names(back.send)).to.deep.equal(['t-0']);
    expect([...back.forgotten]).to.deep.equal([]);
    expect(s.size).to.equal(3);
    expect(s.asked('u-0')!.leaderEpoch).to.equal(2);
    // a key named unready that the session does not hold is no news to the leader
    expect([...s.plan([], ['v-0']).forgotten]).to.deep.equal([]);
  });

  it('names a partition again after the leader answered it with an error (it may not hold it in its session)', () => {
    const s = new FollowerFetchSession();
    s.plan([ask('t', 0, 0)]);
    s.answered(0, 9);
    // UNKNOWN_TOPIC_OR_PARTITION: the leader did not know the topic yet, so its session does not hold t-0
    s.answeredWithError('t-0');
    // backing off: left out, and forgotten in case the leader does hold it
    expect([...s.plan([], ['t-0']).forgotten]).to.deep.equal([['t', [0]]]);
    s.answered(0, 9);
    expect(names(s.plan([ask('t', 0, 0)]).send)).to.deep.equal(['t-0']);
    s.answered(0, 9);
    s.answeredWithError('t-0');
    // ready again at once: named again even though its offset did not change
    expect(names(s.plan([ask('t', 0, 0)]).send)).to.deep.equal(['t-0']);
  });

  it('starts over with a full fetch after a lost session, a failed request, or a leader without sessions', () => {
    const s = new FollowerFetchSession();
    s.plan([ask('t', 0, 1)]);
    s.answered(0, 7);
    s.plan([ask('t', 0, 1)]);
    expect(s.answered(ErrorCode.FETCH_SESSION_ID_NOT_FOUND, 0)).to.equal('retry');
    const again = s.plan([ask('t', 0, 1)]);
    expect(again).to.include({ sessionId: 0, sessionEpoch: 0 });
    expect(names(again.send)).to.deep.equal(['t-0']);
    s.answered(0, 8);

    s.plan([ask('t', 0, 2)]);
    s.reset(); // the connection dropped with the request out
    const reopened = s.plan([ask('t', 0, 2)]);
    // the old id rides along with epoch 0, which closes that session on the leader
    expect(reopened).to.include({ sessionId: 8, sessionEpoch: 0 });
    expect(s.answered(0, 0)).to.equal('apply'); // sessions disabled there (no cache slots)
    expect(s.plan([ask('t', 0, 2)])).to.include({ sessionId: 0, sessionEpoch: 0 });
    s.answered(0, 11);
    s.plan([ask('t', 0, 3)]);
    // any other top-level error: not applied, and the next request is full again
    expect(s.answered(ErrorCode.NOT_LEADER_OR_FOLLOWER, 0)).to.equal('refused');
    expect(s.plan([ask('t', 0, 3)])).to.include({ sessionId: 11, sessionEpoch: 0 });
  });
});
