import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';
import { ApiKey } from '../../protocol/generated/apis';
import { buildRecordBatch } from '../../protocol/records';
import { eventually } from '../helpers/eventually';
import { RawClient } from '../helpers/rawClient';
import { tempDataDir } from '../helpers/tempDir';
import { brook } from '../ops/cliHarness';
import { startChildBroker, type ChildBroker } from '../txn/helpers/childBroker';
import { initProducerId } from '../txn/helpers/wire';

const BATCHES = 20;
const PER_BATCH = 100;

/** Every value of partition 0 to its end, by kcat (librdkafka): it stops at the end, past the batches without records. */
function kcatValues(port: number, topic: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile('kcat', ['-C', '-b', `127.0.0.1:${port}`, '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%s\\n'], { timeout: 30_000, maxBuffer: 64 << 20 }, (err, out) => {
      if (err) reject(err);
      else resolve(out.split('\n').filter((l) => l.length > 0));
    });
  });
}

type ProduceAnswer = { responses: Array<{ partitionResponses: Array<{ errorCode: number }> }> };

async function produceRaw(c: RawClient, topic: string, batch: Buffer): Promise<number> {
  const res = await c.request<ProduceAnswer>(ApiKey.Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }] });
  return res.responses[0]!.partitionResponses[0]!.errorCode;
}

/**
 * kill -9 with an idempotent producer's scheduled records pending (some being delivered at the kill): after the
 * restart each is delivered exactly once, the producer's retry of a scheduled batch is a duplicate (the
 * partition's producer state, rebuilt from its log, holds the batch's sequences), and its next batch is in
 * sequence.
 */
describe('scheduled delivery from an idempotent producer survives kill -9', function () {
  this.timeout(240_000);
  const dataDir = tempDataDir();
  let broker: ChildBroker | null = null;

  after(async () => {
    await broker?.kill9();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('every acknowledged scheduled record is delivered exactly once, and a retry after the restart is not scheduled again', async () => {
    broker = await startChildBroker(dataDir);
    let kafka = new Kafka({ brokers: [`127.0.0.1:${broker.port}`], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'later', numPartitions: 1 }] });
    await admin.disconnect();
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const base = Date.now() + 2000;
    for (let i = 0; i < BATCHES; i++) {
      // half fall due over a few seconds (the kill lands while they are being moved), half well after the restart
      const at = i < BATCHES / 2 ? base + i * 200 : base + 12_000;
      const messages = Array.from({ length: PER_BATCH }, (_, j) => ({ key: `k${j % 10}`, value: `v${i * PER_BATCH + j}`, headers: { 'brook-deliver-at': String(at) } }));
      await producer.send({ topic: 'later', messages, acks: -1 });
    }
    await producer.disconnect();
    // a raw idempotent producer whose answer we pretend was lost: it sends the batch again after the restart
    let raw = await RawClient.connect(broker.port);
    const pid = (await initProducerId(raw)).producerId;
    const retried = buildRecordBatch({ records: [{ key: Buffer.from('r'), value: Buffer.from('retried'), headers: [{ key: 'brook-delay-ms', value: Buffer.from('3000') }] }], producerId: pid, producerEpoch: 0, baseSequence: 0 });
    expect(await produceRaw(raw, 'later', retried)).to.equal(0);
    raw.close();
    await eventually(async () => (await kcatValues(broker!.port, 'later')).length > 0, 'the first deliveries', 60_000);
    await broker.kill9();

    broker = await startChildBroker(dataDir);
    kafka = new Kafka({ brokers: [`127.0.0.1:${broker.port}`], logLevel: logLevel.NOTHING });
    raw = await RawClient.connect(broker.port);
    try {
      expect(await produceRaw(raw, 'later', retried)).to.equal(0);
      const next = buildRecordBatch({ records: [{ key: Buffer.from('r'), value: Buffer.from('next') }], producerId: pid, producerEpoch: 0, baseSequence: 1 });
      expect(await produceRaw(raw, 'later', next)).to.equal(0);
    } finally {
      raw.close();
    }
    const total = BATCHES * PER_BATCH + 2;
    const bootstrap = ['--bootstrap-server', `127.0.0.1:${broker.port}`];
    await eventually(async () => {
      const listed = await brook(['scheduled', 'list', ...bootstrap, '--json']);
      return listed.code === 0 && (JSON.parse(listed.stdout) as { pending: number }).pending === 0;
    }, 'no schedule left pending', 120_000);
    const values = await kcatValues(broker.port, 'later');
    expect(values.length).to.equal(total);
    expect(new Set(values).size).to.equal(total);
    expect(values.filter((v) => v === 'retried')).to.have.length(1);
  });
});
