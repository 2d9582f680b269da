import { expect } from 'chai';
import { planBalanced, type Placement } from '../../src/admin/reassignmentPlanner';

const apply = (current: Placement[], moves: Placement[]) => current.map((p) => moves.find((m) => m.topic === p.topic && m.partition === p.partition) ?? p);
const count = (ps: Placement[], id: number, leaderOnly = false) => ps.filter((p) => (leaderOnly ? p.replicas[0] === id : p.replicas.includes(id))).length;

describe('admin: reassignment planner', () => {
  it('moves every replica off an excluded broker, keeps replication factors and spreads evenly', () => {
    const current = Array.from({ length: 12 }, (_, p) => ({ topic: 't', partition: p, replicas: [4, 1 + (p % 3)] }));
    const brokers = [1, 2, 3, 4].map((nodeId) => ({ nodeId, rack: null }));
    const after = apply(current, planBalanced(current, brokers, { allowed: new Set([1, 2, 3]) }));
    for (const p of after) {
      expect(p.replicas).to.not.include(4);
      expect(new Set(p.replicas).size).to.equal(2);
    }
    expect([1, 2, 3].map((id) => count(after, id))).to.deep.equal([8, 8, 8]);
    expect([1, 2, 3].map((id) => count(after, id, true))).to.deep.equal([4, 4, 4]);
  });

  it('keeps a partition on two racks when moving replicas, and leaves a balanced layout alone', () => {
    const brokers = [
      { nodeId: 1, rack: 'a' },
      { nodeId: 2, rack: 'b' },
      { nodeId: 3, rack: 'a' },
      { nodeId: 4, rack: 'b' },
    ];
    const current = Array.from({ length: 8 }, (_, p) => ({ topic: 'r', partition: p, replicas: p % 2 ? [2, 1] : [1, 2] }));
    const after = apply(current, planBalanced(current, brokers));
    for (const p of after) expect(new Set(p.replicas.map((r) => brokers[r - 1]!.rack)).size).to.equal(2);
    expect([1, 2, 3, 4].map((id) => count(after, id))).to.deep.equal([4, 4, 4, 4]);
    expect(planBalanced(after, brokers)).to.deep.equal([]);
  });
});
