import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { ApiKey } from '../../protocol/generated/apis';
import type { ProduceResponse } from '../../protocol/generated/messages/ProduceResponse';
import { ErrorCode } from '../../protocol/errors';
import { LEADER_EPOCH_FILE } from '../../storage/leaderEpochCache';
import { MemoryCluster } from '../helpers/memoryCluster';
import { RawClient } from '../helpers/rawClient';
import { buildBatch } from '../storage/helpers';
import { Kafka, logLevel } from 'kafkajs';
import { eventually } from '../helpers/eventually';
import { EtcdTestCluster } from './helpers/etcdCluster';
import { recordsOf } from '../helpers/dataPath';

async function produce(c: MemoryCluster, brokerId: number, topic: string, values: string[], acks = -1): Promise<{ errorCode: number; baseOffset: number }> {
  const client = await RawClient.connect(c.broker(brokerId).port);
  try {
    const res = await client.request<ProduceResponse>(ApiKey.Produce, 9, {
      transactionalId: null,
      acks,
      timeoutMs: 10_000,
      topicData: [{ name: topic, partitionData: [{ index: 0, records: buildBatch(values.map((v) => ({ value: v }))) }] }],
    });
    const p = res.responses[0]!.partitionResponses[0]!;
    return { errorCode: p.errorCode, baseOffset: Number(p.baseOffset) };
  } finally {
    client.close();
  }
}

const endOf = (c: MemoryCluster, id: number, topic: string) => c.broker(id).services.logs.get(topic, 0)!.logEndOffset;

/** Every record value in broker `id`'s log, from its start to its end. */
async function valuesOf(c: MemoryCluster, id: number, topic: string): Promise<Array<string | null>> {
  const log = c.broker(id).services.logs.get(topic, 0)!;
  const r = await log.read(log.logStartOffset, 1 << 20, { minOneBatch: true, maxOffset: log.logEndOffset });
  return recordsOf(Buffer.concat(r.chunks)).map((rec) => rec.value);
}

/**
 * Replicas that come back holding more than their leader (it was elected uncleanly, or lost its log) must cut
 * their log to the leader's and rejoin the ISR. They used to fetch past the leader's end, be told
 * OFFSET_OUT_OF_RANGE, "truncate" to their own high watermark (no change) and fetch again, forever: the ISR
 * stayed at the leader alone and acks=all writes failed with NOT_ENOUGH_REPLICAS.
 */
describe('cluster: replicas back with more, or less, than the ISR had', function () {
  this.timeout(30_000);
  let c: MemoryCluster;
  afterEach(async () => c?.stop());

  /**
   * Three brokers; `fresh` missed every write (down throughout), `a` and `b` hold 20 acknowledged records in
   * batches of 5; then `fresh` alone comes back, is elected uncleanly and takes `written`, one batch each.
   */
  async function aheadOfFresh(topic: string, written: string[]): Promise<{ a: number; b: number; fresh: number }> {
    c = await MemoryCluster.start({ brokers: 3, policy: { uncleanLeaderElection: true, preferredLeaderElection: false } });
    await c.createTopic(topic, 1, 3, { 'min.insync.replicas': '2' });
    const s = c.state(topic, 0);
    const a = s.leader;
    const [b, fresh] = s.replicas.filter((r) => r !== a) as [number, number];
    await c.killBroker(fresh);
    for (let i = 0; i < 4; i++) expect((await produce(c, a, topic, [0, 1, 2, 3, 4].map((j) => `v${i * 5 + j}`))).errorCode).to.equal(0);
    await eventually(() => endOf(c, b, topic) === 20, 'b has all 20 records');
    // b's high watermark reaches 20 with its next fetch: let it land there (the worst case: a saved HW past the new leader's end)
    await eventually(() => c.broker(b).services.logs.get(topic, 0)!.highWatermark === 20, 'b knows all 20 are committed');
    await c.killBroker(b);
    await c.killBroker(a);
    // only the replica with nothing comes back: unclean election makes it leader of an empty log
    await c.restartBroker(fresh);
    expect(c.state(topic, 0).leader).to.equal(fresh);
    await eventually(async () => (await produce(c, fresh, topic, [written[0]!], 1)).errorCode === 0, 'the unclean leader takes writes', { retryErrors: true });
    for (const v of written.slice(1)) expect((await produce(c, fresh, topic, [v], 1)).errorCode).to.equal(0);
    return { a, b, fresh };
  }

  async function rejoined(topic: string, fresh: number, others: number[]): Promise<void> {
    await eventually(() => c.state(topic, 0).isr.length === 3, 'the old replicas back in the ISR', 10_000);
    expect((await produce(c, fresh, topic, ['acked'])).errorCode).to.equal(ErrorCode.NONE);
    for (const id of others) await eventually(() => endOf(c, id, topic) === endOf(c, fresh, topic), `broker ${id} at the leader's log end`);
  }

  it('after an unclean election of a replica with none of the data (the epoch they ask about is older than any the leader has)', async () => {
    const written = ['n0', 'n1', 'n2', 'n3', 'n4'];
    const { a, b, fresh } = await aheadOfFresh('unclean', written);
    await c.restartBroker(a);
    await c.restartBroker(b);
    await rejoined('unclean', fresh, [a, b]);
    // the leader's log, record for record: their epoch-0 records below the leader's end (v0-v4 at offsets 0-4) are gone too
    for (const id of [fresh, a, b]) expect(await valuesOf(c, id, 'unclean'), `broker ${id}`).to.deep.equal([...written, 'acked']);
  });

  it('a replica with no epoch history past the leader\'s end cuts to the leader\'s high watermark (OFFSET_OUT_OF_RANGE)', async () => {
    // one record: with no epochs to compare, what lies below the leader's end cannot be told apart (as in Kafka),
    // so this shows the cut to the leader's end and the way back into the ISR, not which records survive
    const { a, b, fresh } = await aheadOfFresh('noepochs', ['n0']);
    // without its epoch file the replica cannot ask where its epochs end: it keeps up to its high watermark, 20
    for (const id of [a, b]) rmSync(join(c.dataDirs.get(id)!, 'noepochs-0', LEADER_EPOCH_FILE), { force: true });
    await c.restartBroker(a);
    await c.restartBroker(b);
    await rejoined('noepochs', fresh, [a, b]);
  });

  async function twentyAcked(topic: string): Promise<{ a: number; b: number; third: number }> {
    c = await MemoryCluster.start({ brokers: 3 });
    await c.createTopic(topic, 1, 3, { 'min.insync.replicas': '2' });
    const s = c.state(topic, 0);
    const a = s.leader;
    const [b, third] = s.replicas.filter((r) => r !== a) as [number, number];
    await c.killBroker(third);
    for (let i = 0; i < 4; i++) expect((await produce(c, a, topic, [0, 1, 2, 3, 4].map((j) => `v${i * 5 + j}`))).errorCode).to.equal(0);
    await eventually(() => endOf(c, b, topic) === 20, 'b has all 20 records');
    return { a, b, third };
  }

  const acked = Array.from({ length: 20 }, (_, i) => `v${i}`);

  it('a leader back with a wiped data dir leaves the ISR instead of leading an empty log; the other ISR member leads with every acked record', async () => {
    const { a, b } = await twentyAcked('wiped');
    // both ISR members die together: the partition goes offline with ISR [a, b], either may lead cleanly
    await c.killBrokersAtOnce([a, b]);
    expect(c.state('wiped', 0)).to.include({ leader: -1 });
    expect([...c.state('wiped', 0).isr].sort()).to.deep.equal([a, b].sort());
    c.wipeDataDir(a);
    await c.restartBroker(a);
    // a has nothing: it is out of the ISR, and with b down nobody may lead
    expect(c.state('wiped', 0)).to.include({ leader: -1 });
    expect(c.state('wiped', 0).isr).to.deep.equal([b]);
    expect((await produce(c, a, 'wiped', ['lost?'], 1)).errorCode).to.equal(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    await c.restartBroker(b);
    expect(c.state('wiped', 0).leader).to.equal(b);
    await eventually(() => c.state('wiped', 0).isr.includes(a), 'a caught up and back in the ISR', 10_000);
    expect((await produce(c, b, 'wiped', ['after'])).errorCode).to.equal(ErrorCode.NONE);
    for (const id of [a, b]) await eventually(async () => expect(await valuesOf(c, id, 'wiped'), `broker ${id}`).to.deep.equal([...acked, 'after']), `broker ${id} has every record`);
  });

  it('the only ISR member back with a wiped data dir leaves the partition offline rather than lead it empty', async () => {
    const { a, b, third } = await twentyAcked('alone');
    await c.killBroker(b); // ISR [a]
    await c.killBroker(a); // offline, ISR [a]
    c.wipeDataDir(a);
    await c.restartBroker(a);
    await c.restartBroker(b);
    await c.restartBroker(third);
    // no replica is known to hold every acked record: offline until an unclean election is asked for (as Kafka)
    expect(c.state('alone', 0)).to.include({ leader: -1 });
    expect(c.state('alone', 0).isr).to.deep.equal([]);
    // and b, which has them, was not made to truncate them away
    expect(await valuesOf(c, b, 'alone')).to.deep.equal(acked);
  });
});

describe('cluster (etcd): a broker back with a wiped data dir', function () {
  this.timeout(60_000);
  let cluster: EtcdTestCluster | undefined;
  afterEach(async () => {
    await cluster?.stop();
    cluster = undefined;
  });

  it('leaves the ISR in etcd before it registers: the partition stays offline instead of losing the acked records', async () => {
    cluster = await EtcdTestCluster.start([1, 2, 3]);
    const md = () => [...cluster!.brokers.values()][0]!.services.metadata;
    await md().createTopic('wipe', { assignment: [[1, 2, 3]], configs: { 'min.insync.replicas': '2' } });
    await eventually(() => [1, 2, 3].every((id) => cluster!.broker(id).services.logs.get('wipe', 0)), 'logs on every broker');
    await cluster.stopBroker(3);
    await eventually(() => md().partitionState('wipe', 0)?.isr.length === 2, 'ISR [1, 2]');
    const kafka = new Kafka({ clientId: 'wipe', brokers: cluster.bootstrap, logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    try {
      await producer.send({ topic: 'wipe', acks: -1, messages: Array.from({ length: 20 }, (_, i) => ({ value: `v${i}` })) });
    } finally {
      await producer.disconnect();
    }
    await eventually(() => cluster!.broker(2).services.logs.get('wipe', 0)!.logEndOffset === 20, 'broker 2 has the 20 acked records');
    await cluster.stopBroker(2);
    await eventually(() => md().partitionState('wipe', 0)?.isr.length === 1, 'ISR [1]');
    await cluster.stopBroker(1);
    await cluster.wipeDataDir(1);
    await cluster.startBroker(1);
    await cluster.startBroker(2);
    await cluster.awaitRegistered();
    // broker 1 had the only claim to lead and no data: nobody may lead cleanly (as Kafka, until an unclean election)
    for (const id of [1, 2]) expect(cluster.broker(id).services.metadata.partitionState('wipe', 0), `as broker ${id} sees it`).to.include({ leader: -1 });
    expect(md().partitionState('wipe', 0)!.isr).to.deep.equal([]);
    const log2 = cluster.broker(2).services.logs.get('wipe', 0)!;
    expect(log2.logEndOffset).to.equal(20);
  });
});
