import { expect } from 'chai';
import { Kafka, logLevel } from 'kafkajs';
import { ApiKey } from '../../protocol/generated/apis';
import type { ShareFetchResponse } from '../../protocol/generated/messages/ShareFetchResponse';
import type { ShareGroupHeartbeatResponse } from '../../protocol/generated/messages/ShareGroupHeartbeatResponse';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { eventually } from '../helpers/eventually';
import { RawClient } from '../helpers/rawClient';
import { setGroupConfigs } from '../share/helpers/admin';

/**
 * A share group reading a partition where an idempotent producer's scheduled batch left its sequences (a batch
 * without records): those offsets are never acquired, only the records are.
 */
describe('scheduled delivery from idempotent producers: share groups skip the sequence batches', function () {
  this.timeout(60_000);
  let broker: TestBroker;

  before(async () => {
    broker = await startTestBroker();
  });

  after(async () => {
    await broker.destroy();
  });

  it('acquires the delivered and the plain records, not the offsets of the batch without records', async () => {
    await broker.services.metadata.createTopic('sjobs', { partitions: 1 });
    const topicId = broker.services.metadata.topic('sjobs')!.id;
    await setGroupConfigs(broker.port, 'sg', { 'share.auto.offset.reset': 'earliest' });
    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      await producer.send({ topic: 'sjobs', acks: -1, messages: [{ value: 's1', headers: { 'brook-delay-ms': '0' } }, { value: 's2', headers: { 'brook-delay-ms': '0' } }] });
      await producer.send({ topic: 'sjobs', acks: -1, messages: [{ value: 'p1' }] });
    } finally {
      await producer.disconnect();
    }
    // offsets 0-1: the sequence batch; 2: p1; 3-4: s1, s2 once delivered
    const log = broker.services.logs.get('sjobs', 0)!;
    await eventually(() => log.highWatermark >= 5 || undefined, 'the scheduled records delivered');
    const raw = await RawClient.connect(broker.port);
    try {
      const hb = await raw.request<ShareGroupHeartbeatResponse>(ApiKey.ShareGroupHeartbeat, 1, { groupId: 'sg', memberId: 'probe', memberEpoch: 0, rackId: null, subscribedTopicNames: ['sjobs'] });
      expect(hb.errorCode).to.equal(0);
      let epoch = 0;
      const acquired: Array<{ firstOffset: bigint; lastOffset: bigint }> = [];
      await eventually(async () => {
        const res = await raw.request<ShareFetchResponse>(ApiKey.ShareFetch, 1, {
          groupId: 'sg', memberId: 'probe', shareSessionEpoch: epoch++, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, maxRecords: 500, batchSize: 500,
          topics: [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: [] }] }], forgottenTopicsData: [],
        });
        acquired.push(...res.responses.flatMap((t) => t.partitions.flatMap((p) => p.acquiredRecords)));
        return acquired.reduce((n, r) => n + Number(r.lastOffset - r.firstOffset + 1n), 0) >= 3;
      }, 'the three records acquired');
      const offsets = acquired.flatMap((r) => Array.from({ length: Number(r.lastOffset - r.firstOffset + 1n) }, (_, i) => Number(r.firstOffset) + i));
      expect(offsets).to.deep.equal([2, 3, 4]);
    } finally {
      raw.close();
    }
  });
});
