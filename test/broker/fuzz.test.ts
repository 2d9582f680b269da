import { expect } from 'chai';
import { ApiKey } from '../../protocol/generated/apis';
import type { ApiVersionsResponse } from '../../protocol/generated/messages/ApiVersionsResponse';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { batchOf, fetchRequest } from '../helpers/dataPath';
import { memoryLogger, type LogEntry } from '../helpers/memoryLogger';
import { RawClient } from '../helpers/rawClient';
import { seededRandom as rng } from '../helpers/seededRandom';


/** Valid requests of every data-path API, as templates to corrupt. */
function templates(c: RawClient): Buffer[] {
  const records = batchOf([{ key: 'k', value: 'fuzz-value', headers: [{ key: 'h', value: 'v' }] }]);
  const out: Buffer[] = [];
  for (const v of [3, 9, 11]) {
    out.push(c.encode(ApiKey.Produce, v, { transactionalId: null, acks: -1, timeoutMs: 100, topicData: [{ name: 'fuzz', partitionData: [{ index: 0, records }] }] }));
  }
  for (const v of [4, 12, 13, 17]) out.push(c.encode(ApiKey.Fetch, v, fetchRequest([{ topic: 'fuzz', partition: 0, offset: 0 }], { sessionId: 0, sessionEpoch: 0 })));
  for (const v of [1, 9, 12]) out.push(c.encode(ApiKey.Metadata, v, { topics: [{ name: 'fuzz', topicId: Buffer.alloc(16) }], allowAutoTopicCreation: true }));
  for (const v of [1, 7, 10]) {
    out.push(c.encode(ApiKey.ListOffsets, v, { replicaId: -1, topics: [{ name: 'fuzz', partitions: [{ partitionIndex: 0, timestamp: -1n }] }], timeoutMs: 10 }));
  }
  out.push(c.encode(ApiKey.ApiVersions, 3, { clientSoftwareName: 'fuzz', clientSoftwareVersion: '1' }));
  return out;
}

function mutate(frame: Buffer, next: () => number): Buffer {
  const b = Buffer.from(frame);
  const edits = 1 + Math.floor(next() * 4);
  for (let i = 0; i < edits; i++) {
    // Keep the size prefix honest most of the time so the body decoders, not the framing, get exercised.
    const pos = 4 + Math.floor(next() * (b.length - 4));
    const kind = next();
    if (kind < 0.5) b[pos] = Math.floor(next() * 256);
    else if (kind < 0.75) b[pos] = 0xff;
    else b[pos] ^= 1 << Math.floor(next() * 8);
  }
  if (next() < 0.1) {
    const cut = 4 + Math.floor(next() * (b.length - 4));
    const shorter = b.subarray(0, cut);
    shorter.writeInt32BE(cut - 4, 0);
    return shorter;
  }
  return b;
}

describe('fuzzing the broker with corrupted requests', function () {
  this.timeout(120_000);
  let broker: TestBroker;
  const log: LogEntry[] = [];
  before(async () => {
    broker = await startTestBroker({ logger: memoryLogger(log), config: { 'socket.request.max.bytes': '1048576' } });
  });
  after(() => broker.destroy());

  it('survives 3000 corrupted requests: no handler crashes, and a healthy client is served throughout', async () => {
    const next = rng(20261125);
    const healthy = await RawClient.connect(broker.port);
    let c = await RawClient.connect(broker.port);
    const base = templates(c);
    let answered = 0;
    let closed = 0;
    for (let i = 0; i < 3000; i++) {
      if (c.closed) {
        closed++;
        c = await RawClient.connect(broker.port);
      }
      const frame = mutate(base[Math.floor(next() * base.length)], next);
      c.send(frame);
      try {
        await c.nextFrame(5000);
        answered++;
      } catch (err) {
        // Either the broker closed the connection (expected for garbage) or, for acks=0 produce
        // variants, there is nothing to answer: a fresh connection keeps the cases independent.
        if (!c.closed) c.close();
        await c.closedPromise;
      }
      if (i % 500 === 0) {
        const res = await healthy.request<ApiVersionsResponse>(ApiKey.ApiVersions, 3, { clientSoftwareName: 'h', clientSoftwareVersion: '1' });
        expect(res.errorCode).to.equal(0);
      }
    }
    c.close();
    healthy.close();
    const crashes = log.filter((e) => e.msg === 'request handler failed; closing connection');
    expect(crashes.map((e) => e.fields), 'handler exceptions (bugs)').to.deep.equal([]);
    // Both paths were exercised: many corrupt requests decode into something answerable, many are refused.
    expect(answered).to.be.greaterThan(300);
    expect(closed).to.be.greaterThan(300);
  });
});
