import { expect } from 'chai';
import { eventually } from '../helpers/eventually';
import { ErrorCode } from '../../protocol/errors';
import { createLogger } from '../../src/log';
import { ShareCoordinator } from '../../src/share/coordinator';
import { RecordState, type PartitionSnapshot } from '../../src/share/partitionState';
import type { ShareStateRecord } from '../../src/share/records';

/** An in-memory __brook_share_state whose next append can be made to fail. */
class MemoryShareLog {
  readonly records: ShareStateRecord[] = [];
  failNext = false;
  /** While set, appends wait for it (writes in flight), in call order. */
  gate: Promise<void> | null = null;
  waiting = 0;
  /** Same contract as ShareStateLog: in order, `valid` asked before writing, `failed` called on failure. */
  async append(records: ShareStateRecord[], guards: { valid?: () => boolean; failed?: () => void } = {}): Promise<void> {
    this.waiting++;
    await (this.gate ?? Promise.resolve());
    this.waiting--;
    if (guards.valid && !guards.valid()) throw new Error('superseded');
    if (this.failNext) {
      this.failNext = false;
      guards.failed?.();
      throw new Error('disk full');
    }
    this.records.push(...records);
  }
  async *load(): AsyncIterable<ShareStateRecord> {
    yield* this.records;
  }
}

const TOPIC_ID = Buffer.alloc(16, 7);
const topic = { id: TOPIC_ID, name: 't', partitions: 1 };

function coordinator(log: MemoryShareLog, now?: () => number): ShareCoordinator {
  return new ShareCoordinator({
    now,
    log,
    topics: { byName: () => topic, byId: () => topic },
    partitionLog: async () => ({ errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER }),
    dlq: { append: () => Promise.reject(new Error('no dlq')) },
    logger: createLogger('silent'),
  });
}

/** Built when a test runs: mocha loads every file first, so a lock computed at load has expired by then in a long run. */
const held = (): PartitionSnapshot => ({
  startOffset: 10,
  runs: [{ first: 10, last: 19, state: RecordState.ACQUIRED, deliveryCount: 1, availableAt: 0, member: 'm', lockUntil: Date.now() + 60_000 }],
});

describe('share coordinator: state changes only by replaying persisted records', () => {
  it("group configs persisted under Brook's former group.share.* names replay under Kafka's names (Kafka's wins)", async () => {
    const log = new MemoryShareLog();
    log.records.push({ kind: 'config', group: 'old', configs: { 'group.share.record.lock.duration.ms': '7000', 'group.share.delivery.count.limit': '3', 'share.delivery.count.limit': '4' } });
    const c = coordinator(log);
    await c.start();
    try {
      const g = c.groups.get('old')!;
      expect(Object.fromEntries(g.configs)).to.deep.equal({ 'share.record.lock.duration.ms': '7000', 'share.delivery.count.limit': '4' });
      expect([g.config.lockDurationMs, g.config.deliveryCountLimit]).to.deep.equal([7000, 4]);
    } finally {
      c.stop();
    }
  });

  it('a failed write changes nothing; the retried acknowledgement applies; a restart replays the same state', async () => {
    const log = new MemoryShareLog();
    log.records.push({ kind: 'group', group: 'g', deleted: false }, { kind: 'partition', group: 'g', topicId: TOPIC_ID.toString('hex'), partition: 0, snapshot: held() });
    const c = coordinator(log);
    await c.start();
    const sp = c.sharePartition('g', TOPIC_ID, 0)!;
    // Loaded after a "crash": the acquisition is void, the delivery count kept.
    expect(sp.snapshot!.runs).to.deep.equal([{ first: 10, last: 19, state: RecordState.AVAILABLE, deliveryCount: 1, availableAt: 0, member: null, lockUntil: 0 }]);

    // Make m hold 10..19 again (live replay of a persisted acquisition).
    c.replay({ kind: 'partition', group: 'g', topicId: TOPIC_ID.toString('hex'), partition: 0, snapshot: held() }, true);
    const before = sp.snapshot;
    log.failNext = true;
    expect(await c.acknowledge('g', TOPIC_ID, 0, 'm', [{ firstOffset: 10, lastOffset: 14, acknowledgeTypes: [1] }])).to.equal(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect(sp.snapshot).to.equal(before);
    expect(sp.current).to.equal(before);

    expect(await c.acknowledge('g', TOPIC_ID, 0, 'm', [{ firstOffset: 10, lastOffset: 14, acknowledgeTypes: [1] }])).to.equal(0);
    expect(sp.snapshot!.startOffset).to.equal(15);
    // Not m's, or already acknowledged: refused, nothing written.
    const written = log.records.length;
    expect(await c.acknowledge('g', TOPIC_ID, 0, 'other', [{ firstOffset: 15, lastOffset: 15, acknowledgeTypes: [1] }])).to.equal(ErrorCode.INVALID_RECORD_STATE);
    expect(await c.acknowledge('g', TOPIC_ID, 0, 'm', [{ firstOffset: 12, lastOffset: 12, acknowledgeTypes: [1] }])).to.equal(ErrorCode.INVALID_RECORD_STATE);
    expect(log.records.length).to.equal(written);
    c.stop();

    const restarted = coordinator(log);
    await restarted.start();
    const again = restarted.sharePartition('g', TOPIC_ID, 0)!.snapshot!;
    expect(again.startOffset).to.equal(15);
    expect(again.runs).to.deep.equal([{ first: 15, last: 19, state: RecordState.AVAILABLE, deliveryCount: 1, availableAt: 0, member: null, lockUntil: 0 }]);
    restarted.stop();
  });

  it('plans pipelined on top of a write that fails are refused unwritten', async () => {
    const log = new MemoryShareLog();
    log.records.push({ kind: 'group', group: 'g', deleted: false });
    const c = coordinator(log);
    await c.start();
    c.replay({ kind: 'partition', group: 'g', topicId: TOPIC_ID.toString('hex'), partition: 0, snapshot: held() }, true);
    log.failNext = true;
    let open!: () => void;
    log.gate = new Promise((r) => (open = r));
    // Two acknowledgements planned back to back while the first write is in flight: the second builds on the first, which fails.
    const acks = Promise.all([
      c.acknowledge('g', TOPIC_ID, 0, 'm', [{ firstOffset: 10, lastOffset: 10, acknowledgeTypes: [1] }]),
      c.acknowledge('g', TOPIC_ID, 0, 'm', [{ firstOffset: 11, lastOffset: 11, acknowledgeTypes: [1] }]),
    ]);
    await eventually(() => log.waiting === 2, 'both writes in flight');
    open();
    const [a, b] = await acks;
    expect(a).to.equal(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect(b).to.not.equal(0);
    const sp = c.sharePartition('g', TOPIC_ID, 0)!;
    expect(sp.snapshot!.startOffset).to.equal(10);
    expect(sp.current!.runs[0]!.state).to.equal(RecordState.ACQUIRED);
    c.stop();
  });
});

describe('share coordinator: lock timers that fire before the clock reaches the lock', () => {
  it('expires the lock once the clock gets there instead of leaving the record held until the session ends', async () => {
    const log = new MemoryShareLog();
    log.records.push({ kind: 'group', group: 'g', deleted: false });
    // libuv times a timer from the loop's cached time: after a long turn it fires before Date.now() shows its
    // deadline. Modelled by a coordinator clock that falls 20 ms behind right after the lock timer is set.
    let lag = 0;
    const c = coordinator(log, () => Date.now() - lag);
    await c.start();
    const lockUntil = Date.now() + 100;
    c.replay({ kind: 'partition', group: 'g', topicId: TOPIC_ID.toString('hex'), partition: 0, snapshot: { startOffset: 10, runs: [{ first: 10, last: 10, state: RecordState.ACQUIRED, deliveryCount: 1, availableAt: 0, member: 'm', lockUntil }] } }, true);
    lag = 20;
    const sp = c.sharePartition('g', TOPIC_ID, 0)!;
    await eventually(() => sp.snapshot!.runs[0]!.state === RecordState.AVAILABLE, 'the lock to expire', 3000);
    expect(sp.snapshot!.runs[0]).to.include({ first: 10, state: RecordState.AVAILABLE, deliveryCount: 1, member: null });
    c.stop();
  });
});
