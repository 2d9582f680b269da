import { expect } from 'chai';
import { Kafka, logLevel } from 'kafkajs';
import { eventually } from '../helpers/eventually';
import { CLUSTER_POLL, ProcessCluster } from './helpers/processCluster';

const HTTP_ARGS = ['--metrics-port', '0', '--metrics-host', '127.0.0.1'];
const WRITES = 200;

function httpPort(c: ProcessCluster, nodeId: number): number {
  const line = c.brokers.get(nodeId)!.logs.find((l) => l.msg === 'http listening');
  return typeof line?.port === 'number' ? line.port : 0;
}

/** The leader's answers to follower fetches so far: with records, and without (high watermark news or timeouts). */
async function followerFetches(c: ProcessCluster, nodeId: number): Promise<{ data: number; empty: number }> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort(c, nodeId)}/metrics`)).text();
  const count = (answer: string) => Number(new RegExp(`^brook_replication_follower_fetches_total\\{answer="${answer}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? NaN);
  return { data: count('data'), empty: count('empty') };
}

/**
 * Issue 17 item 4: an acks=all write is answered as soon as the followers have
 * it. Their parked fetches wake on the append and carry the data; each
 * follower's next fetch reports its new log end, which moves the high
 * watermark and answers the write. So each follower makes one round trip per
 * write. A follower woken only to learn the new high watermark is away from
 * the leader when the next write arrives, and that write waits a round trip
 * for it: such wake-ups are counted here (work, not time).
 */
describe('cluster: follower fetch round trips per acks=all write (process brokers)', function () {
  this.timeout(180_000);
  let c: ProcessCluster | null = null;

  after(async () => {
    await c?.stop();
  });

  it('kafkajs acks=all writes one at a time on RF=3: one follower fetch round trip per follower per write', async () => {
    // idle follower fetches end only after replica.fetch.wait.max.ms: long here, so timeouts do not blur the count
    c = await ProcessCluster.start([1, 2, 3], { 'replica.fetch.wait.max.ms': '5000' }, HTTP_ARGS);
    await eventually(() => [1, 2, 3].every((n) => httpPort(c!, n) > 0), 'every broker serves HTTP', CLUSTER_POLL);
    const admin = await c.adminClient();
    await admin.createTopics({ topics: [{ topic: 'acks', numPartitions: 1, replicationFactor: 3 }], waitForLeaders: true });
    await eventually(async () => (await c!.partition('acks', 0)).isr.length === 3, 'all three replicas in sync', CLUSTER_POLL);
    const leader = (await c.partition('acks', 0)).leader;

    const producer = new Kafka({ clientId: 'acks-rt', brokers: c.bootstrap, logLevel: logLevel.NOTHING }).producer({ maxInFlightRequests: 1 });
    await producer.connect();
    try {
      for (let i = 0; i < 20; i++) await producer.send({ topic: 'acks', acks: -1, messages: [{ value: `warm-${i}` }] });
      const before = await followerFetches(c, leader);
      for (let i = 0; i < WRITES; i++) {
        const [res] = await producer.send({ topic: 'acks', acks: -1, messages: [{ value: `w-${i}` }] });
        expect(res!.errorCode).to.equal(0);
      }
      const after = await followerFetches(c, leader);
      const data = (after.data - before.data) / WRITES;
      const empty = (after.empty - before.empty) / WRITES;
      const figures = `per acknowledged write: ${data.toFixed(2)} follower fetches with data, ${empty.toFixed(2)} without`;
      // two followers, each fetching the write once; a little slack for a fetch that ends on its timeout
      expect(data, figures).to.be.within(1.9, 2.1);
      expect(empty, figures).to.be.below(0.1);
    } finally {
      await producer.disconnect();
    }
  });
});
