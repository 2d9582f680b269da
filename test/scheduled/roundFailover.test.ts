import { expect } from 'chai';
import { Kafka, logLevel } from 'kafkajs';
import { decodeRecordBatches } from '../../protocol/records';
import type { PartitionLog } from '../../storage';
import { SCHEDULED_TOPIC } from '../../src/internalTopics/names';
import { ClusterLink } from '../../src/scheduled/clusterLink';
import { Header } from '../../src/scheduled/policy';
import { scheduledTopicOptions } from '../../src/scheduled/scheduleLog';
import { Scheduler } from '../../src/scheduled/scheduler';
import { schedulerOf } from '../../src/scheduled/services';
import { eventually } from '../helpers/eventually';
import { MemoryCluster } from '../helpers/memoryCluster';
import { memoryLogger, type LogEntry } from '../helpers/memoryLogger';

const S = 1; // leads __brook_scheduled (runs the scheduler) and near-0
const L1 = 2; // leads far-0 until it dies mid-append
const F = 3; // follower of everything; far-0's next leader
const X = 4; // far-0 follower that never fetches: L1's acks=all append waits for it

/** The scheduled-offset headers of `log`'s committed records. */
async function deliveredIds(log: PartitionLog): Promise<string[]> {
  const out: string[] = [];
  let offset = log.logStartOffset;
  while (offset < log.highWatermark) {
    const res = await log.read(offset, 1 << 20, { minOneBatch: true });
    if (res.chunks.length === 0) break;
    for (const b of decodeRecordBatches(Buffer.concat(res.chunks))) {
      offset = Number(b.baseOffset) + b.lastOffsetDelta + 1;
      for (const r of b.records) {
        if (Number(r.offset) >= log.highWatermark) continue;
        const h = r.headers.find((x) => x.key === Header.SCHEDULED_OFFSET);
        out.push(h?.value?.toString() ?? 'none');
      }
    }
  }
  return out;
}

/**
 * One delivery round into two targets, near-0 (led by the scheduler's broker) and far-0 (led by L1), when
 * L1 dies in the middle of its acks=all append and the scheduler cannot read far-0 back yet (its metadata
 * still names L1). near-0 has its copy already: the round must not put that schedule back in the heap, and
 * far-0's must wait until far-0's new leader can say whether the copy reached it (it did: F fetched it).
 * Each state is waited for, so no timing decides the outcome.
 */
describe('scheduled delivery: a round whose target leader dies mid-append', function () {
  this.timeout(60_000);
  let c: MemoryCluster | null = null;
  let replacement: Scheduler | null = null;
  let link: ClusterLink | null = null;

  after(async () => {
    replacement?.stop();
    link?.close();
    await c?.stop();
  });

  it('delivers each schedule once into both targets', async () => {
    c = await MemoryCluster.start({ brokers: 4 });
    const s = c.broker(S).services;
    await c.metadata.createTopic(SCHEDULED_TOPIC, { assignment: [[S, F]], internal: true, configs: scheduledTopicOptions(s).configs });
    await c.metadata.createTopic('near', { assignment: [[S, F]] });
    await c.metadata.createTopic('far', { assignment: [[L1, F, X]] });
    await c.settled();
    await eventually(() => schedulerOf(s)?.ready, 'the scheduler runs on the leader of __brook_scheduled');

    const producer = new Kafka({ brokers: c.bootstrap, logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    for (const topic of ['near', 'far']) await producer.send({ topic, acks: -1, messages: [{ key: topic, value: topic, partition: 0, headers: { 'brook-delay-ms': '3600000' } }] });
    await producer.disconnect();
    const running = schedulerOf(s)!;
    expect(running.pending).to.equal(2);
    running.stop();

    await c.replication(X).stop();
    const entries: LogEntry[] = [];
    link = new ClusterLink(s);
    // due for it at once: the round takes both schedules
    replacement = new Scheduler(s, memoryLogger(entries), 30_000, () => Date.now() + 2 * 3_600_000, link);
    await replacement.start();
    const near = c.broker(S).services.logs.get('near', 0)!;
    const farOnL1 = c.broker(L1).services.logs.get('far', 0)!;
    const farOnF = c.broker(F).services.logs.get('far', 0)!;
    await eventually(() => near.highWatermark === 1 && farOnL1.logEndOffset === 1 && farOnF.logEndOffset === 1, 'near-0 committed, far-0 appended on L1 and fetched by F');
    expect(farOnL1.highWatermark, "far-0's append waits for X").to.equal(0);

    // L1 dies; the scheduler's broker does not hear of far-0's new leader until the test lets it
    c.view(S).holdEvents();
    await c.killBroker(L1);
    await eventually(
      () => entries.some((e) => e.level === 'warn' && /cannot settle an unconfirmed round yet|scheduled delivery round failed/.test(e.msg)),
      "the scheduler could not read far-0 back",
    );
    // far-0's new leader F commits alone once X is gone (no wait for X to leave the ISR by lag)
    await c.killBroker(X);
    expect(c.leaderOf('far', 0)).to.equal(F);
    await c.view(S).resumeEvents();
    await c.settled();
    await eventually(() => replacement!.pending === 0, 'both schedules resolved', 30_000);
    await eventually(() => farOnF.highWatermark === farOnF.logEndOffset, "far-0's leader committed what it holds");

    const nearIds = await deliveredIds(near);
    const farIds = await deliveredIds(farOnF);
    expect(nearIds.length, `near-0 ${JSON.stringify(nearIds)}`).to.equal(1);
    expect(farIds.length, `far-0 ${JSON.stringify(farIds)}`).to.equal(1);
  });
});
