import { expect } from 'chai';
import { Kafka, logLevel } from 'kafkajs';
import { ApiKey } from '../../protocol/generated/apis';
import type { ShareFetchResponse } from '../../protocol/generated/messages/ShareFetchResponse';
import type { ShareGroupHeartbeatResponse } from '../../protocol/generated/messages/ShareGroupHeartbeatResponse';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { eventually } from '../helpers/eventually';
import { RawClient } from '../helpers/rawClient';
import { ensureShareClient, runShareClient, type RunningShareClient } from './helpers/shareClient';
import { setGroupConfigs } from './helpers/admin';

/**
 * share.isolation.level=read_committed with a kafkajs transactional producer and the librdkafka share consumer:
 * records of aborted transactions are never acquired, and nothing past the last stable offset is until the
 * open transaction commits.
 */
describe('share groups: share.isolation.level=read_committed', function () {
  this.timeout(120_000);
  let broker: TestBroker;
  const clients: RunningShareClient[] = [];

  before(async function () {
    this.timeout(20 * 60_000);
    await ensureShareClient();
    broker = await startTestBroker();
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.kill()));
    await broker.destroy();
  });

  it('aborted records are never delivered; records behind an open transaction wait for its commit', async () => {
    await broker.services.metadata.createTopic('txjobs', { partitions: 1 });
    const topicId = broker.services.metadata.topic('txjobs')!.id;
    await setGroupConfigs(broker.port, 'txg', { 'share.auto.offset.reset': 'earliest', 'share.isolation.level': 'read_committed' });
    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const txProducer = kafka.producer({ transactionalId: 'share-tx', idempotent: true, maxInFlightRequests: 1 });
    const plain = kafka.producer();
    await Promise.all([txProducer.connect(), plain.connect()]);
    const inTxn = async (values: string[], commit: boolean) => {
      const t = await txProducer.transaction();
      await t.send({ topic: 'txjobs', messages: values.map((value) => ({ value })) });
      await (commit ? t.commit() : t.abort());
    };
    await inTxn(['c1', 'c2', 'c3'], true);
    await inTxn(['a1', 'a2', 'a3'], false);
    await inTxn(['c4', 'c5'], true);
    const open = await txProducer.transaction();
    await open.send({ topic: 'txjobs', messages: [{ value: 'o1' }, { value: 'o2' }] });
    await plain.send({ topic: 'txjobs', messages: [{ value: 'p1' }] });

    const consumer = await runShareClient(broker.bootstrap, 'txg', 'txjobs', 'consume', { 'max.poll.records': '10' });
    clients.push(consumer);
    await eventually(() => consumer.acks.length >= 5, 'the committed records accepted', 60_000);
    await consumer.stop();
    expect(consumer.messages.map((m) => m.value).sort()).to.deep.equal(['c1', 'c2', 'c3', 'c4', 'c5']);

    // Below the high watermark but past the last stable offset: o1, o2 and p1 are not acquirable yet.
    const raw = await RawClient.connect(broker.port);
    try {
      const hb = await raw.request<ShareGroupHeartbeatResponse>(ApiKey.ShareGroupHeartbeat, 1, { groupId: 'txg', memberId: 'probe', memberEpoch: 0, rackId: null, subscribedTopicNames: ['txjobs'] });
      expect(hb.errorCode).to.equal(0);
      const fetch = (epoch: number) =>
        raw.request<ShareFetchResponse>(ApiKey.ShareFetch, 1, {
          groupId: 'txg', memberId: 'probe', shareSessionEpoch: epoch, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, maxRecords: 500, batchSize: 500,
          topics: [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: [] }] }], forgottenTopicsData: [],
        });
      const before = await fetch(0);
      expect(before.errorCode).to.equal(0);
      expect(before.responses.flatMap((t) => t.partitions.flatMap((p) => p.acquiredRecords))).to.deep.equal([]);
      await open.commit();
      let epoch = 1;
      const acquired: Array<{ firstOffset: bigint; lastOffset: bigint }> = [];
      await eventually(async () => {
        const res = await fetch(epoch++);
        acquired.push(...res.responses.flatMap((t) => t.partitions.flatMap((p) => p.acquiredRecords)));
        return acquired.reduce((n, r) => n + Number(r.lastOffset - r.firstOffset + 1n), 0) >= 3;
      }, 'the records behind the committed transaction acquired');
      expect(acquired.reduce((n, r) => n + Number(r.lastOffset - r.firstOffset + 1n), 0), 'o1, o2 and p1, nothing aborted').to.equal(3);
    } finally {
      raw.close();
      await Promise.all([txProducer.disconnect(), plain.disconnect()]);
    }
  });
});
