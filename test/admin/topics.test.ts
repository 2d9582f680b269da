import { expect } from 'chai';
import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/generated/apis';
import type { CreateTopicsResponse } from '../../protocol/generated/messages/CreateTopicsResponse';
import type { DeleteTopicsResponse } from '../../protocol/generated/messages/DeleteTopicsResponse';
import type { CreatePartitionsResponse } from '../../protocol/generated/messages/CreatePartitionsResponse';
import { startTestBroker, tempDataDir, type TestBroker } from '../helpers/broker';
import { RawClient } from '../helpers/rawClient';

/** kafkajs reports per-topic failures as an aggregate; this pulls out the Kafka error type names. */
async function kafkajsErrorTypes(p: Promise<unknown>): Promise<string[]> {
  try {
    await p;
  } catch (err) {
    const e = err as { type?: string; errors?: Array<{ type?: string }> };
    if (e.errors) return e.errors.map((x) => x.type ?? '?');
    return [e.type ?? String(err)];
  }
  throw new Error('expected the call to fail');
}

function partitionDirs(dataDir: string, topic: string): string[] {
  return readdirSync(dataDir).filter((n) => n.startsWith(`${topic}-`) && !n.endsWith('-delete'));
}

describe('admin: CreateTopics, DeleteTopics, CreatePartitions', () => {
  let broker: TestBroker;
  let admin: Admin;
  let raw: RawClient;

  before(async () => {
    broker = await startTestBroker({ config: { 'num.partitions': '3', 'auto.create.topics.enable': 'false' } });
    admin = new Kafka({ brokers: [broker.bootstrap], clientId: 'admin-test', logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    raw = await RawClient.connect(broker.port);
  });
  after(async () => {
    raw.close();
    await admin.disconnect();
    await broker.destroy();
  });

  it('creates topics with partitions and configs, visible in metadata and storage', async () => {
    const created = await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: 'orders', numPartitions: 4, configEntries: [{ name: 'retention.ms', value: '3600000' }, { name: 'cleanup.policy', value: 'compact' }] },
        { topic: 'defaults' },
      ],
    });
    expect(created).to.equal(true);
    const md = await admin.fetchTopicMetadata({ topics: ['orders', 'defaults'] });
    const counts = Object.fromEntries(md.topics.map((t) => [t.name, t.partitions.length]));
    expect(counts).to.deep.equal({ orders: 4, defaults: 3 });
    expect(broker.services.metadata.topic('orders')!.configs).to.deep.equal({ 'retention.ms': '3600000', 'cleanup.policy': 'compact' });
    const log = broker.services.logs.get('orders', 3)!;
    expect(log.currentConfig().retentionMs).to.equal(3600000);
    expect(log.currentConfig().cleanupPolicy).to.equal('compact');
    // Creating again is refused; kafkajs reports it as "false" (already there).
    expect(await admin.createTopics({ topics: [{ topic: 'orders' }] })).to.equal(false);
  });

  it('validateOnly checks everything but creates nothing', async () => {
    const ok = await admin.createTopics({ validateOnly: true, waitForLeaders: false, topics: [{ topic: 'dry-run', numPartitions: 2 }] });
    expect(ok).to.equal(true);
    expect(broker.services.metadata.topic('dry-run')).to.equal(undefined);
    expect(partitionDirs(broker.dataDir, 'dry-run')).to.deep.equal([]);
    const bad = await kafkajsErrorTypes(admin.createTopics({ validateOnly: true, waitForLeaders: false, topics: [{ topic: 'dry-run', configEntries: [{ name: 'retention.ms', value: 'soon' }] }] }));
    expect(bad).to.deep.equal(['INVALID_CONFIG']);
  });

  it('answers each bad topic with its own error code', async () => {
    await broker.services.metadata.createTopic('metrics_clash', { partitions: 1 });
    const res = await raw.request<CreateTopicsResponse>(ApiKey.CreateTopics, 7, {
      timeoutMs: 5000,
      validateOnly: false,
      topics: [
        { name: 'bad name!', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] },
        { name: 'rf3', numPartitions: 1, replicationFactor: 3, assignments: [], configs: [] },
        { name: 'zero', numPartitions: 0, replicationFactor: 1, assignments: [], configs: [] },
        { name: 'unknown-config', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'no.such.config', value: '1' }] },
        { name: 'bad-value', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'segment.bytes', value: '10' }] },
        { name: 'null-value', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'retention.ms', value: null }] },
        { name: 'orders', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] },
        { name: 'other-broker', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [7] }], configs: [] },
        { name: 'twice', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] },
        { name: 'twice', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] },
        { name: 'metrics.clash', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] },
        { name: 'huge', numPartitions: 2_000_000_000, replicationFactor: 1, assignments: [], configs: [] },
      ],
    });
    const codes = Object.fromEntries(res.topics.map((t) => [t.name, t.errorCode]));
    expect(codes).to.deep.equal({
      'bad name!': ErrorCode.INVALID_TOPIC_EXCEPTION,
      rf3: ErrorCode.INVALID_REPLICATION_FACTOR,
      zero: ErrorCode.INVALID_PARTITIONS,
      'unknown-config': ErrorCode.INVALID_CONFIG,
      'bad-value': ErrorCode.INVALID_CONFIG,
      // Kafka's controller: "Null value not supported for topic configs"
      'null-value': ErrorCode.INVALID_CONFIG,
      orders: ErrorCode.TOPIC_ALREADY_EXISTS,
      'other-broker': ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      twice: ErrorCode.INVALID_REQUEST,
      'metrics.clash': ErrorCode.INVALID_TOPIC_EXCEPTION,
      huge: ErrorCode.INVALID_PARTITIONS,
    });
    for (const t of res.topics) expect(t.errorMessage, t.name).to.be.a('string');
    expect(res.topics.find((t) => t.name === 'null-value')!.errorMessage).to.equal('Null value not supported for topic configs: retention.ms');
    for (const name of Object.keys(codes)) if (name !== 'orders') expect(broker.services.metadata.topic(name), name).to.equal(undefined);
  });

  it('v5+ returns the topic id, partition count, replication factor and resulting configs; v0 works too', async () => {
    const res = await raw.request<CreateTopicsResponse>(ApiKey.CreateTopics, 7, {
      timeoutMs: 5000,
      topics: [{ name: 'assigned', numPartitions: -1, replicationFactor: -1, assignments: [0, 1].map((p) => ({ partitionIndex: p, brokerIds: [1] })), configs: [{ name: 'retention.bytes', value: '1000000' }] }],
    });
    const t = res.topics[0];
    expect(t.errorCode).to.equal(0);
    expect(t.topicId.equals(broker.services.metadata.topic('assigned')!.id)).to.equal(true);
    expect([t.numPartitions, t.replicationFactor]).to.deep.equal([2, 1]);
    const cfg = new Map(t.configs!.map((c) => [c.name, c]));
    expect(cfg.get('retention.bytes')).to.include({ value: '1000000', configSource: 1, readOnly: false });
    expect(cfg.get('segment.bytes')).to.include({ value: '1073741824', configSource: 5 });

    const v0 = await raw.request<CreateTopicsResponse>(ApiKey.CreateTopics, 0, {
      timeoutMs: 5000,
      topics: [{ name: 'old-client', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
    });
    expect(v0.topics.map((x) => [x.name, x.errorCode])).to.deep.equal([['old-client', 0]]);
  });

  it('creates partitions (increase only, validateOnly respected) and opens their logs', async () => {
    await admin.createTopics({ topics: [{ topic: 'grow', numPartitions: 1 }] });
    await admin.createPartitions({ validateOnly: true, topicPartitions: [{ topic: 'grow', count: 5 }] });
    expect(broker.services.metadata.topic('grow')!.partitions).to.equal(1);
    await admin.createPartitions({ topicPartitions: [{ topic: 'grow', count: 3 }] });
    const md = await admin.fetchTopicMetadata({ topics: ['grow'] });
    expect(md.topics[0].partitions.map((p) => p.partitionId).sort()).to.deep.equal([0, 1, 2]);
    expect(await kafkajsErrorTypes(admin.createPartitions({ topicPartitions: [{ topic: 'grow', count: 2 }] }))).to.deep.equal(['INVALID_PARTITIONS']);

    const res = await raw.request<CreatePartitionsResponse>(ApiKey.CreatePartitions, 3, {
      timeoutMs: 5000,
      validateOnly: false,
      topics: [
        { name: 'grow', count: 3, assignments: null },
        { name: 'missing', count: 2, assignments: null },
        { name: 'assigned', count: 4, assignments: [{ brokerIds: [1] }] },
        { name: 'orders', count: 5, assignments: [{ brokerIds: [1] }] },
        { name: 'defaults', count: 10_001, assignments: null },
      ],
    });
    expect(res.results.map((r) => [r.name, r.errorCode])).to.deep.equal([
      ['grow', ErrorCode.INVALID_PARTITIONS],
      ['missing', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      ['assigned', ErrorCode.INVALID_REPLICA_ASSIGNMENT],
      ['orders', 0],
      ['defaults', ErrorCode.INVALID_PARTITIONS],
    ]);
    expect(broker.services.metadata.topic('orders')!.partitions).to.equal(5);
  });

  it('deletes topics by name and removes their partition files', async () => {
    await admin.createTopics({ topics: [{ topic: 'doomed', numPartitions: 2 }] });
    const producer = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    await producer.send({ topic: 'doomed', messages: [{ value: 'x', partition: 0 }, { value: 'y', partition: 1 }] });
    await producer.disconnect();
    expect(partitionDirs(broker.dataDir, 'doomed')).to.have.length(2);

    await admin.deleteTopics({ topics: ['doomed'] });
    expect(broker.services.metadata.topic('doomed')).to.equal(undefined);
    expect(partitionDirs(broker.dataDir, 'doomed')).to.deep.equal([]);
    expect(existsSync(path.join(broker.dataDir, 'doomed-0'))).to.equal(false);
    expect(broker.services.logs.get('doomed', 0)).to.equal(undefined);
    // (kafkajs retries this retriable error for a long time, so ask directly.)
    const again = await raw.request<DeleteTopicsResponse>(ApiKey.DeleteTopics, 1, { timeoutMs: 5000, topicNames: ['doomed'] });
    expect(again.responses.map((r) => [r.name, r.errorCode])).to.deep.equal([['doomed', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]);
  });

  it('deletes a 249-character topic for good: re-created empty, not loaded again after a restart', async () => {
    // the longest name Kafka accepts; renaming its partition dirs to `<dir>.<stamp>-delete` exceeded 255 bytes
    const topic = `L249-${'x'.repeat(244)}`;
    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    try {
      await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 2 }] });
      await producer.send({ topic, messages: [{ value: 'old', partition: 0 }, { value: 'old', partition: 1 }] });
      await admin.deleteTopics({ topics: [topic] });
      expect(readdirSync(broker.dataDir).filter((n) => n.startsWith(topic.slice(0, 200)))).to.deep.equal([]);
      await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 2 }] });
      const offsets = await admin.fetchTopicOffsets(topic);
      expect(offsets.map((o) => [o.partition, o.low, o.high]).sort()).to.deep.equal([[0, '0', '0'], [1, '0', '0']]);
      await admin.deleteTopics({ topics: [topic] });
    } finally {
      await producer.disconnect();
    }
    // a restart on the same data dir finds no log of it
    const dataDir = tempDataDir();
    let b = await startTestBroker({ dataDir });
    await b.services.metadata.createTopic(topic, { partitions: 3 });
    await b.services.metadata.deleteTopic(topic);
    await b.close();
    b = await startTestBroker({ dataDir });
    try {
      await b.services.logs.listed();
      expect([0, 1, 2].filter((p) => b.services.logs.has(topic, p))).to.deep.equal([]);
      expect(readdirSync(dataDir).filter((n) => n.startsWith('L249-'))).to.deep.equal([]);
    } finally {
      await b.destroy();
    }
  });

  it("answers a topic named twice in DeleteTopics once with INVALID_REQUEST and deletes it not, as Kafka's controller", async () => {
    await admin.createTopics({ topics: [{ topic: 'twice-del', numPartitions: 1 }, { topic: 'once-del', numPartitions: 1 }, { topic: 'both-ways', numPartitions: 1 }] });
    const v4 = await raw.request<DeleteTopicsResponse>(ApiKey.DeleteTopics, 5, { timeoutMs: 5000, topicNames: ['twice-del', 'once-del', 'twice-del'] });
    expect(v4.responses.map((r) => [r.name, r.errorCode, r.errorMessage])).to.have.deep.members([
      ['twice-del', ErrorCode.INVALID_REQUEST, 'Duplicate topic name.'],
      ['once-del', 0, null],
    ]);
    expect(broker.services.metadata.topic('twice-del')).to.not.equal(undefined);
    expect(broker.services.metadata.topic('once-del')).to.equal(undefined);
    // v6: an id twice, or a name and its topic's id
    const twiceId = broker.services.metadata.topic('twice-del')!.id;
    const bothId = broker.services.metadata.topic('both-ways')!.id;
    const v6 = await raw.request<DeleteTopicsResponse>(ApiKey.DeleteTopics, 6, {
      timeoutMs: 5000,
      topics: [{ name: null, topicId: twiceId }, { name: null, topicId: twiceId }, { name: 'both-ways', topicId: Buffer.alloc(16) }, { name: null, topicId: bothId }],
    });
    expect(v6.responses.map((r) => [r.name, r.errorCode, r.errorMessage])).to.have.deep.members([
      [null, ErrorCode.INVALID_REQUEST, 'Duplicate topic id.'],
      ['both-ways', ErrorCode.INVALID_REQUEST, 'The provided topic name maps to an ID that was already supplied.'],
    ]);
    expect(broker.services.metadata.topic('twice-del')).to.not.equal(undefined);
    expect(broker.services.metadata.topic('both-ways')).to.not.equal(undefined);
    // named once each, they go
    await admin.deleteTopics({ topics: ['twice-del', 'both-ways'] });
    expect(broker.services.metadata.topic('twice-del')).to.equal(undefined);
  });

  it('v6 deletes by topic id and reports unknown ids and names', async () => {
    const id = broker.services.metadata.topic('defaults')!.id;
    const res = await raw.request<DeleteTopicsResponse>(ApiKey.DeleteTopics, 6, {
      timeoutMs: 5000,
      topics: [
        { name: null, topicId: id },
        { name: null, topicId: Buffer.alloc(16, 7) },
        { name: 'never-existed', topicId: Buffer.alloc(16) },
      ],
    });
    expect(res.responses.map((r) => [r.name, r.errorCode])).to.deep.equal([
      ['defaults', 0],
      [null, ErrorCode.UNKNOWN_TOPIC_ID],
      ['never-existed', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    ]);
    expect(res.responses[0].topicId.equals(id)).to.equal(true);
    expect(broker.services.metadata.topicById(id)).to.equal(undefined);
  });

  it('refuses to delete an internal topic the broker itself uses', async () => {
    await broker.services.metadata.ensureTopic('__brook_internal', { partitions: 1, internal: true });
    const res = await raw.request<DeleteTopicsResponse>(ApiKey.DeleteTopics, 4, { timeoutMs: 5000, topicNames: ['__brook_internal'] });
    expect(res.responses.map((r) => [r.name, r.errorCode])).to.deep.equal([['__brook_internal', ErrorCode.INVALID_REQUEST]]);
    expect(broker.services.metadata.topic('__brook_internal')).to.not.equal(undefined);
  });
});

describe('admin: delete.topic.enable=false', () => {
  it('refuses DeleteTopics with TOPIC_DELETION_DISABLED and keeps the topic', async () => {
    const broker = await startTestBroker({ config: { 'delete.topic.enable': 'false' } });
    const raw = await RawClient.connect(broker.port);
    try {
      await broker.services.metadata.createTopic('kept', { partitions: 1 });
      const res = await raw.request<DeleteTopicsResponse>(ApiKey.DeleteTopics, 5, { timeoutMs: 5000, topicNames: ['kept'] });
      expect(res.responses.map((r) => [r.name, r.errorCode])).to.deep.equal([['kept', ErrorCode.TOPIC_DELETION_DISABLED]]);
      expect(broker.services.metadata.topic('kept')).to.not.equal(undefined);
    } finally {
      raw.close();
      await broker.destroy();
    }
  });
});
