import { expect } from 'chai';
import { ErrorCode } from '../../protocol/errors';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { batchOf, fetchRaw, fetchRequest, produceRaw, recordsOf, type FetchPartitionSpec } from '../helpers/dataPath';
import { RawClient } from '../helpers/rawClient';
import { eventually } from '../helpers/eventually';

describe('Fetch sessions (KIP-227)', () => {
  let broker: TestBroker;
  let client: RawClient;
  before(async () => {
    broker = await startTestBroker({ config: { 'num.partitions': '3' } });
    const c = await RawClient.connect(broker.port);
    for (let p = 0; p < 3; p++) await produceRaw(c, 'sess', p, batchOf([{ value: `p${p}-0` }]));
    c.close();
  });
  after(() => broker.destroy());
  beforeEach(async () => {
    client = await RawClient.connect(broker.port);
  });
  afterEach(() => client.close());

  const parts = (offset: number): FetchPartitionSpec[] => [0, 1, 2].map((p) => ({ topic: 'sess', partition: p, offset }));
  const summary = (res: Awaited<ReturnType<typeof fetchRaw>>) =>
    res.responses.flatMap((t) => t.partitions.map((p) => [p.partitionIndex, Number(p.highWatermark), recordsOf(p.records).map((r) => r.value)]));

  it('creates a session, then sends only partitions with news in incremental fetches', async () => {
    const full = await fetchRaw(client, fetchRequest(parts(0), { sessionId: 0, sessionEpoch: 0 }));
    expect(full.errorCode).to.equal(0);
    expect(full.sessionId).to.be.greaterThan(0);
    expect(summary(full)).to.deep.equal([
      [0, 1, ['p0-0']],
      [1, 1, ['p1-0']],
      [2, 1, ['p2-0']],
    ]);
    const id = full.sessionId;

    // Epoch 1: the client moves its positions to 1 for all three; nothing new, so nothing is sent.
    const inc1 = await fetchRaw(client, fetchRequest(parts(1), { sessionId: id, sessionEpoch: 1 }));
    expect([inc1.errorCode, inc1.sessionId]).to.deep.equal([0, id]);
    expect(summary(inc1)).to.deep.equal([]);

    // New data on partition 1 only: epoch 2 names no partitions, the session remembers the offsets.
    await produceRaw(client, 'sess', 1, batchOf([{ value: 'p1-1' }]));
    const inc2 = await fetchRaw(client, fetchRequest([], { sessionId: id, sessionEpoch: 2 }));
    expect(summary(inc2)).to.deep.equal([[1, 2, ['p1-1']]]);

    // Forget partitions 0 and 2; data on 0 is then no longer reported.
    await produceRaw(client, 'sess', 0, batchOf([{ value: 'p0-1' }]));
    const inc3 = await fetchRaw(
      client,
      fetchRequest([{ topic: 'sess', partition: 1, offset: 2 }], {
        sessionId: id,
        sessionEpoch: 3,
        forgottenTopicsData: [{ topic: 'sess', topicId: Buffer.alloc(16), partitions: [0, 2] }],
      }),
    );
    expect(summary(inc3)).to.deep.equal([]);
    // Re-add partition 0 at offset 1: it is reported with its record.
    const inc4 = await fetchRaw(client, fetchRequest([{ topic: 'sess', partition: 0, offset: 1 }], { sessionId: id, sessionEpoch: 4 }));
    expect(summary(inc4)).to.deep.equal([[0, 2, ['p0-1']]]);
  });

  it('refuses a wrong epoch and unknown session ids', async () => {
    const full = await fetchRaw(client, fetchRequest(parts(0), { sessionId: 0, sessionEpoch: 0 }));
    const stale = await fetchRaw(client, fetchRequest([], { sessionId: full.sessionId, sessionEpoch: 5 }));
    expect([stale.errorCode, stale.responses.length]).to.deep.equal([ErrorCode.INVALID_FETCH_SESSION_EPOCH, 0]);
    const unknown = await fetchRaw(client, fetchRequest([], { sessionId: 0x1234567, sessionEpoch: 1 }));
    expect(unknown.errorCode).to.equal(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
  });

  it('closes a session with epoch -1 and answers that request without a session', async () => {
    const full = await fetchRaw(client, fetchRequest(parts(0), { sessionId: 0, sessionEpoch: 0 }));
    const closing = await fetchRaw(client, fetchRequest(parts(0), { sessionId: full.sessionId, sessionEpoch: -1 }));
    expect([closing.errorCode, closing.sessionId]).to.deep.equal([0, 0]);
    expect(summary(closing)).to.have.length(3);
    const after = await fetchRaw(client, fetchRequest([], { sessionId: full.sessionId, sessionEpoch: 1 }));
    expect(after.errorCode).to.equal(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
  });

  it('works with topic ids (v13+) including forgetting by id', async () => {
    const topicId = broker.services.metadata.topic('sess')!.id;
    const withIds = parts(0).map((p) => ({ ...p, topic: '', topicId }));
    const full = await fetchRaw(client, fetchRequest(withIds, { sessionId: 0, sessionEpoch: 0 }), 13);
    expect(full.responses[0].topicId.equals(topicId)).to.equal(true);
    expect(full.responses[0].partitions).to.have.length(3);
    const inc = await fetchRaw(
      client,
      fetchRequest([], { sessionId: full.sessionId, sessionEpoch: 1, forgottenTopicsData: [{ topic: '', topicId, partitions: [0, 1] }] }),
      13,
    );
    expect(inc.errorCode).to.equal(0);
    await produceRaw(client, 'sess', 0, batchOf([{ value: 'ignored-after-forget' }]));
    await produceRaw(client, 'sess', 2, batchOf([{ value: 'p2-new' }]));
    const inc2 = await fetchRaw(client, fetchRequest([], { sessionId: full.sessionId, sessionEpoch: 2 }), 13);
    expect(inc2.responses.flatMap((t) => t.partitions.map((p) => p.partitionIndex))).to.deep.equal([2]);
  });

  it('evicts the oldest session when the cache is full', async () => {
    const b2 = await startTestBroker({ config: { 'max.incremental.fetch.session.cache.slots': '2' } });
    const c2 = await RawClient.connect(b2.port);
    try {
      await produceRaw(c2, 'ev', 0, batchOf([{ value: 'x' }]));
      const spec = [{ topic: 'ev', partition: 0, offset: 0 }];
      const s1 = await fetchRaw(c2, fetchRequest(spec, { sessionId: 0, sessionEpoch: 0 }));
      const s2 = await fetchRaw(c2, fetchRequest(spec, { sessionId: 0, sessionEpoch: 0 }));
      const s3 = await fetchRaw(c2, fetchRequest(spec, { sessionId: 0, sessionEpoch: 0 }));
      expect((await fetchRaw(c2, fetchRequest([], { sessionId: s1.sessionId, sessionEpoch: 1 }))).errorCode).to.equal(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
      expect((await fetchRaw(c2, fetchRequest([], { sessionId: s2.sessionId, sessionEpoch: 1 }))).errorCode).to.equal(0);
      expect((await fetchRaw(c2, fetchRequest([], { sessionId: s3.sessionId, sessionEpoch: 1 }))).errorCode).to.equal(0);
    } finally {
      c2.close();
      await b2.destroy();
    }
  });

  it('wakes a parked incremental fetch when a session partition gets data', async () => {
    const full = await fetchRaw(client, fetchRequest(parts(0), { sessionId: 0, sessionEpoch: 0 }));
    const hw = summary(full).map((p) => p[1] as number);
    // Move positions to the end, then wait with min_bytes=1.
    await fetchRaw(client, fetchRequest(parts(0).map((p, i) => ({ ...p, offset: hw[i] })), { sessionId: full.sessionId, sessionEpoch: 1 }));
    const pending = fetchRaw(client, fetchRequest([], { sessionId: full.sessionId, sessionEpoch: 2, maxWaitMs: 20_000, minBytes: 1 }));
    await eventually(() => broker.services.fetch!.waiters.parked >= 1, 'the incremental fetch parked', { ms: 5000, intervalMs: 1 });
    const producer = await RawClient.connect(broker.port);
    await produceRaw(producer, 'sess', 2, batchOf([{ value: 'late' }]));
    producer.close();
    const res = await pending;
    expect(summary(res)).to.deep.equal([[2, hw[2] + 1, ['late']]]);
  });

  it('rotates partitions that returned data to the back so a tight max_bytes does not starve the others', async () => {
    const b2 = await startTestBroker({ config: { 'num.partitions': '2' } });
    const c2 = await RawClient.connect(b2.port);
    try {
      const big = 'r'.repeat(2000);
      for (let i = 0; i < 3; i++) {
        await produceRaw(c2, 'fair', 0, batchOf([{ value: `p0-${i}-${big}` }]));
        await produceRaw(c2, 'fair', 1, batchOf([{ value: `p1-${i}-${big}` }]));
      }
      const spec = [0, 1].map((p) => ({ topic: 'fair', partition: p, offset: 0 }));
      // max_bytes of 100 lets exactly one batch through per fetch (KIP-74's first-batch rule).
      const full = await fetchRaw(c2, fetchRequest(spec, { sessionId: 0, sessionEpoch: 0, maxBytes: 100 }));
      const firstServed = full.responses[0].partitions.filter((p) => recordsOf(p.records).length > 0).map((p) => p.partitionIndex);
      expect(firstServed).to.deep.equal([0]);
      // Partition 0 moves to offset 1; the next fetch must serve partition 1 first, not partition 0 again.
      const inc = await fetchRaw(c2, fetchRequest([{ topic: 'fair', partition: 0, offset: 1 }], { sessionId: full.sessionId, sessionEpoch: 1, maxBytes: 100 }));
      const served = inc.responses.flatMap((t) => t.partitions.filter((p) => recordsOf(p.records).length > 0).map((p) => p.partitionIndex));
      expect(served).to.deep.equal([1]);
    } finally {
      c2.close();
      await b2.destroy();
    }
  });
});
