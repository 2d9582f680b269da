import { expect } from 'chai';
import { ApiKey } from '../../protocol/generated/apis';
import type { ApiVersionsResponse } from '../../protocol/generated/messages/ApiVersionsResponse';
import type { FetchResponse } from '../../protocol/generated/messages/FetchResponse';
import type { MetadataResponse } from '../../protocol/generated/messages/MetadataResponse';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { batchOf, fetchRequest, produceRaw, recordsOf } from '../helpers/dataPath';
import { RawClient } from '../helpers/rawClient';
import { eventually } from '../helpers/eventually';

const versionsBody = { clientSoftwareName: 'srv-test', clientSoftwareVersion: '1' };

async function stillServes(broker: TestBroker): Promise<void> {
  const c = await RawClient.connect(broker.port);
  try {
    const res = await c.request<ApiVersionsResponse>(ApiKey.ApiVersions, 3, versionsBody);
    expect(res.errorCode).to.equal(0);
  } finally {
    c.close();
  }
}

async function expectClosed(c: RawClient): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('connection was not closed')), 5000);
  });
  await Promise.race([c.closedPromise, timeout]);
  clearTimeout(timer);
}

describe('network server', () => {
  let broker: TestBroker;
  before(async () => {
    broker = await startTestBroker();
  });
  after(() => broker.destroy());

  it('answers pipelined requests in request order even when the first one finishes last', async () => {
    await broker.services.metadata.createTopic('pipe', { partitions: 1 });
    const c = await RawClient.connect(broker.port);
    const fetch = c.encode(ApiKey.Fetch, 12, fetchRequest([{ topic: 'pipe', partition: 0, offset: 0 }], { maxWaitMs: 20_000, minBytes: 1 }), 1);
    const versions = c.encode(ApiKey.ApiVersions, 3, versionsBody, 2);
    const metadata = c.encode(ApiKey.Metadata, 12, { topics: [{ name: 'pipe', topicId: Buffer.alloc(16) }] }, 3);
    c.send(Buffer.concat([fetch, versions, metadata]));
    await eventually(() => broker.services.fetch!.waiters.parked >= 1, 'the fetch parked', { ms: 5000, intervalMs: 1 });
    expect(broker.services.fetch!.waiters.parked).to.equal(1);
    const producer = await RawClient.connect(broker.port);
    await produceRaw(producer, 'pipe', 0, batchOf([{ value: 'release' }]));
    producer.close();
    const first = c.decode<FetchResponse>(ApiKey.Fetch, 12, await c.nextFrame());
    const second = c.decode<ApiVersionsResponse>(ApiKey.ApiVersions, 3, await c.nextFrame());
    const third = c.decode<MetadataResponse>(ApiKey.Metadata, 12, await c.nextFrame());
    expect([first.correlationId, second.correlationId, third.correlationId]).to.deep.equal([1, 2, 3]);
    expect(recordsOf(first.body.responses[0].partitions[0].records).map((r) => r.value)).to.deep.equal(['release']);
    c.close();
  });

  it('closes a connection whose size prefix exceeds socket.request.max.bytes, before reading the body', async () => {
    const c = await RawClient.connect(broker.port);
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(200 * 1024 * 1024, 0);
    c.send(prefix);
    await expectClosed(c);
    await stillServes(broker);
  });

  it('enforces a configured socket.request.max.bytes', async () => {
    const b2 = await startTestBroker({ config: { 'socket.request.max.bytes': '1000' } });
    try {
      const ok = await RawClient.connect(b2.port);
      const big = await RawClient.connect(b2.port);
      big.send(big.encode(ApiKey.Metadata, 12, { topics: [{ name: 'x'.repeat(2000), topicId: Buffer.alloc(16) }] }));
      await expectClosed(big);
      expect((await ok.request<ApiVersionsResponse>(ApiKey.ApiVersions, 3, versionsBody)).errorCode).to.equal(0);
      ok.close();
    } finally {
      await b2.destroy();
    }
  });

  it('closes connections that send an unknown api key, an unsupported version or a malformed body', async () => {
    const unknownKey = await RawClient.connect(broker.port);
    const frame = Buffer.alloc(4 + 10);
    frame.writeInt32BE(10, 0);
    frame.writeInt16BE(9999, 4);
    unknownKey.send(frame);
    await expectClosed(unknownKey);

    const badVersion = await RawClient.connect(broker.port);
    const v99 = badVersion.encode(ApiKey.Metadata, 1, { topics: null });
    v99.writeInt16BE(99, 6);
    badVersion.send(v99);
    await expectClosed(badVersion);

    const malformed = await RawClient.connect(broker.port);
    const full = malformed.encode(ApiKey.Metadata, 12, { topics: [{ name: 'abc', topicId: Buffer.alloc(16) }] });
    // Cut the body short but keep the frame self-consistent.
    const cut = full.subarray(0, full.length - 8);
    cut.writeInt32BE(cut.length - 4, 0);
    malformed.send(cut);
    await expectClosed(malformed);

    await stillServes(broker);
  });

  it('closes idle connections after connections.max.idle.ms', async () => {
    const b2 = await startTestBroker({ config: { 'connections.max.idle.ms': '200' } });
    try {
      const c = await RawClient.connect(b2.port);
      const started = Date.now();
      expect((await c.request<ApiVersionsResponse>(ApiKey.ApiVersions, 3, versionsBody)).errorCode).to.equal(0);
      await expectClosed(c);
      expect(Date.now() - started).to.be.at.least(150);
    } finally {
      await b2.destroy();
    }
  });

  it('keeps serving a deep pipeline with in-flight limit 1 (reading pauses and resumes)', async () => {
    const b2 = await startTestBroker({ config: { 'brook.max.inflight.requests': '1' } });
    try {
      const c = await RawClient.connect(b2.port);
      const frames: Buffer[] = [];
      for (let i = 1; i <= 200; i++) {
        frames.push(i % 2 ? c.encode(ApiKey.ApiVersions, 3, versionsBody, i) : c.encode(ApiKey.Metadata, 12, { topics: [] }, i));
      }
      c.send(Buffer.concat(frames));
      const seen: number[] = [];
      for (let i = 1; i <= 200; i++) {
        const f = await c.nextFrame();
        seen.push(f.readInt32BE(0));
      }
      expect(seen).to.deep.equal(Array.from({ length: 200 }, (_, i) => i + 1));
      c.close();
    } finally {
      await b2.destroy();
    }
  });
});
