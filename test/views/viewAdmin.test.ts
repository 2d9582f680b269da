import { expect } from 'chai';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { ApiKey } from '../../protocol/generated/apis';
import type { OffsetForLeaderEpochResponse } from '../../protocol/generated/messages/OffsetForLeaderEpochResponse';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { RawClient } from '../helpers/rawClient';

type RecordsError = Error & { cause?: RecordsError; partitions?: Array<{ error?: { type?: string; name?: string } }> };

/** Admin and offset requests on a filtered view: DeleteRecords is refused (read-only), offsets are the source's. */
describe('views: DeleteRecords, ListOffsets and OffsetForLeaderEpoch', function () {
  this.timeout(60_000);
  let broker: TestBroker;
  let admin: Admin;
  let producer: Producer;
  const T0 = 1_700_000_000_000;

  before(async () => {
    broker = await startTestBroker();
    const kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'view-admin', logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
    producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    await admin.createTopics({ topics: [{ topic: 'ledger', numPartitions: 2 }] });
    for (let i = 0; i < 30; i++) {
      // one record a second; only every fourth is paid
      await producer.send({ topic: 'ledger', messages: [{ partition: i % 2, value: `e${i}`, timestamp: String(T0 + i * 1000), headers: { 'brook-tag': i % 4 === 0 ? 'paid' : 'new' } }] });
    }
    await admin.createTopics({ topics: [{ topic: 'ledger.paid', configEntries: [{ name: 'brook.view.of', value: 'ledger' }, { name: 'brook.view.filter', value: 'paid' }] }] });
    // kafkajs' deleteTopicRecords looks leaders up in metadata it already has
    await admin.fetchTopicMetadata({ topics: ['ledger', 'ledger.paid'] });
  });

  after(async () => {
    await producer?.disconnect();
    await admin?.disconnect();
    await broker?.destroy();
  });

  const byPartition = <T extends { partition: number }>(xs: T[]) => [...xs].sort((a, b) => a.partition - b.partition);

  it('DeleteRecords on a view is refused with INVALID_TOPIC_EXCEPTION; the source keeps its records', async () => {
    const err = await admin.deleteTopicRecords({ topic: 'ledger.paid', partitions: [{ partition: 0, offset: '5' }] }).then(
      () => null,
      (e: RecordsError) => e,
    );
    expect(err, "DeleteRecords on a view").to.not.equal(null);
    // kafkajs wraps the per-partition errors in a non-retriable error
    const types = ((err!.cause ?? err!).partitions ?? []).map((x) => x.error?.type ?? x.error?.name);
    expect(types).to.deep.equal(['INVALID_TOPIC_EXCEPTION']);
    const source = byPartition(await admin.fetchTopicOffsets('ledger'));
    expect(source.map((p) => p.low)).to.deep.equal(['0', '0']);
    expect(byPartition(await admin.fetchTopicOffsets('ledger.paid')).map((p) => p.low)).to.deep.equal(['0', '0']);
  });

  it("ListOffsets on a view answers earliest, latest and by timestamp with the source's offsets, also after DeleteRecords on the source", async () => {
    await admin.deleteTopicRecords({ topic: 'ledger', partitions: [{ partition: 1, offset: '3' }] }).catch((e: { partitions?: unknown }) => {
      throw new Error(JSON.stringify(e.partitions));
    });
    const source = byPartition(await admin.fetchTopicOffsets('ledger'));
    const view = byPartition(await admin.fetchTopicOffsets('ledger.paid'));
    expect(view).to.deep.equal(source);
    expect(view.map((p) => [p.low, p.high])).to.deep.equal([
      ['0', '15'],
      ['3', '15'],
    ]);
    // e.g. T0 + 10.5 s: the first source record at or after it (a consumer of the view starting there gets the next match)
    for (const ts of [T0 + 10_500, T0, T0 + 100_000]) {
      const v = byPartition(await admin.fetchTopicOffsetsByTimestamp('ledger.paid', ts));
      expect(v).to.deep.equal(byPartition(await admin.fetchTopicOffsetsByTimestamp('ledger', ts)));
    }
    expect(byPartition(await admin.fetchTopicOffsetsByTimestamp('ledger.paid', T0 + 10_500)).map((p) => p.offset)).to.deep.equal(['6', '5']);
  });

  it("OffsetForLeaderEpoch on a view answers the source's end offset", async () => {
    const c = await RawClient.connect(broker.port);
    try {
      const ask = (topic: string) =>
        c.request<OffsetForLeaderEpochResponse>(ApiKey.OffsetForLeaderEpoch, 4, {
          replicaId: -1,
          topics: [{ topic, partitions: [0, 1].map((partition) => ({ partition, currentLeaderEpoch: -1, leaderEpoch: 0 })) }],
        });
      const view = (await ask('ledger.paid')).topics[0]!.partitions;
      const source = (await ask('ledger')).topics[0]!.partitions;
      expect(view.map((p) => [p.partition, p.errorCode, p.leaderEpoch, Number(p.endOffset)])).to.deep.equal(source.map((p) => [p.partition, p.errorCode, p.leaderEpoch, Number(p.endOffset)]));
      expect(view.map((p) => Number(p.endOffset))).to.deep.equal([15, 15]);
    } finally {
      c.close();
    }
  });
});
