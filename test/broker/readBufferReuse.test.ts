import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { Kafka, logLevel } from 'kafkajs';
import { ApiKey } from '../../protocol/generated/apis';
import type { FetchResponse } from '../../protocol/generated/messages/FetchResponse';
import { decodeRecordBatches } from '../../protocol/records';
import { FetchState } from '../../src/fetch/fetchState';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { fetchRequest } from '../helpers/dataPath';
import { eventually } from '../helpers/eventually';
import { RawClient } from '../helpers/rawClient';

const TOPIC = 'reuse';
const PARTITIONS = 6;
const PER_PARTITION = 90;

/** A value unique to (partition, offset), 6-38 KB of printable text, so every read is big enough to be pooled. */
function valueOf(partition: number, offset: number): string {
  const seed = createHash('sha256').update(`${partition}/${offset}`).digest('hex');
  const size = 6000 + ((partition * 7919 + offset * 104729) % 32000);
  return `${partition}:${offset}:${seed.repeat(Math.ceil(size / seed.length)).slice(0, size)}`;
}

/** kcat (librdkafka) in a child process: the in-process broker needs this event loop to answer it. */
async function kcatConsumeAll(bootstrap: string): Promise<string> {
  const child = execFile('kcat', ['-b', bootstrap, '-C', '-t', TOPIC, '-o', 'beginning', '-e', '-X', 'check.crcs=true', '-f', '%p %o %s\n'], { timeout: 60_000, maxBuffer: 64 << 20 });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`kcat exited with ${code}`);
  return out;
}

async function kafkajsConsumeAll(bootstrap: string): Promise<Map<string, string>> {
  const seen = new Map<string, string>();
  const consumer = new Kafka({ brokers: [bootstrap], clientId: 'reuse-check', logLevel: logLevel.NOTHING }).consumer({ groupId: `reuse-${Date.now()}`, maxBytesPerPartition: 2 << 20 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        seen.set(`${partition}/${message.offset}`, message.value!.toString());
      },
    });
    await eventually(() => seen.size >= PARTITIONS * PER_PARTITION, `kafkajs read everything (have ${seen.size})`, 60_000);
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

/**
 * Issue 17 item 4: fetches read into recycled buffers, returned only once the
 * socket write carrying them completed. Poisoning returned buffers makes any
 * early return visible: a client whose response still sits unsent in the
 * broker (it does not read) would get 0xEE bytes, and the clients reading
 * meanwhile would get each other's data.
 */
describe('fetch read buffers are reused only after the socket wrote them', function () {
  this.timeout(120_000);
  let broker: TestBroker;

  before(async () => {
    broker = await startTestBroker();
    await broker.services.metadata.createTopic(TOPIC, { partitions: PARTITIONS });
    const producer = new Kafka({ brokers: [broker.bootstrap], clientId: 'reuse-load', logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    for (let p = 0; p < PARTITIONS; p++) {
      for (let from = 0; from < PER_PARTITION; from += 15) {
        const messages = Array.from({ length: 15 }, (_, i) => ({ partition: p, value: valueOf(p, from + i) }));
        await producer.send({ topic: TOPIC, acks: 1, messages });
      }
    }
    await producer.disconnect();
  });
  after(async () => {
    if (broker) await broker.destroy();
  });

  it('keeps the buffers of unsent answers while kafkajs and kcat read other data, byte for byte', async () => {
    const fetch = (broker.services.fetch ??= new FetchState(broker.services.config.fetchSessionCacheSlots));
    const pool = fetch.readBuffers;
    pool.poisonOnRelease = true;
    const before = pool.stats();

    // Two clients ask for everything (about 13 MB each) and do not read: their answers stay in the broker's socket buffer.
    const slow = await Promise.all([RawClient.connect(broker.port), RawClient.connect(broker.port)]);
    try {
      const parts = Array.from({ length: PARTITIONS }, (_, p) => ({ topic: TOPIC, partition: p, offset: 0, maxBytes: 8 << 20 }));
      for (const c of slow) {
        c.socket.pause();
        c.send(c.encode(ApiKey.Fetch, 12, fetchRequest(parts), 1));
      }
      await eventually(() => broker.server.connectionStates().filter((s) => s.unsentBytes > 1 << 20).length >= 2, 'both answers stuck unsent in the broker');
      expect(pool.stats().lent).to.be.greaterThan(0);

      // Meanwhile real clients read the same partitions through the pool (from other offsets as they go).
      const [viaKcat, viaKafkajs] = await Promise.all([kcatConsumeAll(broker.bootstrap), kafkajsConsumeAll(broker.bootstrap)]);
      const lines = viaKcat.split('\n').filter((l) => l.length > 0);
      expect(lines).to.have.length(PARTITIONS * PER_PARTITION);
      for (const line of lines) {
        const [p, o, value] = line.split(' ');
        expect(value === valueOf(Number(p), Number(o)), `kcat ${p}/${o}`).to.equal(true);
      }
      expect(viaKafkajs.size).to.equal(PARTITIONS * PER_PARTITION);
      for (const [key, value] of viaKafkajs) {
        const [p, o] = key.split('/').map(Number);
        expect(value === valueOf(p!, o!), `kafkajs ${key}`).to.equal(true);
      }
      const during = pool.stats();
      expect(during.reused - before.reused, 'buffers were recycled while the slow answers waited').to.be.greaterThan(0);

      // Now the slow clients read their answers: every batch intact (CRC checked on decode) and every value right.
      for (const c of slow) {
        c.socket.resume();
        const res = c.decode<FetchResponse>(ApiKey.Fetch, 12, await c.nextFrame(30_000)).body;
        let n = 0;
        for (const part of res.responses[0]!.partitions) {
          expect(part.errorCode).to.equal(0);
          for (const batch of decodeRecordBatches(part.records!)) {
            for (const r of batch.records) {
              expect(r.value!.toString() === valueOf(part.partitionIndex, Number(r.offset)), `raw ${part.partitionIndex}/${r.offset}`).to.equal(true);
              n++;
            }
          }
        }
        expect(n).to.equal(PARTITIONS * PER_PARTITION);
      }
      // every lease came back once its answer was written
      await eventually(() => pool.stats().lent === 0, 'all read buffers returned');
    } finally {
      for (const c of slow) c.close();
      pool.poisonOnRelease = false;
    }
  });
});
