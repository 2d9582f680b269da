/**
 * librdkafka 2.15.1 KIP-848 members with nothing to consume send a full heartbeat each time, with an empty
 * SubscribedTopicRegex. Found by a user: each of those heartbeats counted as a subscription change, so a group of
 * three members on two partitions raised its epoch and wrote a new target assignment about once a second, forever.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { Kafka, logLevel } from 'kafkajs';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { eventually } from '../helpers/eventually';
import { ensureLibrdkafka, librdkafkaEnv } from '../helpers/librdkafka';

describe('KIP-848 groups with idle librdkafka members', function () {
  this.timeout(120_000);
  let broker: TestBroker;
  const members: ChildProcess[] = [];

  before(async () => {
    broker = await startTestBroker({ config: { 'group.consumer.heartbeat.interval.ms': '500', 'group.consumer.session.timeout.ms': '10000' } });
  });
  after(async () => {
    for (const m of members) m.kill('SIGKILL');
    await broker?.destroy();
  });

  it('a group of three members on two partitions keeps its epoch while nothing changes', async () => {
    const build = await ensureLibrdkafka();
    const admin = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'idle848', numPartitions: 2 }] });
    await admin.disconnect();
    for (let i = 0; i < 3; i++) {
      members.push(spawn('kcat', ['-b', broker.bootstrap, '-G', 'g-idle', '-X', 'group.protocol=consumer', '-X', `client.id=m${i}`, '-q', 'idle848'], { env: librdkafkaEnv(build), stdio: 'ignore' }));
    }
    const groups = broker.services.groups!;
    await eventually(() => {
      const g = groups.describeConsumerGroup('g-idle');
      expect([g.members.length, g.state]).to.deep.equal([3, 'Stable']);
      return true;
    }, 'three members in a stable group', { ms: 20_000, intervalMs: 200 });
    const settled = groups.describeConsumerGroup('g-idle').groupEpoch;
    // Four more heartbeats from every member (counted as the coordinator takes them): before the fix each full
    // heartbeat of the idle member raised the epoch.
    const beats = new Map<string, number>();
    const heartbeat = groups.consumerHeartbeat.bind(groups);
    groups.consumerHeartbeat = (p) => {
      beats.set(p.memberId, (beats.get(p.memberId) ?? 0) + 1);
      return heartbeat(p);
    };
    try {
      await eventually(() => beats.size === 3 && [...beats.values()].every((n) => n >= 4), 'four heartbeats from each member', { intervalMs: 100 });
    } finally {
      groups.consumerHeartbeat = heartbeat;
    }
    expect(groups.describeConsumerGroup('g-idle').groupEpoch).to.equal(settled);
    expect(groups.describeConsumerGroup('g-idle').members).to.have.length(3);
  });
});
