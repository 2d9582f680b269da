/**
 * Deleting a topic removes every group's committed offsets on it, as Kafka's GroupCoordinator.onPartitionsDeleted
 * does. Found by a user: a group's offset 10 outlived the topic, so a consumer of the topic re-created under the
 * same name skipped its first 10 records (and `brook groups describe` failed on the missing topic).
 */
import { expect } from 'chai';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { ApiKey } from '../../protocol/generated/apis';
import type { OffsetCommitResponse } from '../../protocol/generated/messages/OffsetCommitResponse';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { runPython } from '../helpers/python';
import { RawClient } from '../helpers/rawClient';

describe('groups: a deleted topic takes its committed offsets with it', function () {
  this.timeout(60_000);
  let broker: TestBroker;
  let admin: Admin;

  const kafka = () => new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const commit = async (group: string, topic: string, offset: bigint) => {
    const raw = await RawClient.connect(broker.port);
    try {
      const res = await raw.request<OffsetCommitResponse>(ApiKey.OffsetCommit, 5, {
        groupId: group, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1n,
        topics: [{ name: topic, partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: null }] }],
      });
      expect(res.topics[0]!.partitions[0]!.errorCode).to.equal(0);
    } finally {
      raw.close();
    }
  };
  const produce = async (topic: string, prefix: string, n: number) => {
    const p = kafka().producer();
    await p.connect();
    await p.send({ topic, messages: Array.from({ length: n }, (_, i) => ({ value: `${prefix}-${i}` })) });
    await p.disconnect();
  };

  before(async () => {
    broker = await startTestBroker({ config: { 'group.initial.rebalance.delay.ms': '0', 'offsets.topic.num.partitions': '3' } });
    admin = kafka().admin();
    await admin.connect();
  });
  after(async () => {
    await admin?.disconnect();
    await broker?.destroy();
  });

  it('a consumer (confluent-kafka) of the topic re-created under the same name reads it from the start', async () => {
    await admin.createTopics({ topics: [{ topic: 'recreated', numPartitions: 1 }, { topic: 'kept', numPartitions: 1 }] });
    await produce('recreated', 'old', 12);
    await commit('g-del', 'recreated', 10n);
    await commit('g-del', 'kept', 0n);
    await commit('g-other', 'recreated', 4n);
    await admin.deleteTopics({ topics: ['recreated'] });
    // gone from every group, and only that topic's offsets
    expect((await admin.fetchOffsets({ groupId: 'g-del', topics: ['kept'] }))[0]!.partitions[0]!.offset).to.equal('0');
    const g = await admin.fetchOffsets({ groupId: 'g-del' });
    expect(g.map((t) => t.topic)).to.deep.equal(['kept']);
    expect(await admin.fetchOffsets({ groupId: 'g-other' })).to.deep.equal([]);

    await admin.createTopics({ topics: [{ topic: 'recreated', numPartitions: 1 }] });
    await produce('recreated', 'new', 15);
    const py = await runPython([
      '-c',
      `
from confluent_kafka import Consumer
c = Consumer({'bootstrap.servers': '${broker.bootstrap}', 'group.id': 'g-del', 'auto.offset.reset': 'earliest', 'enable.auto.commit': False})
c.subscribe(['recreated'])
got = []
while len(got) < 15:
    m = c.poll(10)
    if m is None: break
    if m.error() is None: got.append(m.value().decode())
c.close()
print(','.join(got))
`,
    ]);
    expect(py.out.trim().split(','), py.err).to.deep.equal(Array.from({ length: 15 }, (_, i) => `new-${i}`));
  });

  it('the removal is written: a restarted broker does not bring the offsets back', async () => {
    await admin.createTopics({ topics: [{ topic: 'gone', numPartitions: 1 }] });
    await commit('g-restart', 'gone', 7n);
    await admin.deleteTopics({ topics: ['gone'] });
    await admin.disconnect();
    const dataDir = broker.dataDir;
    await broker.close();
    broker = await startTestBroker({ dataDir, config: { 'group.initial.rebalance.delay.ms': '0', 'offsets.topic.num.partitions': '3' } });
    admin = kafka().admin();
    await admin.connect();
    expect(await admin.fetchOffsets({ groupId: 'g-restart' })).to.deep.equal([]);
  });
});
