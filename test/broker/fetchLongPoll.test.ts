import { expect } from 'chai';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { batchOf, fetchRaw, fetchRequest, produceRaw, recordsOf } from '../helpers/dataPath';
import { RawClient } from '../helpers/rawClient';
import { eventually } from '../helpers/eventually';

/** Polls (with a deadline) until `n` fetches are parked on append listeners. */
async function untilParked(broker: TestBroker, n: number): Promise<void> {
  await eventually(() => {
    expect(broker.services.fetch!.waiters.parked, 'parked fetches').to.equal(n);
    return true;
  }, `${n} parked fetches`, { ms: 5000, intervalMs: 1 });
}

describe('Fetch long polling', () => {
  let broker: TestBroker;
  let consumer: RawClient;
  let producer: RawClient;
  before(async () => {
    broker = await startTestBroker();
  });
  after(() => broker.destroy());
  beforeEach(async () => {
    consumer = await RawClient.connect(broker.port);
    producer = await RawClient.connect(broker.port);
  });
  afterEach(() => {
    consumer.close();
    producer.close();
  });

  it('parks until data arrives and wakes on the append, well before max_wait_ms', async () => {
    await broker.services.metadata.createTopic('lp', { partitions: 1 });
    const started = Date.now();
    const pending = fetchRaw(consumer, fetchRequest([{ topic: 'lp', partition: 0, offset: 0 }], { maxWaitMs: 20_000, minBytes: 1 }));
    // Produce only once the fetch is known to be parked on the partition's append listeners.
    await untilParked(broker, 1);
    await produceRaw(producer, 'lp', 0, batchOf([{ value: 'wake-up' }]));
    const res = await pending;
    const elapsed = Date.now() - started;
    expect(recordsOf(res.responses[0].partitions[0].records).map((r) => r.value)).to.deep.equal(['wake-up']);
    expect(elapsed).to.be.below(10_000);
    expect(broker.services.fetch!.waiters.parked).to.equal(0);
  });

  it('answers empty after max_wait_ms when nothing arrives', async () => {
    await broker.services.metadata.createTopic('lp-idle', { partitions: 1 });
    const started = Date.now();
    const res = await fetchRaw(consumer, fetchRequest([{ topic: 'lp-idle', partition: 0, offset: 0 }], { maxWaitMs: 300, minBytes: 1 }));
    expect(Date.now() - started).to.be.at.least(290);
    expect(res.responses[0].partitions[0]).to.deep.include({ errorCode: 0, highWatermark: 0n });
    expect(recordsOf(res.responses[0].partitions[0].records)).to.deep.equal([]);
  });

  it('waits for min_bytes across several appends', async () => {
    await broker.services.metadata.createTopic('lp-min', { partitions: 1 });
    const one = batchOf([{ value: 'x'.repeat(100) }]);
    await produceRaw(producer, 'lp-min', 0, one);
    const pending = fetchRaw(consumer, fetchRequest([{ topic: 'lp-min', partition: 0, offset: 0 }], { maxWaitMs: 20_000, minBytes: one.length * 3 }));
    let done = false;
    void pending.then(() => (done = true));
    await untilParked(broker, 1);
    await produceRaw(producer, 'lp-min', 0, batchOf([{ value: 'x'.repeat(100) }]));
    // The append woke the fetch; with two batches it is still below min_bytes, so it parks again unanswered.
    await untilParked(broker, 1);
    expect(done).to.equal(false);
    await produceRaw(producer, 'lp-min', 0, batchOf([{ value: 'x'.repeat(100) }]));
    const res = await pending;
    expect(recordsOf(res.responses[0].partitions[0].records)).to.have.length(3);
  });

  it('answers parked fetches when the broker shuts down', async () => {
    const b2 = await startTestBroker();
    const c2 = await RawClient.connect(b2.port);
    await b2.services.metadata.createTopic('lp-stop', { partitions: 1 });
    const pending = fetchRaw(c2, fetchRequest([{ topic: 'lp-stop', partition: 0, offset: 0 }], { maxWaitMs: 25_000, minBytes: 1 }));
    await untilParked(b2, 1);
    const started = Date.now();
    await b2.destroy();
    const res = await pending;
    expect(res.responses[0].partitions[0].errorCode).to.equal(0);
    expect(Date.now() - started).to.be.below(5000);
    c2.close();
  });

  it('waits out max_wait_ms for a session with no partitions instead of answering at once', async () => {
    await broker.services.metadata.createTopic('lp-empty-session', { partitions: 1 });
    const full = await fetchRaw(consumer, fetchRequest([{ topic: 'lp-empty-session', partition: 0, offset: 0 }], { sessionId: 0, sessionEpoch: 0 }));
    const started = Date.now();
    const res = await fetchRaw(
      consumer,
      fetchRequest([], {
        sessionId: full.sessionId,
        sessionEpoch: 1,
        maxWaitMs: 300,
        minBytes: 1,
        forgottenTopicsData: [{ topic: 'lp-empty-session', topicId: Buffer.alloc(16), partitions: [0] }],
      }),
    );
    expect(res.errorCode).to.equal(0);
    expect(res.responses).to.deep.equal([]);
    expect(Date.now() - started).to.be.at.least(290);
  });
});
