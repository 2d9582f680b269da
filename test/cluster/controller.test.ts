import { expect } from 'chai';
import { ErrorCode } from '../../protocol/errors';
import { assignReplicas, manualAssignmentProblem, rackAlternated, startIndexFor } from '../../src/metadata/controller/assignment';
import { electOnRequest, initialPartitionState, isrChangeProblem, reconcilePartition, type ElectionPolicy } from '../../src/metadata/controller/election';
import { MetadataError, type PartitionState } from '../../src/metadata/types';

const clean: ElectionPolicy = { uncleanLeaderElection: false, preferredLeaderElection: false };
const state = (over: Partial<PartitionState>): PartitionState => ({
  topic: 't',
  partition: 0,
  replicas: [1, 2, 3],
  leader: 1,
  leaderEpoch: 5,
  isr: [1, 2, 3],
  partitionEpoch: 9,
  ...over,
});
const live = (...ids: number[]) => new Set(ids);

describe('controller: replica assignment', () => {
  const plain = [3, 1, 2].map((nodeId) => ({ nodeId, rack: null }));

  it('gives every partition distinct replicas and spreads leaders and replicas evenly', () => {
    const a = assignReplicas(plain, 6, 2);
    expect(a).to.have.length(6);
    for (const r of a) expect(new Set(r).size).to.equal(2);
    const leaders = a.map((r) => r[0]);
    for (const id of [1, 2, 3]) expect(leaders.filter((l) => l === id)).to.have.length(2);
    const count = (id: number) => a.flat().filter((x) => x === id).length;
    expect([count(1), count(2), count(3)]).to.deep.equal([4, 4, 4]);
  });

  it('gives every partition exactly the replication factor, for every factor up to the broker count', () => {
    const five = [1, 2, 3, 4, 5].map((nodeId) => ({ nodeId, rack: nodeId % 2 === 0 ? 'even' : 'odd' }));
    for (const brokers of [plain, five]) {
      for (let rf = 1; rf <= brokers.length; rf++) {
        for (const replicas of assignReplicas(brokers, 4 * brokers.length, rf, 1)) {
          expect(replicas, `rf ${rf}`).to.have.length(rf);
          expect(new Set(replicas).size).to.equal(rf);
        }
      }
    }
  });

  it('puts the replicas of a partition on different racks when the racks allow it', () => {
    const brokers = [
      { nodeId: 1, rack: 'a' },
      { nodeId: 2, rack: 'a' },
      { nodeId: 3, rack: 'b' },
      { nodeId: 4, rack: 'b' },
      { nodeId: 5, rack: 'c' },
      { nodeId: 6, rack: 'c' },
    ];
    const rackOf = new Map(brokers.map((b) => [b.nodeId, b.rack]));
    expect(rackAlternated(brokers).map((b) => b.rack)).to.deep.equal(['a', 'b', 'c', 'a', 'b', 'c']);
    for (const start of [0, 1, 4]) {
      for (const replicas of assignReplicas(brokers, 12, 3, start)) {
        expect(new Set(replicas.map((r) => rackOf.get(r))).size, `replicas ${replicas.join(',')}`).to.equal(3);
      }
    }
    // Two racks, RF 3: both racks are used, and the third replica goes wherever it fits.
    for (const replicas of assignReplicas(brokers.slice(0, 4), 8, 3)) {
      expect(new Set(replicas).size).to.equal(3);
      expect(new Set(replicas.map((r) => rackOf.get(r))).size).to.equal(2);
    }
  });

  it('continues the rotation for added partitions and starts where it is told', () => {
    const all = assignReplicas(plain, 5, 1, 1);
    expect(assignReplicas(plain, 2, 1, 1, 3)).to.deep.equal(all.slice(3));
    expect(all.map((r) => r[0])).to.deep.equal([2, 3, 1, 2, 3]);
    expect(startIndexFor('orders', 3)).to.equal(startIndexFor('orders', 3));
    expect(startIndexFor('x', 0)).to.equal(0);
  });

  it('refuses a replication factor above the live broker count or below one', () => {
    for (const rf of [0, 4]) {
      let err: unknown = null;
      try {
        assignReplicas(plain, 1, rf);
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(MetadataError);
      expect((err as MetadataError).errorCode).to.equal(ErrorCode.INVALID_REPLICATION_FACTOR);
    }
  });

  it('checks manual assignments against the live brokers', () => {
    const up = live(1, 2, 3);
    expect(manualAssignmentProblem([[1, 2], [2, 3]], up)).to.equal(null);
    expect(manualAssignmentProblem([[1, 4]], up)).to.match(/broker 4/);
    expect(manualAssignmentProblem([[1, 1]], up)).to.match(/duplicate/);
    expect(manualAssignmentProblem([[1, 2], [3]], up)).to.match(/same number/);
    expect(manualAssignmentProblem([[]], up)).to.match(/at least one/);
  });
});

describe('controller: leader election', () => {
  it('leaves a healthy partition alone', () => {
    expect(reconcilePartition(state({}), live(1, 2, 3), clean)).to.equal(null);
  });

  it('moves leadership to the next ISR member in assignment order when the leader dies, bumping both epochs', () => {
    const next = reconcilePartition(state({ isr: [1, 3, 2] }), live(2, 3), clean)!;
    expect(next.leader).to.equal(2);
    expect(next.isr).to.deep.equal([3, 2]);
    expect(next.leaderEpoch).to.equal(6);
    expect(next.partitionEpoch).to.equal(10);
  });

  it('drops a dead follower from the ISR without changing the leader epoch', () => {
    const next = reconcilePartition(state({}), live(1, 2), clean)!;
    expect(next.leader).to.equal(1);
    expect(next.isr).to.deep.equal([1, 2]);
    expect(next.leaderEpoch).to.equal(5);
    expect(next.partitionEpoch).to.equal(10);
  });

  it('never elects a replica outside the ISR unless unclean election is enabled', () => {
    const s = state({ isr: [1] });
    const offline = reconcilePartition(s, live(2, 3), clean)!;
    expect(offline.leader).to.equal(-1);
    expect(offline.isr).to.deep.equal([1]);
    expect(offline.leaderEpoch).to.equal(6);
    // Still nobody eligible: no further change.
    expect(reconcilePartition(offline, live(2, 3), clean)).to.equal(null);
    const unclean = reconcilePartition(s, live(2, 3), { ...clean, uncleanLeaderElection: true })!;
    expect(unclean.leader).to.equal(2);
    expect(unclean.isr).to.deep.equal([2]);
  });

  it('brings an offline partition back when its last ISR member returns', () => {
    const offline = state({ leader: -1, isr: [3], leaderEpoch: 7 });
    const back = reconcilePartition(offline, live(1, 3), clean)!;
    expect(back.leader).to.equal(3);
    expect(back.isr).to.deep.equal([3]);
    expect(back.leaderEpoch).to.equal(8);
  });

  it('returns leadership to the preferred replica only when asked and only when it is in the ISR', () => {
    const s = state({ leader: 2, isr: [2, 3] });
    const pref = { ...clean, preferredLeaderElection: true };
    expect(reconcilePartition(s, live(1, 2, 3), pref)).to.equal(null);
    const inIsr = state({ leader: 2, isr: [2, 3, 1] });
    expect(reconcilePartition(inIsr, live(1, 2, 3), clean)).to.equal(null);
    expect(reconcilePartition(inIsr, live(1, 2, 3), pref)!.leader).to.equal(1);
  });

  it('starts new partitions with the full ISR and the first live replica leading', () => {
    expect(initialPartitionState('t', 2, [3, 1], live(1, 3))).to.deep.equal({ topic: 't', partition: 2, replicas: [3, 1], leader: 3, leaderEpoch: 0, isr: [3, 1], partitionEpoch: 0 });
  });

  it('validates leader ISR changes like AlterPartition', () => {
    const s = state({});
    const ok = { leaderEpoch: 5, partitionEpoch: 9 };
    expect(isrChangeProblem(s, ok, [1, 2], live(1, 2, 3))).to.equal(null);
    expect(isrChangeProblem(s, { leaderEpoch: 4, partitionEpoch: 9 }, [1], live(1, 2, 3))).to.equal('fenced');
    expect(isrChangeProblem(s, { leaderEpoch: 5, partitionEpoch: 8 }, [1], live(1, 2, 3))).to.equal('version');
    expect(isrChangeProblem(s, ok, [2, 3], live(1, 2, 3))).to.equal('invalid');
    expect(isrChangeProblem(state({ isr: [1] }), ok, [1, 3], live(1, 2))).to.equal('ineligible');
    expect(isrChangeProblem(state({ isr: [1] }), ok, [1, 4], live(1, 2, 3, 4))).to.equal('ineligible');
    expect(isrChangeProblem(state({ isr: [1] }), ok, [1, 3], live(1, 3))).to.equal(null);
  });

  it('elects on request: preferred only to a live in-sync first replica, unclean only for a partition without a live leader', () => {
    expect(electOnRequest(state({}), live(1, 2, 3), 'preferred')).to.deep.equal({ refused: 'not-needed' });
    expect(electOnRequest(state({ leader: 2, isr: [2, 3] }), live(1, 2, 3), 'preferred')).to.deep.equal({ refused: 'preferred-unavailable' });
    expect(electOnRequest(state({ leader: 2, isr: [2, 3, 1] }), live(2, 3), 'preferred')).to.deep.equal({ refused: 'preferred-unavailable' });
    const pref = electOnRequest(state({ leader: 2, isr: [2, 3, 1] }), live(1, 2, 3), 'preferred') as { state: PartitionState };
    expect(pref.state).to.include({ leader: 1, leaderEpoch: 6, partitionEpoch: 10 });
    expect(electOnRequest(state({}), live(1, 2, 3), 'unclean')).to.deep.equal({ refused: 'not-needed' });
    const offline = state({ leader: -1, isr: [1] });
    expect(electOnRequest(offline, live(), 'unclean')).to.deep.equal({ refused: 'no-eligible-leader' });
    const unclean = electOnRequest(offline, live(3), 'unclean') as { state: PartitionState };
    expect(unclean.state).to.include({ leader: 3, leaderEpoch: 6 });
    expect(unclean.state.isr).to.deep.equal([3]);
    // An in-sync replica that is alive is preferred even for an unclean request.
    const clean = electOnRequest(state({ leader: -1, isr: [1, 2] }), live(2, 3), 'unclean') as { state: PartitionState };
    expect(clean.state.leader).to.equal(2);
    expect(clean.state.isr).to.deep.equal([2]);
  });
});
