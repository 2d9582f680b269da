import { expect } from 'chai';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { eventually } from '../helpers/eventually';
import { CLUSTER_POLL, ProcessCluster } from '../cluster/helpers/processCluster';
import { coordinatorOf } from '../helpers/coordinators';

/** Records of one phase: every third one is tagged paid, the rest new. */
function phase(name: string, count: number): Array<{ value: string; headers: Record<string, string> }> {
  return Array.from({ length: count }, (_, i) => ({ value: `${name}-${i}`, headers: { 'brook-tag': i % 3 === 0 ? 'paid' : 'new' } }));
}

/**
 * kill -9 of the broker that is both the kafkajs group's coordinator and the leader of the partition the group
 * reads: a plain topic and a view of it, each read by its own group.
 *
 * What kafkajs (2.x) does here, seen in its debug log: after a metadata refresh it fetches from the new leader,
 * but keeps the group coordinator it found when it joined; every heartbeat and commit goes to the dead broker's
 * address (ECONNREFUSED, a retriable connection error that does not make it ask FindCoordinator again), and its
 * runner retries the whole fetch-and-process step with the consumer's `retry` settings. Only when those retries are
 * exhausted does the consumer crash, restart, rejoin and find the new coordinator. With `retries: 30` (and the
 * 30 s cap on one back-off) that is many minutes, which is how a view test with those settings "stalled"; with the
 * plain source it stalls the same way, so it is not the view. With `retries: 3` it reads on within seconds.
 */
describe('kafkajs group whose coordinator dies with the leader of what it reads (child-process brokers on etcd)', function () {
  this.timeout(300_000);
  let c: ProcessCluster | undefined;
  const consumers: Consumer[] = [];

  afterEach(async () => {
    for (const consumer of consumers.splice(0)) await consumer.disconnect().catch(() => undefined);
    await c?.stop();
    c = undefined;
  });

  for (const readView of [false, true]) {
    it(`reads on after the failover (${readView ? 'a view' : 'the plain source'})`, async () => {
      c = await ProcessCluster.start([1, 2, 3], {}, [], 120_000);
      const group = readView ? 'ck-view' : 'ck-plain';
      const topic = readView ? 'src.paid' : 'src';
      const port = [...c.brokers.values()][0]!.port;
      const coordinator = await eventually(async () => {
        const n = await coordinatorOf(port, group).catch(() => -1);
        return n > 0 && n;
      }, 'the group has a coordinator', { ...CLUSTER_POLL, ms: 60_000 });
      const others = [1, 2, 3].filter((n) => n !== coordinator);
      const admin = await c.adminClient();
      await admin.createTopics({ topics: [{ topic: 'src', replicaAssignment: [{ partition: 0, replicas: [coordinator, ...others] }] }], waitForLeaders: true });
      if (readView) await admin.createTopics({ topics: [{ topic: 'src.paid', configEntries: [{ name: 'brook.view.of', value: 'src' }, { name: 'brook.view.filter', value: 'paid' }] }] });
      await eventually(async () => (await c!.partition('src', 0)).leader === coordinator, 'the source led by the coordinator', { ...CLUSTER_POLL, ms: 60_000 });

      const kafkaLogs: string[] = [];
      const kafka = new Kafka({
        clientId: 'ck',
        brokers: c.bootstrap,
        logLevel: logLevel.INFO,
        logCreator: () => (e) => void kafkaLogs.push(`${new Date().toISOString()} ${e.namespace} ${e.log.message} ${JSON.stringify({ ...e.log, message: undefined, timestamp: undefined, logger: undefined })}`),
        retry: { initialRetryTime: 100, retries: 10 },
      });
      const sent: Array<{ offset: number; value: string; tag: string }> = [];
      const send = async (msgs: ReturnType<typeof phase>) => {
        const p = kafka.producer({ allowAutoTopicCreation: false });
        await p.connect();
        const [r] = await p.send({ topic: 'src', acks: -1, messages: msgs });
        await p.disconnect();
        msgs.forEach((m, i) => sent.push({ offset: Number(r!.baseOffset) + i, value: m.value, tag: m.headers['brook-tag']! }));
      };
      await send(phase('a', 30));
      const seen: number[] = [];
      const consumer = kafka.consumer({ groupId: group, sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 200, retry: { initialRetryTime: 100, retries: 3 } });
      consumers.push(consumer);
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ autoCommitThreshold: 1, eachMessage: async ({ message }) => void seen.push(Number(message.offset)) });
      const want = () => sent.filter((s) => !readView || s.tag === 'paid').map((s) => s.offset);
      await eventually(() => seen.length >= want().length, 'phase a', 60_000);
      const admin2 = await c.adminClient();
      await eventually(async () => Number((await admin2.fetchOffsets({ groupId: group, topics: [topic] }))[0]!.partitions[0]!.offset) > want().at(-1)!, 'committed past phase a', 30_000);

      const killedAt = new Date().toISOString();
      await c.kill9(coordinator);
      await eventually(async () => {
        const l = (await c!.partition('src', 0)).leader;
        return l > 0 && l !== coordinator;
      }, 'a new source leader', { ...CLUSTER_POLL, ms: 60_000 });
      await send(phase('b', 30));
      try {
        await eventually(() => seen.length >= want().length, 'phase b', 90_000);
      } catch (err) {
        console.log(`killed ${coordinator} at ${killedAt}; seen ${seen.length}/${want().length}`);
        console.log(kafkaLogs.filter((l) => l > killedAt).slice(0, 200).join('\n'));
        throw err;
      }
      expect(seen).to.deep.equal(want());
    });
  }
});
