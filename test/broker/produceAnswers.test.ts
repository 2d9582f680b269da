import { expect } from 'chai';
import { Kafka, logLevel } from 'kafkajs';
import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/generated/apis';
import type { ProduceResponse } from '../../protocol/generated/messages/ProduceResponse';
import { startTestBroker, tempDataDir, type TestBroker } from '../helpers/broker';
import { batchOf, fetchRaw, fetchRequest, recordsOf } from '../helpers/dataPath';
import { RawClient } from '../helpers/rawClient';

/**
 * One Produce request whose partitions end every way a partition's write can: appended to an open log, to a log
 * opened by the request (after a restart), refused before the append, scheduled instead of appended, to a partition
 * that does not exist; each answer lands at its own partition, in the request's order, with its own offset.
 */
describe('Produce: every partition of a request answered in its place', () => {
  let broker: TestBroker | undefined;
  const dataDir = tempDataDir();

  after(async () => {
    await broker?.destroy();
  });

  it('answers a request mixing open, unopened, refused, scheduled and unknown partitions, and an idempotent producer', async () => {
    broker = await startTestBroker({ dataDir, config: { 'num.partitions': '1', 'auto.create.topics.enable': 'true' } });
    const admin = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'mix', numPartitions: 4 }] });
    await admin.disconnect();
    let c = await RawClient.connect(broker.port);
    for (const p of [0, 1]) await send(c, [{ name: 'mix', partitionData: [{ index: p, records: batchOf([{ value: `first-${p}` }]) }] }]);
    c.close();
    // a restart leaves every log unopened until a request needs it
    await broker.close();
    broker = await startTestBroker({ dataDir, config: { 'num.partitions': '1', 'auto.create.topics.enable': 'true' } });
    c = await RawClient.connect(broker.port);
    try {
      // partition 1 is opened by a fetch first; 0 only by the produce
      await fetchRaw(c, fetchRequest([{ topic: 'mix', partition: 1, offset: 0 }]));
      const res = await send(c, [
        {
          name: 'mix',
          partitionData: [
            { index: 0, records: batchOf([{ value: 'a' }, { value: 'b' }]) },
            { index: 9, records: batchOf([{ value: 'nowhere' }]) },
            { index: 2, records: batchOf([{ value: 'later', headers: [{ key: 'brook-delay-ms', value: Buffer.from('600000') }] }]) },
            { index: 3, records: null },
            { index: 1, records: batchOf([{ value: 'c' }]) },
          ],
        },
        { name: 'mix-auto', partitionData: [{ index: 0, records: batchOf([{ value: 'auto' }]) }] },
      ]);
      expect(res.responses.map((t) => t.name)).to.deep.equal(['mix', 'mix-auto']);
      expect(res.responses[0]!.partitionResponses.map((p) => [p.index, p.errorCode, p.baseOffset])).to.deep.equal([
        [0, 0, 1n],
        [9, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1n],
        [2, 0, -1n], // scheduled: written to __brook_scheduled, not to the partition yet
        [3, ErrorCode.INVALID_RECORD, -1n],
        [1, 0, 1n],
      ]);
      expect(res.responses[1]!.partitionResponses.map((p) => [p.index, p.errorCode, p.baseOffset])).to.deep.equal([[0, 0, 0n]]);
      const read = await fetchRaw(c, fetchRequest([0, 1, 2].map((partition) => ({ topic: 'mix', partition, offset: 0 }))));
      expect(read.responses[0]!.partitions.map((p) => recordsOf(p.records).map((r) => r.value))).to.deep.equal([
        ['first-0', 'a', 'b'],
        ['first-1', 'c'],
        [],
      ]);
    } finally {
      c.close();
    }

    // an idempotent producer's batches take the sequence checks (a promise per write) and answer in place too
    const producer = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).producer({ idempotent: true });
    await producer.connect();
    try {
      const sent = await producer.send({ topic: 'mix', acks: -1, messages: [0, 1, 3].map((partition) => ({ partition, value: `idem-${partition}` })) });
      expect(sent.map((r) => [r.partition, r.errorCode, r.baseOffset]).sort()).to.deep.equal([
        [0, 0, '3'],
        [1, 0, '2'],
        [3, 0, '0'],
      ]);
    } finally {
      await producer.disconnect();
    }
  });
});

type TopicData = Array<{ name: string; partitionData: Array<{ index: number; records: Buffer | null }> }>;

async function send(c: RawClient, topics: TopicData): Promise<ProduceResponse> {
  return c.request<ProduceResponse>(ApiKey.Produce, 9, { transactionalId: null, acks: 1, timeoutMs: 10_000, topicData: topics });
}
