/**
 * A record without a key on a compacted topic: Kafka refuses it with INVALID_RECORD ("Compacted topic cannot accept
 * message without key"). Found by a tester: kafka-python's send('comp1', b'x') got an offset back, and the record
 * then sat in the compacted log for good (the cleaner can never replace or delete a keyless record).
 */
import { expect } from 'chai';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { memoryLogger, type LogEntry } from '../helpers/memoryLogger';
import { runPython } from '../helpers/python';
import { RawClient } from '../helpers/rawClient';
import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/generated/apis';
import type { ProduceResponse } from '../../protocol/generated/messages/ProduceResponse';
import type { CreateTopicsResponse } from '../../protocol/generated/messages/CreateTopicsResponse';
import { buildRecordBatch } from '../../protocol/records/batch';
import { Compression } from '../../protocol/records/batchHeader';
import type { RecordInput } from '../../protocol/records/types';

describe('produce: records without a key on a compacted topic', function () {
  this.timeout(60_000);
  let broker: TestBroker;
  let raw: RawClient;
  const log: LogEntry[] = [];

  before(async () => {
    broker = await startTestBroker({ logger: memoryLogger(log) });
    raw = await RawClient.connect(broker.port);
    const topic = (name: string, policy: string) => ({ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'cleanup.policy', value: policy }] });
    const res = await raw.request<CreateTopicsResponse>(ApiKey.CreateTopics, 5, {
      topics: [topic('comp1', 'compact'), topic('comp2', 'compact,delete'), topic('plain1', 'delete')],
      timeoutMs: 10_000,
      validateOnly: false,
    });
    expect(res.topics.map((t) => t.errorCode)).to.deep.equal([0, 0, 0]);
  });
  after(async () => {
    raw?.close();
    await broker?.destroy();
  });

  async function produce(topic: string, records: RecordInput[], compression = Compression.None, version = 9): Promise<{ errorCode: number; errorMessage: string | null | undefined }> {
    const res = await raw.request<ProduceResponse>(ApiKey.Produce, version, {
      transactionalId: null,
      acks: 1,
      timeoutMs: 5000,
      topicData: [{ name: topic, partitionData: [{ index: 0, records: buildRecordBatch({ records, compression }) }] }],
    });
    const p = res.responses[0]!.partitionResponses[0]!;
    return { errorCode: p.errorCode, errorMessage: p.errorMessage };
  }

  it('kafka-python: send without a key fails (2.0.2 knows no name for code 87); with a key it is written', async () => {
    const py = await runPython([
      '-c',
      `
import sys
from kafka import KafkaProducer
p = KafkaProducer(bootstrap_servers=sys.argv[1], retries=0)
try:
    p.send('comp1', b'x').get(timeout=20)
    print('ACCEPTED')
except Exception as e:
    print('REFUSED')
print(p.send('comp1', key=b'k', value=b'x').get(timeout=20).offset)
p.close()
`,
      broker.bootstrap,
    ]);
    expect(py.out.trim().split('\n'), py.err).to.deep.equal(['REFUSED', '0']);
    expect(log.some((e) => e.msg === 'produce refused' && e.fields.topic === 'comp1' && e.fields.errorCode === ErrorCode.INVALID_RECORD)).to.equal(true);
  });

  it('confluent-kafka (librdkafka): the delivery report names INVALID_RECORD', async () => {
    const py = await runPython([
      '-c',
      `
import sys
from confluent_kafka import Producer
p = Producer({'bootstrap.servers': sys.argv[1], 'message.timeout.ms': 10000})
out = []
p.produce('comp1', value=b'x', on_delivery=lambda err, msg: out.append(err.name() if err else 'OK'))
p.flush(15)
print(out[0] if out else 'NONE')
`,
      broker.bootstrap,
    ]);
    expect(py.out.trim(), py.err).to.equal('INVALID_RECORD');
  });

  it('one keyless record refuses the whole batch, compressed or not; tombstones and other topics pass', async () => {
    const keyed: RecordInput = { key: Buffer.from('a'), value: Buffer.from('1') };
    const keyless: RecordInput = { key: null, value: Buffer.from('2') };
    const refused = { errorCode: ErrorCode.INVALID_RECORD, errorMessage: 'Compacted topic cannot accept message without key' };
    expect(await produce('comp2', [keyed, keyless])).to.deep.equal(refused);
    expect(await produce('comp2', [keyed, keyed, keyless], Compression.Zstd)).to.deep.equal(refused);
    expect(await produce('comp1', [keyless], Compression.Gzip)).to.deep.equal(refused);
    // before v8 the answer carries no message, only the code
    expect((await produce('comp1', [keyless], Compression.None, 7)).errorCode).to.equal(ErrorCode.INVALID_RECORD);
    expect((await produce('comp1', [keyed, { key: Buffer.from('b'), value: null }], Compression.Lz4)).errorCode).to.equal(0);
    expect((await produce('plain1', [keyless])).errorCode).to.equal(0);
  });
});
