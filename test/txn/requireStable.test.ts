import { expect } from 'chai';
import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/generated/apis';
import type { OffsetFetchResponse } from '../../protocol/generated/messages/OffsetFetchResponse';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { RawClient } from '../helpers/rawClient';
import { batchOf, produceRaw } from '../helpers/dataPath';
import type { BrokerObserver, RequestContext } from '../../src/handlers/types';
import { runPython } from './helpers/python';
import { addOffsets, endTxn, initProducerId, txnOffsetCommit } from './helpers/wire';
import { commitOffset } from '../helpers/coordinators';

const TOPIC = 'rs';

/** OffsetFetch v7 (one group) of partitions 0 and 1. */
async function fetchV7(c: RawClient, group: string, requireStable: boolean): Promise<Array<{ errorCode: number; offset: number }>> {
  const res = await c.request<OffsetFetchResponse>(ApiKey.OffsetFetch, 7, { groupId: group, topics: [{ name: TOPIC, partitionIndexes: [0, 1] }], requireStable });
  expect(res.errorCode).to.equal(0);
  return res.topics[0]!.partitions.map((p) => ({ errorCode: p.errorCode, offset: Number(p.committedOffset) }));
}

/** OffsetFetch v8 for several groups at once; every committed partition of each. */
async function fetchV8(c: RawClient, groups: string[], requireStable: boolean): Promise<Record<string, Array<{ errorCode: number; offset: number }>>> {
  const res = await c.request<OffsetFetchResponse>(ApiKey.OffsetFetch, 8, { groups: groups.map((groupId) => ({ groupId, topics: null })), requireStable });
  const out: Record<string, Array<{ errorCode: number; offset: number }>> = {};
  for (const g of res.groups) {
    expect(g.errorCode).to.equal(0);
    out[g.groupId] = g.topics.flatMap((t) => t.partitions.map((p) => ({ errorCode: p.errorCode, offset: Number(p.committedOffset) })));
  }
  return out;
}

const UNSTABLE = { errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT, offset: -1 };

describe('OffsetFetch require_stable (KIP-447), single broker', function () {
  this.timeout(60_000);
  let broker: TestBroker;
  let c: RawClient;

  beforeEach(async () => {
    broker = await startTestBroker({ config: { 'num.partitions': '2' } });
    await broker.services.metadata.createTopic(TOPIC, { partitions: 2, configs: {} });
    c = await RawClient.connect(broker.port);
  });
  afterEach(async () => {
    c.close();
    await broker.destroy();
  });

  async function staged(txnId: string, group: string, offset: number) {
    const p = await initProducerId(c, txnId);
    expect(p.errorCode).to.equal(0);
    expect(await addOffsets(c, txnId, p.producerId, p.producerEpoch, group)).to.equal(0);
    expect(await txnOffsetCommit(c, txnId, p.producerId, p.producerEpoch, group, TOPIC, offset)).to.equal(0);
    return p;
  }

  it('answers UNSTABLE_OFFSET_COMMIT for the pending partition only, and the committed offset once the transaction commits', async () => {
    expect(await commitOffset(c, 'g1', TOPIC, 5)).to.equal(0);
    const p = await staged('t1', 'g1', 42);
    expect(await fetchV7(c, 'g1', true)).to.deep.equal([UNSTABLE, { errorCode: 0, offset: -1 }]);
    // without require_stable the last committed offset is answered, as before
    expect(await fetchV7(c, 'g1', false)).to.deep.equal([{ errorCode: 0, offset: 5 }, { errorCode: 0, offset: -1 }]);
    expect(await endTxn(c, 't1', p.producerId, p.producerEpoch, true)).to.equal(0);
    expect(await fetchV7(c, 'g1', true)).to.deep.equal([{ errorCode: 0, offset: 42 }, { errorCode: 0, offset: -1 }]);
  });

  it('clears at abort, leaving the old committed offset', async () => {
    expect(await commitOffset(c, 'g2', TOPIC, 5)).to.equal(0);
    const p = await staged('t2', 'g2', 42);
    expect(await fetchV7(c, 'g2', true)).to.deep.equal([UNSTABLE, { errorCode: 0, offset: -1 }]);
    expect(await endTxn(c, 't2', p.producerId, p.producerEpoch, false)).to.equal(0);
    expect(await fetchV7(c, 'g2', true)).to.deep.equal([{ errorCode: 0, offset: 5 }, { errorCode: 0, offset: -1 }]);
  });

  it('v8 decides per group: only the group with the pending offset is unstable', async () => {
    expect(await commitOffset(c, 'ga', TOPIC, 5)).to.equal(0);
    expect(await commitOffset(c, 'gb', TOPIC, 6)).to.equal(0);
    const p = await staged('t3', 'ga', 42);
    expect(await fetchV8(c, ['ga', 'gb'], true)).to.deep.equal({ ga: [UNSTABLE], gb: [{ errorCode: 0, offset: 6 }] });
    expect(await fetchV8(c, ['ga', 'gb'], false)).to.deep.equal({ ga: [{ errorCode: 0, offset: 5 }], gb: [{ errorCode: 0, offset: 6 }] });
    expect(await endTxn(c, 't3', p.producerId, p.producerEpoch, true)).to.equal(0);
    expect(await fetchV8(c, ['ga', 'gb'], true)).to.deep.equal({ ga: [{ errorCode: 0, offset: 42 }], gb: [{ errorCode: 0, offset: 6 }] });
  });

  it('a read_committed confluent-kafka consumer waits for the pending transaction and starts from its offset, not the old one', async () => {
    const values = Array.from({ length: 10 }, (_, i) => `m-${i}`);
    await produceRaw(c, TOPIC, 0, batchOf(values.map((v) => ({ value: Buffer.from(v) }))));
    expect(await commitOffset(c, 'gc', TOPIC, 2)).to.equal(0);
    const p = await staged('tc', 'gc', 7);
    // Sees the OffsetFetch answers: the transaction commits only after the consumer was told UNSTABLE_OFFSET_COMMIT.
    let unstableAnswered!: () => void;
    const unstable = new Promise<void>((resolve) => (unstableAnswered = resolve));
    const observer: BrokerObserver = {
      requestDone(ctx: RequestContext, req: unknown, res: unknown) {
        if (ctx.apiKey !== ApiKey.OffsetFetch || !(req as { requireStable?: boolean }).requireStable) return;
        const r = res as { groups?: Array<{ topics: Array<{ partitions: Array<{ errorCode: number }> }> }>; topics?: Array<{ partitions: Array<{ errorCode: number }> }> };
        const topics = r.groups ? r.groups.flatMap((g) => g.topics) : (r.topics ?? []);
        if (topics.some((t) => t.partitions.some((x) => x.errorCode === ErrorCode.UNSTABLE_OFFSET_COMMIT))) unstableAnswered();
      },
      connectionOpened() {},
      connectionClosed() {},
    };
    broker.services.observer = observer;
    const consumed = runPython<{ ok: boolean; values?: string[]; error?: string }>('confluent_stable_consumer.py', { bootstrap: broker.bootstrap, group: 'gc', topic: TOPIC, count: 3 });
    await Promise.race([unstable, consumed.then((r) => Promise.reject(new Error(`consumer finished before any UNSTABLE_OFFSET_COMMIT answer: ${JSON.stringify(r)}`)))]);
    expect(await endTxn(c, 'tc', p.producerId, p.producerEpoch, true)).to.equal(0);
    const res = await consumed;
    expect(res).to.deep.equal({ ok: true, values: ['m-7', 'm-8', 'm-9'] });
  });

  it('ordering rule: a plain commit after the staging wins at the commit marker; one before it loses', async () => {
    expect(await commitOffset(c, 'go', TOPIC, 5)).to.equal(0);
    const p = await staged('to', 'go', 42);
    expect(await commitOffset(c, 'go', TOPIC, 6)).to.equal(0);
    expect(await endTxn(c, 'to', p.producerId, p.producerEpoch, true)).to.equal(0);
    expect(await fetchV7(c, 'go', true)).to.deep.equal([{ errorCode: 0, offset: 6 }, { errorCode: 0, offset: -1 }]);

    // staged again after that plain commit: the transaction's offset is the later write and wins
    expect(await addOffsets(c, 'to', p.producerId, p.producerEpoch, 'go')).to.equal(0);
    expect(await txnOffsetCommit(c, 'to', p.producerId, p.producerEpoch, 'go', TOPIC, 50)).to.equal(0);
    expect(await endTxn(c, 'to', p.producerId, p.producerEpoch, true)).to.equal(0);
    expect(await fetchV7(c, 'go', true)).to.deep.equal([{ errorCode: 0, offset: 50 }, { errorCode: 0, offset: -1 }]);

    // superseded, then staged again by the same transaction: the restaged offset is the later write
    expect(await addOffsets(c, 'to', p.producerId, p.producerEpoch, 'go')).to.equal(0);
    expect(await txnOffsetCommit(c, 'to', p.producerId, p.producerEpoch, 'go', TOPIC, 60)).to.equal(0);
    expect(await commitOffset(c, 'go', TOPIC, 55)).to.equal(0);
    expect(await txnOffsetCommit(c, 'to', p.producerId, p.producerEpoch, 'go', TOPIC, 61)).to.equal(0);
    expect(await endTxn(c, 'to', p.producerId, p.producerEpoch, true)).to.equal(0);
    expect(await fetchV7(c, 'go', true)).to.deep.equal([{ errorCode: 0, offset: 61 }, { errorCode: 0, offset: -1 }]);
  });
});
