import { expect } from 'chai';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { rmSync } from 'node:fs';
import { eventually } from '../helpers/eventually';
import { seededRandom } from '../helpers/seededRandom';
import { tempDataDir } from '../helpers/tempDir';
import { startChildBroker, type ChildBroker } from '../txn/helpers/childBroker';

const TOPIC = 'crash-restart';
const PARTITIONS = 40;

function kafka(port: number): Kafka {
  return new Kafka({ brokers: [`127.0.0.1:${port}`], clientId: 'crash-restart', logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 50 } });
}

/** Every value read back from the topic, by `partition/offset`, consuming from the start with kafkajs. */
async function readBack(port: number, expected: number): Promise<Map<string, string>> {
  const seen = new Map<string, string>();
  const consumer = kafka(port).consumer({ groupId: `check-${Date.now()}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        seen.set(`${partition}/${message.offset}`, message.value!.toString());
      },
    });
    await eventually(() => seen.size >= expected, `${expected} records read back (have ${seen.size})`, 60_000);
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

/** Sends keyed batches from one producer until stopped; every acknowledged record lands in `acked`. */
function produceLoop(producer: Producer, acks: number, tag: string, acked: Map<string, string>, stop: { now: boolean }): Promise<void> {
  const rnd = seededRandom(acks === 1 ? 11 : 17);
  return (async () => {
    let n = 0;
    while (!stop.now) {
      const partition = Math.floor(rnd() * PARTITIONS);
      const values = Array.from({ length: 10 }, () => `${tag}-${n++}`);
      try {
        const res = await producer.send({ topic: TOPIC, acks, messages: values.map((value) => ({ key: value, value, partition })) });
        const base = Number(res[0]!.baseOffset);
        values.forEach((v, i) => acked.set(`${partition}/${base + i}`, v));
      } catch {
        // the broker was killed under this send: not acknowledged, nothing expected
        return;
      }
    }
  })();
}

describe('broker kill -9 and restart with many partitions (logs recovered in the background)', function () {
  this.timeout(180_000);
  const dataDir = tempDataDir('brook-crash-restart-');
  let broker: ChildBroker | null = null;
  after(async () => {
    await broker?.kill9();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps every record acknowledged with acks=1 and acks=all before kill -9, and serves them after the restart', async () => {
    broker = await startChildBroker(dataDir);
    const admin = kafka(broker.port).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }] });
    await admin.disconnect();
    const acked = new Map<string, string>();
    const stop = { now: false };
    const producers = [kafka(broker.port).producer(), kafka(broker.port).producer()];
    for (const p of producers) await p.connect();
    const loops = [produceLoop(producers[0]!, 1, 'one', acked, stop), produceLoop(producers[1]!, -1, 'all', acked, stop)];
    await eventually(() => acked.size >= 3000, '3000 acknowledged records', 120_000);
    // killed while both producers still have sends in flight
    await broker.kill9();
    stop.now = true;
    // sends in flight keep retrying against the dead port; none can be acknowledged any more
    void Promise.all(loops).finally(() => producers.forEach((p) => void p.disconnect().catch(() => undefined)));
    const ackedBeforeKill = new Map(acked);

    broker = await startChildBroker(dataDir);
    const opened = broker.logs.find((l) => l.msg === 'log manager opened')!;
    expect(opened.cleanShutdown).to.equal(false);
    expect(opened.recovering).to.be.greaterThan(0);
    const seen = await readBack(broker.port, ackedBeforeKill.size);
    for (const [where, value] of ackedBeforeKill) expect(seen.get(where), `acknowledged ${value} at ${where}`).to.equal(value);

    // and after a clean stop the next start trusts the summary: nothing to recover, everything still there
    await broker.stop();
    broker = await startChildBroker(dataDir);
    const clean = broker.logs.find((l) => l.msg === 'log manager opened')!;
    expect(clean.cleanShutdown).to.equal(true);
    expect(clean.recovering).to.equal(0);
    const again = await readBack(broker.port, ackedBeforeKill.size);
    for (const [where, value] of ackedBeforeKill) expect(again.get(where), `acknowledged ${value} at ${where}`).to.equal(value);
  });
});
