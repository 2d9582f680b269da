import { expect } from 'chai';
import { ApiKey } from '../../protocol/generated/apis';
import type { AlterClientQuotasResponse } from '../../protocol/generated/messages/AlterClientQuotasResponse';
import type { FetchResponse } from '../../protocol/generated/messages/FetchResponse';
import type { ProduceResponse } from '../../protocol/generated/messages/ProduceResponse';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { batchOf, fetchRequest, produceRaw } from '../helpers/dataPath';
import { RawClient } from '../helpers/rawClient';
import { eventually } from '../helpers/eventually';

/** Short windows keep the test quick: the padded window is 1 s, so a fresh client bursts at most 1 s of quota. */
const WINDOW = { 'quota.window.num': '2', 'quota.window.size.seconds': '1' };

let correlation = 1000;
/** Sends one request as `clientId` and resolves with the decoded body and the time it arrived. */
async function call<T>(c: RawClient, apiKey: number, version: number, body: unknown, clientId: string): Promise<{ body: T; at: number }> {
  const id = correlation++;
  c.send(c.encode(apiKey, version, body, id, clientId));
  const frame = await c.nextFrame(15_000);
  const at = Date.now();
  const res = c.decode<T>(apiKey, version, frame);
  expect(res.correlationId).to.equal(id);
  return { body: res.body, at };
}

const produceBody = (topic: string, records: Buffer, acks = -1) => ({
  transactionalId: null,
  acks,
  timeoutMs: 5000,
  topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
});
const apiVersionsBody = { clientSoftwareName: 't', clientSoftwareVersion: '1' };
const bigBatch = (bytes: number) => batchOf([{ value: Buffer.alloc(bytes, 7) }]);

describe('quota throttling (raw client)', function () {
  let broker: TestBroker;
  let admin: RawClient;
  const clients: RawClient[] = [];
  const connect = async () => {
    const c = await RawClient.connect(broker.port);
    clients.push(c);
    return c;
  };
  const setQuota = async (clientId: string, key: string, value: number) => {
    const res = await admin.request<AlterClientQuotasResponse>(ApiKey.AlterClientQuotas, 1, {
      entries: [{ entity: [{ entityType: 'client-id', entityName: clientId }], ops: [{ key, value, remove: false }] }],
      validateOnly: false,
    });
    expect(res.entries[0].errorCode).to.equal(0);
  };

  before(async () => {
    broker = await startTestBroker({ config: WINDOW });
    admin = await connect();
  });
  after(async () => {
    for (const c of clients) c.close();
    await broker?.destroy();
  });

  it('produce v9 over quota: answered at once with throttle_time_ms, then the connection is muted; others are not', async () => {
    await setQuota('fast-writer', 'producer_byte_rate', 20_000);
    const c = await connect();
    const other = await connect();
    const t0 = Date.now();
    const produced = await call<ProduceResponse>(c, ApiKey.Produce, 9, produceBody('throttled', bigBatch(50_000)), 'fast-writer');
    expect(produced.body.responses[0].partitionResponses[0].errorCode).to.equal(0);
    const throttle = produced.body.throttleTimeMs;
    // 50 kB against 20 kB/s over the padded 1 s window: (2.5 - 1) s, plus the batch overhead
    expect(throttle).to.be.within(1500, 2000);
    expect(produced.at - t0, 'the response is not delayed (KIP-219)').to.be.below(throttle);

    // Muted: the next request is not read until the throttle time is over ...
    const muted = call(c, ApiKey.ApiVersions, 3, apiVersionsBody, 'fast-writer');
    // ... while another client is served meanwhile.
    const unrelated = await call<ProduceResponse>(other, ApiKey.Produce, 9, produceBody('throttled', bigBatch(50_000)), 'someone-else');
    expect(unrelated.body.throttleTimeMs).to.equal(0);
    const mutedAnswer = await muted;
    expect(unrelated.at).to.be.below(mutedAnswer.at);
    expect(mutedAnswer.at - t0).to.be.at.least(throttle - 5);
  });

  it('pipelined produce requests of a client over quota wait their turn (Kafka reads one request at a time)', async () => {
    await setQuota('pipeliner', 'producer_byte_rate', 100_000);
    const c = await connect();
    const t0 = Date.now();
    const frames = Array.from({ length: 10 }, () => c.encode(ApiKey.Produce, 9, produceBody('pipelined', bigBatch(50_000)), correlation++, 'pipeliner'));
    c.send(Buffer.concat(frames));
    const throttles: number[] = [];
    for (let i = 0; i < frames.length; i++) throttles.push(c.decode<ProduceResponse>(ApiKey.Produce, 9, await c.nextFrame(15_000)).body.throttleTimeMs);
    // 500 kB at 100 kB/s: the 2 s window span and the last 50 kB request are all a client can get ahead by.
    expect(Date.now() - t0).to.be.at.least(5000 - 2000 - 500);
    expect(throttles.filter((t) => t > 0).length).to.be.at.least(5);
  });

  it('produce v5 over quota: the response itself waits for the throttle time', async () => {
    await setQuota('old-writer', 'producer_byte_rate', 20_000);
    const c = await connect();
    const t0 = Date.now();
    const produced = await call<ProduceResponse>(c, ApiKey.Produce, 5, produceBody('throttled-old', bigBatch(50_000)), 'old-writer');
    expect(produced.body.throttleTimeMs).to.be.within(1500, 2000);
    expect(produced.at - t0).to.be.at.least(produced.body.throttleTimeMs - 5);
  });

  it('produce with acks=0 over quota sends nothing back but still mutes the connection', async () => {
    await setQuota('fire-and-forget', 'producer_byte_rate', 20_000);
    const c = await connect();
    const t0 = Date.now();
    c.send(c.encode(ApiKey.Produce, 9, produceBody('throttled-acks0', bigBatch(50_000), 0), correlation++, 'fire-and-forget'));
    // Requests already read run concurrently, so wait until the produce was served and the connection muted.
    await eventually(() => broker.server.connectionStates().some((s) => s.readingPaused), 'the connection muted', { ms: 5000, intervalMs: 5 });
    const next = await call(c, ApiKey.ApiVersions, 3, apiVersionsBody, 'fire-and-forget');
    expect(next.at - t0).to.be.at.least(1500 - 5);
  });

  it('fetch over quota: no data and throttle_time_ms, the same data once the client backed off', async () => {
    const writer = await connect();
    for (let i = 0; i < 6; i++) expect((await produceRaw(writer, 'read-throttled', 0, bigBatch(4000))).errorCode).to.equal(0);
    await setQuota('slow-reader', 'consumer_byte_rate', 10_000);
    const c = await connect();
    const fetchFrom = (offset: number) => call<FetchResponse>(c, ApiKey.Fetch, 12, fetchRequest([{ topic: 'read-throttled', partition: 0, offset, maxBytes: 1 << 20 }]), 'slow-reader');
    const partitionOf = (r: FetchResponse) => r.responses[0]?.partitions[0];
    const bytesOf = (r: FetchResponse) => {
      const recs = partitionOf(r)?.records;
      return recs ? recs.length : 0;
    };

    // The window's allowance caps a single fetch: 10 kB/s x 1 s, so two 4 kB batches, not all six.
    const first = await fetchFrom(0);
    expect(first.body.throttleTimeMs).to.equal(0);
    expect(bytesOf(first.body)).to.be.within(8000, 10_000);

    // Two more batches would be 16 kB in the window: withheld.
    const second = await fetchFrom(2);
    expect(second.body.throttleTimeMs).to.be.greaterThan(0);
    expect(second.body.responses).to.deep.equal([]);

    // Retrying (the connection is muted meanwhile) eventually returns exactly the withheld data.
    const got = await eventually(async () => {
      const r = await fetchFrom(2);
      if (bytesOf(r.body) > 0) return r;
      // not an assertion: eventually would take a failed one as "not yet"
      if (!(r.body.throttleTimeMs > 0)) throw new Error(`an empty answer always says why, got throttle_time_ms ${r.body.throttleTimeMs}`);
      return undefined;
    }, 'data after backing off', { ms: 10_000, intervalMs: 0 });
    expect(got!.at - second.at).to.be.at.least(second.body.throttleTimeMs - 5);
    expect(partitionOf(got!.body)!.errorCode).to.equal(0);
    expect(bytesOf(got!.body)).to.be.within(8000, 10_000);
  });

  it('fetch v7 over quota: the (empty) answer itself comes after the throttle time', async () => {
    const writer = await connect();
    for (let i = 0; i < 4; i++) expect((await produceRaw(writer, 'read-throttled-old', 0, bigBatch(4000))).errorCode).to.equal(0);
    await setQuota('old-reader', 'consumer_byte_rate', 5_000);
    const c = await connect();
    const fetchFrom = (offset: number) => call<FetchResponse>(c, ApiKey.Fetch, 7, fetchRequest([{ topic: 'read-throttled-old', partition: 0, offset, maxBytes: 1 << 20 }]), 'old-reader');
    const first = await fetchFrom(0);
    expect(first.body.throttleTimeMs).to.equal(0);
    const t0 = Date.now();
    const second = await fetchFrom(1);
    expect(second.body.throttleTimeMs).to.be.greaterThan(0);
    expect(second.body.responses).to.deep.equal([]);
    expect(second.at - t0).to.be.at.least(second.body.throttleTimeMs - 5);
  });

  it('follower fetches are not subject to client quotas', async () => {
    const writer = await connect();
    for (let i = 0; i < 4; i++) expect((await produceRaw(writer, 'replicated', 0, bigBatch(4000))).errorCode).to.equal(0);
    await setQuota('follower-like', 'consumer_byte_rate', 1000);
    for (const replicaId of [-1, 1]) {
      const c = await connect(); // the consumer's connection is muted afterwards
      const res = await call<FetchResponse>(c, ApiKey.Fetch, 12, fetchRequest([{ topic: 'replicated', partition: 0, offset: 0 }], { replicaId }), 'follower-like');
      const bytes = res.body.responses[0]?.partitions[0]?.records?.length ?? 0;
      if (replicaId < 0) {
        // A consumer gets one batch (always at least one, KIP-74), is over its quota and throttled.
        expect(bytes).to.be.within(4000, 5000);
        expect(res.body.throttleTimeMs).to.be.greaterThan(0);
      } else {
        expect(res.body.throttleTimeMs).to.equal(0);
        expect(bytes).to.be.greaterThan(16_000);
      }
    }
  });

  it('clients without a quota are never throttled', async () => {
    const c = await connect();
    for (let i = 0; i < 3; i++) {
      const res = await call<ProduceResponse>(c, ApiKey.Produce, 9, produceBody('free', bigBatch(200_000)), 'unlimited');
      expect(res.body.throttleTimeMs).to.equal(0);
    }
  });
});
