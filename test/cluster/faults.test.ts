import { expect } from 'chai';
import { ProcessCluster, until } from './helpers/processCluster';
import { runPython } from '../helpers/python';

const DRIVER = `${__dirname}/drivers/rdkafka_numbered.py`;

async function highWatermark(c: ProcessCluster, topic: string, partition: number): Promise<number> {
  const admin = await c.adminClient();
  const offsets = await admin.fetchTopicOffsets(topic);
  return Number(offsets.find((o) => o.partition === partition)!.high);
}

describe('cluster faults: child-process brokers on etcd, kill -9', function () {
  this.timeout(180_000);
  let c: ProcessCluster;

  afterEach(async () => {
    await c?.stop();
  });

  it('kill -9 of a partition leader under an idempotent acks=all librdkafka producer: every acked message is read once, in order; the dead broker comes back, catches up and rejoins the ISR', async () => {
    c = await ProcessCluster.start([1, 2, 3]);
    const admin = await c.adminClient();
    await admin.createTopics({ topics: [{ topic: 'ft', numPartitions: 2, replicationFactor: 3 }], waitForLeaders: true });
    const before = await c.partition('ft', 0);
    expect(before.isr).to.have.length(3);
    const producing = runPython([DRIVER, JSON.stringify({ op: 'produce', bootstrap: c.bootstrap.join(','), topic: 'ft', partitions: 2, from: 0, count: 600, delayMs: 5 })]);
    await until('the producer under way', async () => (await highWatermark(c, 'ft', 0)) >= 50);
    const victim = before.leader;
    await c.kill9(victim);
    const produced = await producing;
    expect(produced.code, produced.err).to.equal(0);
    const out = JSON.parse(produced.out) as { acked: Record<string, number[]>; errors: string[] };
    expect(out.errors).to.deep.equal([]);
    expect(out.acked['0']!.length + out.acked['1']!.length).to.equal(600);
    const after = await c.partition('ft', 0);
    expect(after.leader).to.not.equal(victim);

    const consumed = await runPython([DRIVER, JSON.stringify({ op: 'consume', bootstrap: c.bootstrap.join(','), topic: 'ft', expected: 600, group: 'ft-readers' })]);
    expect(consumed.code, consumed.err).to.equal(0);
    const read = (JSON.parse(consumed.out) as { read: Record<string, number[]> }).read;
    for (const p of ['0', '1']) expect(read[p], `partition ${p}`).to.deep.equal(out.acked[p]);

    await c.startBroker(victim);
    await until('restarted broker back in the ISR', async () => (await c.partition('ft', 0)).isr.includes(victim), 60_000);
  });

  it('kill -9 of a follower: the ISR shrinks, acks=all keeps working with the rest, and the follower rejoins after a restart', async () => {
    c = await ProcessCluster.start([1, 2, 3], { 'replica.lag.time.max.ms': '2000' });
    const admin = await c.adminClient();
    await admin.createTopics({ topics: [{ topic: 'ff', numPartitions: 1, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }], waitForLeaders: true });
    const before = await c.partition('ff', 0);
    const follower = before.replicas.find((r) => r !== before.leader)!;
    await c.kill9(follower);
    await until('follower out of the ISR', async () => !(await c.partition('ff', 0)).isr.includes(follower));
    const produced = await runPython([DRIVER, JSON.stringify({ op: 'produce', bootstrap: c.bootstrap.join(','), topic: 'ff', partitions: 1, from: 0, count: 100 })]);
    expect(produced.code, produced.err).to.equal(0);
    const out = JSON.parse(produced.out) as { acked: Record<string, number[]>; errors: string[] };
    expect(out.errors).to.deep.equal([]);
    expect(out.acked['0']).to.have.length(100);
    await c.startBroker(follower);
    await until('follower back in the ISR', async () => (await c.partition('ff', 0)).isr.includes(follower), 60_000);
    expect(await highWatermark(c, 'ff', 0)).to.equal(100);
  });
});
