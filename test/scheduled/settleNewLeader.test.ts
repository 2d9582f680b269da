import { expect } from 'chai';
import { Kafka, logLevel } from 'kafkajs';
import { buildRecordBatch } from '../../protocol/records';
import { SCHEDULED_TOPIC } from '../../src/internalTopics/names';
import { ClusterLink } from '../../src/scheduled/clusterLink';
import { Header } from '../../src/scheduled/policy';
import { encodeIntent } from '../../src/scheduled/records';
import { scheduledTopicOptions } from '../../src/scheduled/scheduleLog';
import { Scheduler } from '../../src/scheduled/scheduler';
import { schedulerOf } from '../../src/scheduled/services';
import { eventually } from '../helpers/eventually';
import { MemoryCluster } from '../helpers/memoryCluster';
import { memoryLogger, type LogEntry } from '../helpers/memoryLogger';
import { readAll } from './helpers/read';

const S = 1; // leads __brook_scheduled: runs the scheduler
const L1 = 2; // leads jobs-0 until it dies
const F = 3; // follower of jobs-0 that holds the delivered copy and becomes its leader
const G = 4; // follower of jobs-0 that has not fetched the copy yet (its metadata events are held)

/**
 * The duplicate window after a target partition's own leader change (docs/ARCHITECTURE.md, "Scheduled
 * delivery"): a delivery round appended a schedule to jobs-0 and its leader died before confirming it; the
 * follower elected next holds that copy, but above its high watermark, because the other follower has not
 * fetched from it yet. A settle that reads only up to the high watermark misses the copy and delivers the
 * schedule a second time. Built by hand (as in settleInterrupted.test.ts) so that no timing decides it:
 * the copy is appended to F's log while L1 is dead and F not yet leader, G does not follow F until the test
 * lets it, and the settle runs before that.
 */
describe('scheduled delivery: settling against a target leader elected a moment ago', function () {
  this.timeout(60_000);
  let c: MemoryCluster | null = null;
  let replacement: Scheduler | null = null;
  let link: ClusterLink | null = null;

  after(async () => {
    replacement?.stop();
    link?.close();
    await c?.stop();
  });

  it('finds the copy above the new leader high watermark: the schedule is delivered once', async () => {
    c = await MemoryCluster.start({ brokers: 4 });
    const s = c.broker(S).services;
    const opts = scheduledTopicOptions(s);
    await c.metadata.createTopic(SCHEDULED_TOPIC, { assignment: [[S, F, G]], internal: true, configs: opts.configs });
    await c.metadata.createTopic('jobs', { assignment: [[L1, F, G]] });
    await c.settled();
    await eventually(() => schedulerOf(s)?.ready, 'the scheduler runs on the leader of __brook_scheduled');

    const kafka = new Kafka({ brokers: c.bootstrap, logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'jobs', acks: -1, messages: [{ key: 'job', value: 'job', partition: 0, headers: { 'brook-delay-ms': '3600000' } }] });
    await producer.disconnect();
    const running = schedulerOf(s)!;
    const [pending] = await running.list(10);
    expect(pending?.topic).to.equal('jobs');
    const id = pending!.offset;

    // The round, up to its append: the INTENT (replicated in __brook_scheduled), then the copy reaches F only.
    running.stop();
    const end = c.broker(L1).services.logs.get('jobs', 0)!.logEndOffset;
    await running.log.appendJournal([encodeIntent('jobs', 0, end, [id])]);
    c.view(G).holdEvents();
    c.view(F).holdEvents();
    await c.killBroker(L1);
    expect(c.leaderOf('jobs', 0)).to.equal(F);
    const fLog = c.broker(F).services.logs.get('jobs', 0)!;
    const epoch = c.state('jobs', 0).leaderEpoch - 1;
    await fLog.append(buildRecordBatch({ partitionLeaderEpoch: epoch, records: [{ key: Buffer.from('job'), value: Buffer.from('job'), headers: [{ key: Header.SCHEDULED_OFFSET, value: Buffer.from(`0:${id}`) }] }] }));
    await c.view(F).resumeEvents();
    await c.settled();
    expect(fLog.logEndOffset, 'F holds the copy').to.equal(end + 1);
    expect(fLog.highWatermark, 'F has not seen it committed: G has not fetched from it').to.equal(end);

    // A scheduler for whom the schedule is long due, as a new leader of __brook_scheduled would be.
    const entries: LogEntry[] = [];
    link = new ClusterLink(s);
    replacement = new Scheduler(s, memoryLogger(entries), 30_000, () => Date.now() + 2 * 3_600_000, link);
    const started = replacement.start();
    // Either the settle is done (it read F up to its high watermark) or it waits for that to cover F's log end.
    await Promise.race([started, eventually(() => entries.some((e) => e.msg.includes('settle waits for the target high watermark')), 'the settle waits for F')]);
    await c.view(G).resumeEvents();
    await c.settled();
    await started;
    await eventually(() => replacement!.pending === 0, 'the schedule resolved');

    const copies = (await readAll(kafka, 'jobs')).filter((r) => r.headers[Header.SCHEDULED_OFFSET] === `0:${id}`);
    expect(copies.map((r) => r.value), 'delivered exactly once').to.deep.equal(['job']);
    const settled = entries.find((e) => e.msg === 'settled an interrupted scheduled delivery');
    expect(settled?.fields.found, 'the settle found the copy on F').to.equal(1);
  });
});
