import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { CompressionTypes, Kafka, logLevel } from 'kafkajs';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { eventually } from '../helpers/eventually';

const TOPIC = 'frames';
const PARTITIONS = 3;

/** A value unique to its id, 3-9 KB, so a batch of tens of them is a produce request over several socket reads. */
function valueOf(id: string): string {
  const seed = createHash('sha256').update(id).digest('hex');
  const size = 3000 + (parseInt(seed.slice(0, 4), 16) % 6000);
  return `${id}:${seed.repeat(Math.ceil(size / seed.length)).slice(0, size)}`;
}

/** kcat (librdkafka) producing `ids` as key:value lines; librdkafka fills requests up to ~1 MB. */
async function kcatProduce(bootstrap: string, ids: string[]): Promise<void> {
  const child = spawn('kcat', ['-b', bootstrap, '-P', '-t', TOPIC, '-K', '\t', '-X', 'linger.ms=50', '-X', 'acks=1'], { stdio: ['pipe', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  child.stdin.end(ids.map((id) => `${id}\t${valueOf(id)}\n`).join(''));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`kcat exited with ${code}: ${err}`);
}

/**
 * Issue 17 item 4: socket reads land in one shared buffer and produce frames are copied into reused slots,
 * given back once the answer left. The suite runs brokers with BROOK_TEST_POISON_FRAMES=1 (test/poisonFrames.cjs): every
 * produce frame is read from a slot and overwritten with 0xEE after its answer, so a record read after that
 * point would reach consumers as garbage or fail its CRC.
 */
describe('produce frames are read from reused buffers, given back after the answer', function () {
  this.timeout(120_000);
  let broker: TestBroker;

  before(async () => {
    broker = await startTestBroker();
  });

  after(async () => {
    await broker?.destroy();
  });

  it('keeps every record intact from kafkajs (acks 0, 1, all; gzip) and kcat, and reuses its slots', async () => {
    const kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'frames', logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }] });
    await admin.disconnect();
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    // plain TCP connections read into the one shared buffer (src/server/sharedReadBuffer.ts) on this Node
    expect(broker.server.liveConnections().length).to.be.greaterThan(0);
    expect(broker.server.liveConnections().every((c) => c.sharedReads)).to.equal(true);
    const expected = new Map<string, string>();
    const ACKS = [1, -1, 0];
    const kcatIds = Array.from({ length: 1500 }, (_, i) => `kcat-${i}`);
    for (const id of kcatIds) expected.set(id, valueOf(id));
    // both clients at once, so reads of different connections take turns in the shared buffer
    const kcatDone = kcatProduce(broker.bootstrap, kcatIds);
    try {
      for (let batch = 0; batch < 60; batch++) {
        const ids = Array.from({ length: 40 }, (_, i) => `js-${batch}-${i}`);
        for (const id of ids) expected.set(id, valueOf(id));
        await producer.send({
          topic: TOPIC,
          acks: ACKS[batch % 3],
          compression: batch % 4 === 3 ? CompressionTypes.GZIP : CompressionTypes.None,
          messages: ids.map((id) => ({ key: id, value: valueOf(id), headers: { id } })),
        });
      }
    } finally {
      await producer.disconnect();
    }
    await kcatDone;

    const pool = broker.server.framePool;
    // the last answers' write callbacks give their slots back
    await eventually(() => pool.stats().leased === 0, `every slot given back (${JSON.stringify(pool.stats())})`, 10_000);
    const stats = pool.stats();
    expect(stats.taken, 'produce frames read from slots').to.be.greaterThan(20);
    expect(stats.allocated, 'slots reused, not one per request').to.be.lessThan(stats.taken / 3);

    const seen = new Map<string, string>();
    const consumer = kafka.consumer({ groupId: 'frames-check', maxBytesPerPartition: 4 << 20 });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          seen.set(message.key!.toString(), message.value!.toString());
        },
      });
      await eventually(() => seen.size >= expected.size, `every record read back (have ${seen.size} of ${expected.size})`, 60_000);
    } finally {
      await consumer.disconnect();
    }
    let wrong = 0;
    for (const [id, value] of expected) if (seen.get(id) !== value) wrong++;
    expect(wrong, 'records whose value differs from what was produced').to.equal(0);
    expect(seen.size).to.equal(expected.size);
  });
});
