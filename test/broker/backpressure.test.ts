import { expect } from 'chai';
import { ApiKey } from '../../protocol/generated/apis';
import type { FetchResponse } from '../../protocol/generated/messages/FetchResponse';
import type { ConnectionState } from '../../src/server/connection';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { batchOf, fetchRequest, produceRaw } from '../helpers/dataPath';
import { RawClient } from '../helpers/rawClient';
import { eventually } from '../helpers/eventually';

const HIGH_WATER = 256 * 1024;
const VALUE = Buffer.alloc(512 * 1024, 7);
const REQUESTS = 200; // ~100 MiB of answers if nothing held the broker back

/** Polls the broker's view of its single client connection until `pred` holds (deadline 10 s). */
async function untilState(broker: TestBroker, pred: (s: ConnectionState) => boolean): Promise<ConnectionState> {
  return eventually(() => broker.server.connectionStates().find(pred), 'the connection state', { ms: 10_000, intervalMs: 5 }).catch((err: Error) => {
    throw new Error(`${err.message}; now ${JSON.stringify(broker.server.connectionStates())}`);
  });
}

async function readAllInOrder(c: RawClient): Promise<void> {
  c.socket.resume();
  for (let i = 1; i <= REQUESTS; i++) {
    const res = c.decode<FetchResponse>(ApiKey.Fetch, 12, await c.nextFrame(10_000));
    expect(res.correlationId).to.equal(i);
    expect(res.body.responses[0].partitions[0].records!.length).to.be.greaterThan(VALUE.length);
  }
}

async function brokerWithBigRecord(maxInFlight: number): Promise<TestBroker> {
  const broker = await startTestBroker({
    config: { 'brook.socket.write.high.water.mark': String(HIGH_WATER), 'brook.max.inflight.requests': String(maxInFlight) },
  });
  const producer = await RawClient.connect(broker.port);
  expect((await produceRaw(producer, 'bp', 0, batchOf([{ value: VALUE }]))).errorCode).to.equal(0);
  producer.close();
  return broker;
}

describe('backpressure', () => {
  it('stops reading from a client that does not read its responses (unsent bytes over the high-water mark)', async () => {
    const broker = await brokerWithBigRecord(1000);
    const slow = await RawClient.connect(broker.port);
    try {
      slow.socket.pause();
      const frames = Array.from({ length: REQUESTS }, (_, i) => slow.encode(ApiKey.Fetch, 12, fetchRequest([{ topic: 'bp', partition: 0, offset: 0 }]), i + 1));
      // A first few requests fill the socket; the in-flight limit (1000) is far away, so only unsent bytes can stop the rest.
      slow.socket.write(Buffer.concat(frames.slice(0, 10)));
      await untilState(broker, (s) => s.unsentBytes > HIGH_WATER);
      slow.socket.write(Buffer.concat(frames.slice(10)));
      const state = await untilState(broker, (s) => s.readingPaused);
      // Unsent bytes stay bounded by what the first requests produced instead of growing to ~100 MiB.
      expect(state.unsentBytes).to.be.below(HIGH_WATER + 12 * VALUE.length);
      await readAllInOrder(slow);
    } finally {
      slow.close();
      await broker.destroy();
    }
  });

  it('starts at most brook.max.inflight.requests requests of a pipeline that arrives in one read', async () => {
    const broker = await brokerWithBigRecord(4);
    const slow = await RawClient.connect(broker.port);
    try {
      slow.socket.pause();
      const frames = Array.from({ length: REQUESTS }, (_, i) => slow.encode(ApiKey.Fetch, 12, fetchRequest([{ topic: 'bp', partition: 0, offset: 0 }]), i + 1));
      slow.socket.write(Buffer.concat(frames));
      const state = await untilState(broker, (s) => s.readingPaused);
      expect(state.inFlight).to.be.at.most(4);
      expect(state.unsentBytes).to.be.below(HIGH_WATER + 6 * VALUE.length);
      await readAllInOrder(slow);
    } finally {
      slow.close();
      await broker.destroy();
    }
  });
});
