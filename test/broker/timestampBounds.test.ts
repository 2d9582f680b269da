/**
 * message.timestamp.before.max.ms / after.max.ms / difference.max.ms (topic) and their log.* broker defaults: a
 * CreateTime batch further behind or ahead of the broker clock is refused with INVALID_TIMESTAMP, as Kafka does.
 * Found by a user: the configs were accepted and listed, but nothing checked them.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { runPython } from '../helpers/python';
import { RawClient } from '../helpers/rawClient';
import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/generated/apis';
import type { ProduceResponse } from '../../protocol/generated/messages/ProduceResponse';
import { buildRecordBatch } from '../../protocol/records/batch';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** confluent-kafka (librdkafka) in a child process: one record with a CreateTime; prints the error name or OK. */
function pythonProduce(bootstrap: string, topic: string, timestampMs: number): Promise<string> {
  const script = `
import sys
from confluent_kafka import Producer
p = Producer({"bootstrap.servers": sys.argv[1], "message.timeout.ms": 10000})
out = []
p.produce(sys.argv[2], value=b"v", timestamp=int(sys.argv[3]), on_delivery=lambda err, msg: out.append(err.name() if err else "OK"))
p.flush(15)
print(out[0] if out else "NONE")
`;
  return new Promise((resolve, reject) =>
    execFile('/usr/bin/python3', ['-c', script, bootstrap, topic, String(timestampMs)], { timeout: 30_000 }, (err, stdout) => (err ? reject(err) : resolve(stdout.trim()))),
  );
}

describe('produce: CreateTime bounds (message.timestamp.*.max.ms)', function () {
  this.timeout(60_000);
  let broker: TestBroker;
  let admin: Admin;
  let producer: Producer;

  before(async () => {
    broker = await startTestBroker({ config: { 'log.message.timestamp.before.max.ms': String(DAY * 2) } });
    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
    admin = kafka.admin();
    await admin.connect();
    producer = kafka.producer();
    await producer.connect();
    await admin.createTopics({
      topics: [
        { topic: 'ts-before', numPartitions: 1, configEntries: [{ name: 'message.timestamp.before.max.ms', value: String(HOUR) }] },
        { topic: 'ts-after', numPartitions: 1, configEntries: [{ name: 'message.timestamp.after.max.ms', value: String(HOUR) }] },
        { topic: 'ts-diff', numPartitions: 1, configEntries: [{ name: 'message.timestamp.difference.max.ms', value: String(HOUR) }] },
        { topic: 'ts-append', numPartitions: 1, configEntries: [{ name: 'message.timestamp.before.max.ms', value: String(HOUR) }, { name: 'message.timestamp.type', value: 'LogAppendTime' }] },
        { topic: 'ts-default', numPartitions: 1 },
      ],
    });
  });
  after(async () => {
    await producer?.disconnect();
    await admin?.disconnect();
    await broker?.destroy();
  });

  const send = (topic: string, timestamp: number) =>
    producer.send({ topic, acks: 1, messages: [{ value: 'v', timestamp: String(timestamp) }] }).then(
      () => 'OK',
      (e: { type?: string }) => e.type ?? String(e),
    );

  it('kafkajs: refused outside the bound with INVALID_TIMESTAMP, accepted inside it', async () => {
    const now = Date.now();
    expect(await send('ts-before', now - DAY)).to.equal('INVALID_TIMESTAMP');
    expect(await send('ts-before', now + DAY)).to.equal('OK');
    expect(await send('ts-before', now - 60_000)).to.equal('OK');
    // every record counts, not only a batch's first: a later record older than the bound refuses the batch
    // (kafkajs puts a batch's smallest timestamp first; this batch keeps its records' order, as Java clients do)
    const raw = await RawClient.connect(broker.port);
    try {
      const res = await raw.request<ProduceResponse>(ApiKey.Produce, 9, {
        transactionalId: null, acks: 1, timeoutMs: 5000,
        topicData: [{ name: 'ts-before', partitionData: [{ index: 0, records: buildRecordBatch({ records: [{ value: 'now', timestamp: BigInt(now) }, { value: 'old', timestamp: BigInt(now - DAY) }] }) }] }],
      });
      expect(res.responses[0]!.partitionResponses[0]!.errorCode).to.equal(ErrorCode.INVALID_TIMESTAMP);
    } finally {
      raw.close();
    }
    expect(await send('ts-after', now + DAY)).to.equal('INVALID_TIMESTAMP');
    expect(await send('ts-after', now - DAY)).to.equal('OK');
    // the deprecated difference.max.ms stands in for a bound left unbounded (here the after side; the before side
    // has the broker's 2 days, which wins, as in Kafka's LogConfig)
    expect(await send('ts-diff', now + DAY)).to.equal('INVALID_TIMESTAMP');
    expect(await send('ts-diff', now)).to.equal('OK');
    // LogAppendTime replaces the producer's timestamp: nothing to check
    expect(await send('ts-append', now - 3 * DAY)).to.equal('OK');
    // the broker default (log.message.timestamp.before.max.ms = 2 days) applies to topics without their own
    expect(await send('ts-default', now - DAY)).to.equal('OK');
    expect(await send('ts-default', now - 3 * DAY)).to.equal('INVALID_TIMESTAMP');
    const offsets = await admin.fetchTopicOffsets('ts-before');
    expect(offsets[0]!.high).to.equal('2');
  });

  it('kafka-python with message format v0 (no timestamps): accepted, as Kafka skips records without one', async () => {
    const py = await runPython([
      '-c',
      `
from kafka import KafkaProducer
p = KafkaProducer(bootstrap_servers='${broker.bootstrap}', api_version=(0, 9))
p.send('ts-before', b'v0 record').get(timeout=20)
p.close()
print('ok')
`,
    ]);
    expect(py.out.trim(), py.err).to.equal('ok');
  });

  it('confluent-kafka (librdkafka): the delivery report names the error', async () => {
    expect(await pythonProduce(broker.bootstrap, 'ts-after', Date.now() + DAY)).to.equal('INVALID_TIMESTAMP');
    expect(await pythonProduce(broker.bootstrap, 'ts-after', Date.now())).to.equal('OK');
  });
});
