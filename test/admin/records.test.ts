import { expect } from 'chai';
import * as path from 'node:path';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/generated/apis';
import type { DeleteRecordsResponse } from '../../protocol/generated/messages/DeleteRecordsResponse';
import type { DescribeClusterResponse } from '../../protocol/generated/messages/DescribeClusterResponse';
import type { DescribeLogDirsResponse } from '../../protocol/generated/messages/DescribeLogDirsResponse';
import type { OffsetForLeaderEpochResponse } from '../../protocol/generated/messages/OffsetForLeaderEpochResponse';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { RawClient } from '../helpers/rawClient';

describe('admin: DeleteRecords, DescribeCluster, DescribeLogDirs, OffsetForLeaderEpoch', () => {
  let broker: TestBroker;
  let admin: Admin;
  let producer: Producer;
  let raw: RawClient;

  before(async () => {
    broker = await startTestBroker({ config: { 'node.id': '3' } });
    const kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'records-test', logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    producer = kafka.producer();
    await admin.connect();
    await producer.connect();
    raw = await RawClient.connect(broker.port);
    await admin.createTopics({ topics: [{ topic: 'events', numPartitions: 2 }, { topic: 'compacted', numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] });
    for (let i = 0; i < 10; i++) await producer.send({ topic: 'events', messages: [{ value: `a${i}`, partition: 0 }, { value: `b${i}`, partition: 1 }] });
    await producer.send({ topic: 'events', messages: [{ value: 'last', partition: 1 }] });
    await producer.send({ topic: 'compacted', messages: [{ key: 'k', value: 'v' }] });
  });
  after(async () => {
    raw.close();
    await producer.disconnect();
    await admin.disconnect();
    await broker.destroy();
  });

  it('DeleteRecords moves the log start offset (kafkajs deleteTopicRecords, fetchTopicOffsets)', async () => {
    // kafkajs looks up partition leaders from metadata it has already fetched.
    await admin.fetchTopicMetadata({ topics: ['events'] });
    await admin.deleteTopicRecords({ topic: 'events', partitions: [{ partition: 0, offset: '4' }] });
    const offsets = await admin.fetchTopicOffsets('events');
    const p0 = offsets.find((o) => o.partition === 0)!;
    expect([p0.low, p0.high]).to.deep.equal(['4', '10']);
    expect(broker.services.logs.get('events', 0)!.logStartOffset).to.equal(4);
  });

  it('DeleteRecords: -1 means the high watermark; beyond it, unknown partitions and compact-only logs are refused', async () => {
    const res = await raw.request<DeleteRecordsResponse>(ApiKey.DeleteRecords, 2, {
      timeoutMs: 5000,
      topics: [
        { name: 'events', partitions: [{ partitionIndex: 1, offset: -1n }, { partitionIndex: 0, offset: 99n }, { partitionIndex: 7, offset: 0n }, { partitionIndex: 0, offset: -5n }] },
        { name: 'missing', partitions: [{ partitionIndex: 0, offset: 1n }] },
        { name: 'compacted', partitions: [{ partitionIndex: 0, offset: 1n }] },
      ],
    });
    const flat = res.topics.flatMap((t) => t.partitions.map((p) => [t.name, p.partitionIndex, p.errorCode, p.lowWatermark]));
    expect(flat).to.deep.equal([
      ['events', 1, 0, 11n],
      ['events', 0, ErrorCode.OFFSET_OUT_OF_RANGE, -1n],
      ['events', 7, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1n],
      ['events', 0, ErrorCode.OFFSET_OUT_OF_RANGE, -1n],
      ['missing', 0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1n],
      ['compacted', 0, ErrorCode.POLICY_VIOLATION, -1n],
    ]);
    expect(broker.services.logs.get('events', 1)!.logStartOffset).to.equal(11);
    // An earlier offset than the current start leaves it where it is.
    const back = await raw.request<DeleteRecordsResponse>(ApiKey.DeleteRecords, 0, { timeoutMs: 5000, topics: [{ name: 'events', partitions: [{ partitionIndex: 0, offset: 2n }] }] });
    expect(back.topics[0].partitions[0]).to.include({ errorCode: 0, lowWatermark: 4n });
  });

  it('DescribeCluster names this broker as the whole cluster and its controller', async () => {
    const cluster = await admin.describeCluster();
    expect(cluster.clusterId).to.equal(broker.services.metadata.clusterId);
    expect(cluster.controller).to.equal(3);
    expect(cluster.brokers).to.deep.equal([{ nodeId: 3, host: '127.0.0.1', port: broker.port }]);

    for (const version of [0, 1]) {
      const res = await raw.request<DescribeClusterResponse>(ApiKey.DescribeCluster, version, { includeClusterAuthorizedOperations: true, endpointType: 1 });
      expect(res).to.include({ errorCode: 0, clusterId: broker.services.metadata.clusterId, controllerId: 3 });
      expect(res.brokers.map((b) => [b.brokerId, b.host, b.port, b.rack])).to.deep.equal([[3, '127.0.0.1', broker.port, null]]);
      // DESCRIBE (8) and ALTER_CONFIGS (11) among the allowed cluster operations.
      expect(res.clusterAuthorizedOperations & (1 << 8)).to.not.equal(0);
      expect(res.clusterAuthorizedOperations & (1 << 11)).to.not.equal(0);
    }
    const notAsked = await raw.request<DescribeClusterResponse>(ApiKey.DescribeCluster, 1, { includeClusterAuthorizedOperations: false, endpointType: 1 });
    expect(notAsked.clusterAuthorizedOperations).to.equal(-2147483648);
    const controller = await raw.request<DescribeClusterResponse>(ApiKey.DescribeCluster, 1, { includeClusterAuthorizedOperations: false, endpointType: 2 });
    expect(controller.errorCode).to.equal(ErrorCode.MISMATCHED_ENDPOINT_TYPE);
  });

  it('DescribeLogDirs lists the data dir with partition sizes, zero lag and (v4) disk space', async () => {
    const all = await raw.request<DescribeLogDirsResponse>(ApiKey.DescribeLogDirs, 4, { topics: null });
    expect(all.errorCode).to.equal(0);
    expect(all.results).to.have.length(1);
    const dir = all.results[0];
    expect(dir).to.include({ errorCode: 0, logDir: path.resolve(broker.dataDir) });
    expect(dir.totalBytes > 0n).to.equal(true);
    expect(dir.usableBytes > 0n && dir.usableBytes <= dir.totalBytes).to.equal(true);
    const events = dir.topics.find((t) => t.name === 'events')!;
    expect(events.partitions.map((p) => p.partitionIndex)).to.deep.equal([0, 1]);
    for (const p of events.partitions) {
      expect(p.partitionSize).to.equal(BigInt(broker.services.logs.get('events', p.partitionIndex)!.sizeInBytes()));
      expect(p.partitionSize > 0n).to.equal(true);
      expect([p.offsetLag, p.isFutureKey]).to.deep.equal([0n, false]);
    }

    const some = await raw.request<DescribeLogDirsResponse>(ApiKey.DescribeLogDirs, 0, { topics: [{ topic: 'events', partitions: [1] }, { topic: 'missing', partitions: [0] }] });
    expect(some.results[0].topics.map((t) => [t.name, t.partitions.map((p) => p.partitionIndex)])).to.deep.equal([['events', [1]]]);
  });

  it('OffsetForLeaderEpoch: epoch 0 ends at the log end; later epochs are undefined; fencing and unknown partitions', async () => {
    const res = await raw.request<OffsetForLeaderEpochResponse>(ApiKey.OffsetForLeaderEpoch, 4, {
      replicaId: -1,
      topics: [
        {
          topic: 'events',
          partitions: [
            { partition: 0, currentLeaderEpoch: 0, leaderEpoch: 0 },
            { partition: 1, currentLeaderEpoch: -1, leaderEpoch: 0 },
            { partition: 1, currentLeaderEpoch: -1, leaderEpoch: 5 },
            { partition: 0, currentLeaderEpoch: 2, leaderEpoch: 0 },
            { partition: 9, currentLeaderEpoch: -1, leaderEpoch: 0 },
          ],
        },
        { topic: 'missing', partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] },
      ],
    });
    const flat = res.topics.flatMap((t) => t.partitions.map((p) => [t.topic, p.partition, p.errorCode, p.leaderEpoch, p.endOffset]));
    expect(flat).to.deep.equal([
      ['events', 0, 0, 0, 10n],
      ['events', 1, 0, 0, 11n],
      ['events', 1, 0, -1, -1n],
      ['events', 0, ErrorCode.UNKNOWN_LEADER_EPOCH, -1, -1n],
      ['events', 9, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1, -1n],
      ['missing', 0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1, -1n],
    ]);
    const v0 = await raw.request<OffsetForLeaderEpochResponse>(ApiKey.OffsetForLeaderEpoch, 0, { topics: [{ topic: 'events', partitions: [{ partition: 0, leaderEpoch: 0 }] }] });
    expect(v0.topics[0].partitions[0]).to.include({ errorCode: 0, endOffset: 10n });
  });
});
