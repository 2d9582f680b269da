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
import { eventually } from '../helpers/eventually';
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
describe('cluster: replicas ahead of their leader truncate and rejoin the ISR', function () {
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
});
