import { expect } from 'chai';
import { ErrorCode } from '../../protocol/errors';
import { cancelReassignment, completeReassignment, startReassignment } from '../../src/metadata/controller/reassignment';
import type { PartitionState } from '../../src/metadata/types';

const base: PartitionState = { topic: 't', partition: 0, replicas: [1, 2], leader: 1, leaderEpoch: 3, isr: [1, 2], partitionEpoch: 7 };
const live = new Set([1, 2, 3, 4]);

function started(target: number[], from = base): PartitionState {
  const r = startReassignment(from, target, live, live);
  if ('errorCode' in r || !r.state) throw new Error(`not started: ${JSON.stringify(r)}`);
  return r.state;
}

describe('cluster: reassignment rules (pure)', () => {
  it('start: target first, then the replicas being removed; leader and ISR stay; epochs as Kafka bumps them', () => {
    const s = started([2, 3]);
    expect(s).to.deep.include({ replicas: [2, 3, 1], addingReplicas: [3], removingReplicas: [1], leader: 1, leaderEpoch: 3, isr: [1, 2], partitionEpoch: 8 });
  });

  it('complete: only once every target replica is in sync; the leader moves to the new preferred replica, the removed ones leave', () => {
    const s = started([2, 3]);
    expect(completeReassignment(s, live)).to.equal(null);
    const done = completeReassignment({ ...s, isr: [1, 2, 3], partitionEpoch: s.partitionEpoch + 1 }, live)!;
    expect(done).to.deep.include({ replicas: [2, 3], leader: 2, leaderEpoch: 4, isr: [2, 3] });
    expect(done.addingReplicas).to.equal(undefined);
    expect(done.removingReplicas).to.equal(undefined);
  });

  it('cancel: back to the original replicas, the adding ones leave the ISR; nothing to cancel is NO_REASSIGNMENT_IN_PROGRESS', () => {
    const s = { ...started([3, 4]), isr: [1, 2, 3] };
    const c = cancelReassignment(s, live);
    if ('errorCode' in c) throw new Error(c.message);
    expect([...c.state.replicas].sort()).to.deep.equal([1, 2]);
    expect(c.state).to.deep.include({ isr: [1, 2], leader: 1 });
    const none = cancelReassignment(base, live);
    expect('errorCode' in none && none.errorCode).to.equal(ErrorCode.NO_REASSIGNMENT_IN_PROGRESS);
  });

  it('a new target replaces one in progress, starting from the original replicas', () => {
    const s = { ...started([2, 3]), isr: [1, 2, 3] };
    const again = started([4, 1], s);
    expect(again).to.deep.include({ replicas: [4, 1, 2], addingReplicas: [4], removingReplicas: [2], isr: [1, 2] });
  });

  it('refusals: unknown or duplicate brokers and empty lists are INVALID_REPLICA_ASSIGNMENT; a replication factor change when v1 forbids it is INVALID_REPLICATION_FACTOR; the same assignment is a no-op', () => {
    const code = (target: number[], allowRf = true) => {
      const r = startReassignment(base, target, live, live, allowRf);
      return 'errorCode' in r ? r.errorCode : r.state === null ? 'no-op' : 'started';
    };
    expect(code([1, 9])).to.equal(ErrorCode.INVALID_REPLICA_ASSIGNMENT);
    expect(code([2, 2])).to.equal(ErrorCode.INVALID_REPLICA_ASSIGNMENT);
    expect(code([])).to.equal(ErrorCode.INVALID_REPLICA_ASSIGNMENT);
    expect(code([-1, 2])).to.equal(ErrorCode.INVALID_REPLICA_ASSIGNMENT);
    expect(code([1, 2, 3], false)).to.equal(ErrorCode.INVALID_REPLICATION_FACTOR);
    expect(code([1, 2, 3], true)).to.equal('started');
    expect(code([1, 2])).to.equal('no-op');
  });
});
