import { expect } from 'chai';
import { Kafka, logLevel } from 'kafkajs';
import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/generated/apis';
import type { MetadataResponse } from '../../protocol/generated/messages/MetadataResponse';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { RawClient } from '../helpers/rawClient';

describe('Metadata', () => {
  let broker: TestBroker;
  let client: RawClient;
  before(async () => {
    broker = await startTestBroker({ config: { 'num.partitions': '3', 'node.id': '5' } });
  });
  after(() => broker.destroy());
  beforeEach(async () => {
    client = await RawClient.connect(broker.port);
  });
  afterEach(() => client.close());

  const topicReq = (name: string | null, topicId: Buffer = Buffer.alloc(16)) => ({ name, topicId });

  it('describes this broker as the only broker and controller (kafkajs admin)', async () => {
    const kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'meta-test', logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const cluster = await admin.describeCluster();
      expect(cluster.brokers).to.deep.equal([{ nodeId: 5, host: '127.0.0.1', port: broker.port }]);
      expect(cluster.controller).to.equal(5);
      expect(cluster.clusterId).to.equal(broker.services.metadata.clusterId);
      // The kafkajs admin never asks for auto-creation, so the topic is made beforehand.
      await broker.services.metadata.createTopic('kafkajs-meta');
      const md = await admin.fetchTopicMetadata({ topics: ['kafkajs-meta'] });
      expect(md.topics[0].name).to.equal('kafkajs-meta');
      expect(md.topics[0].partitions.map((p) => [p.partitionId, p.leader, p.replicas, p.isr])).to.deep.equal([
        [0, 5, [5], [5]],
        [1, 5, [5], [5]],
        [2, 5, [5], [5]],
      ]);
    } finally {
      await admin.disconnect();
    }
  });

  it('auto-creates requested topics with the default partition count and a stable topic id (v12)', async () => {
    const res = await client.request<MetadataResponse>(ApiKey.Metadata, 12, {
      topics: [topicReq('auto-a')],
      allowAutoTopicCreation: true,
      includeTopicAuthorizedOperations: false,
    });
    const t = res.topics[0];
    expect(t.errorCode).to.equal(0);
    expect(t.name).to.equal('auto-a');
    expect(t.partitions).to.have.length(3);
    expect(t.partitions[0]).to.deep.include({ leaderId: 5, leaderEpoch: 0, replicaNodes: [5], isrNodes: [5] });
    expect(t.topicId.equals(Buffer.alloc(16))).to.equal(false);
    expect(res.controllerId).to.equal(5);
    // By id alone (v10+).
    const byId = await client.request<MetadataResponse>(ApiKey.Metadata, 12, { topics: [topicReq(null, t.topicId)], allowAutoTopicCreation: false });
    expect(byId.topics[0]).to.deep.include({ errorCode: 0, name: 'auto-a' });
    const unknownId = await client.request<MetadataResponse>(ApiKey.Metadata, 12, { topics: [topicReq(null, Buffer.alloc(16, 7))], allowAutoTopicCreation: false });
    expect(unknownId.topics[0].errorCode).to.equal(ErrorCode.UNKNOWN_TOPIC_ID);
  });

  it('does not auto-create when the request forbids it, and rejects bad names', async () => {
    const res = await client.request<MetadataResponse>(ApiKey.Metadata, 9, {
      topics: [topicReq('not-created'), topicReq('bad/name')],
      allowAutoTopicCreation: false,
    });
    expect(res.topics.map((t) => [t.name, t.errorCode])).to.deep.equal([
      ['not-created', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      ['bad/name', ErrorCode.INVALID_TOPIC_EXCEPTION],
    ]);
    expect(broker.services.metadata.topic('not-created')).to.equal(undefined);
  });

  it("refuses to auto-create a name colliding with an existing one by '.' vs '_' (Metadata and kafkajs produce)", async () => {
    // Kafka's controller refuses such a name however the topic is created: both map to the same metric names
    await broker.services.metadata.createTopic('clash.auto', { partitions: 1 });
    const res = await client.request<MetadataResponse>(ApiKey.Metadata, 12, { topics: [topicReq('clash_auto')], allowAutoTopicCreation: true });
    expect(res.topics.map((t) => [t.name, t.errorCode])).to.deep.equal([['clash_auto', ErrorCode.INVALID_TOPIC_EXCEPTION]]);
    const producer = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } }).producer();
    await producer.connect();
    try {
      const err = await producer.send({ topic: 'clash_auto', messages: [{ value: 'v' }] }).then(
        () => null,
        (e: { cause?: { type?: string } }) => e,
      );
      // kafkajs wraps the protocol error of the metadata refresh in a non-retriable one
      expect(err?.cause?.type).to.equal('INVALID_TOPIC_EXCEPTION');
    } finally {
      await producer.disconnect();
    }
    expect(broker.services.metadata.topic('clash_auto')).to.equal(undefined);
  });

  it('lists all topics for null (v1+) and for an empty list at v0', async () => {
    await broker.services.metadata.ensureTopic('listed');
    const all = await client.request<MetadataResponse>(ApiKey.Metadata, 1, { topics: null });
    expect(all.topics.map((t) => t.name)).to.include('listed');
    const v0 = await client.request<MetadataResponse>(ApiKey.Metadata, 0, { topics: [] });
    expect(v0.topics.map((t) => t.name)).to.include('listed');
    const none = await client.request<MetadataResponse>(ApiKey.Metadata, 4, { topics: [], allowAutoTopicCreation: true });
    expect(none.topics).to.deep.equal([]);
  });

  it('answers UNKNOWN_TOPIC_OR_PARTITION when auto.create.topics.enable=false', async () => {
    const b2 = await startTestBroker({ config: { 'auto.create.topics.enable': 'false' } });
    const c2 = await RawClient.connect(b2.port);
    try {
      const res = await c2.request<MetadataResponse>(ApiKey.Metadata, 12, { topics: [topicReq('nope')], allowAutoTopicCreation: true });
      expect(res.topics[0].errorCode).to.equal(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    } finally {
      c2.close();
      await b2.destroy();
    }
  });

  it('advertises the configured listener', async () => {
    const b2 = await startTestBroker({ config: { 'advertised.listeners': 'PLAINTEXT://kafka.example:19092' } });
    const c2 = await RawClient.connect(b2.port);
    try {
      const res = await c2.request<MetadataResponse>(ApiKey.Metadata, 12, { topics: [] });
      expect(res.brokers.map((b) => [b.host, b.port])).to.deep.equal([['kafka.example', 19092]]);
    } finally {
      c2.close();
      await b2.destroy();
    }
  });

  it('reports every operation as authorized when asked (v8+), and the "not requested" marker otherwise', async () => {
    await broker.services.metadata.ensureTopic('ops');
    const asked = await client.request<MetadataResponse>(ApiKey.Metadata, 10, {
      topics: [topicReq('ops')],
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: true,
      includeTopicAuthorizedOperations: true,
    });
    // READ(3) WRITE(4) CREATE(5) DELETE(6) ALTER(7) DESCRIBE(8) DESCRIBE_CONFIGS(10) ALTER_CONFIGS(11)
    expect(asked.topics[0].topicAuthorizedOperations).to.equal(0b110111111000);
    expect(asked.clusterAuthorizedOperations).to.equal(0b1111110100000);
    const notAsked = await client.request<MetadataResponse>(ApiKey.Metadata, 12, { topics: [topicReq('ops')], allowAutoTopicCreation: false });
    expect(notAsked.topics[0].topicAuthorizedOperations).to.equal(-2147483648);
  });
});
