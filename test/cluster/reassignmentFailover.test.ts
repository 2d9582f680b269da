import { existsSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { expect } from 'chai';
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { CLUSTER_POLL, ProcessCluster } from './helpers/processCluster';
import { eventually } from '../helpers/eventually';
import { ContinuousProducer, readAll } from './helpers/continuousProducer';

function logBytes(dir: string): number {
  if (!existsSync(dir)) return 0;
  return readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .reduce((n, f) => n + statSync(path.join(dir, f)).size, 0);
}

describe('cluster: kill -9 of the controller during a reassignment (child processes, kafkajs admin)', function () {
  this.timeout(240_000);
  let c: ProcessCluster | null = null;

  afterEach(async () => {
    await c?.stop();
    c = null;
  });

  it('the next controller finishes the move [1,2] -> [2,3]; every acknowledged record is readable; broker 1 drops its copy when it comes back', async () => {
    // broker 1 starts alone, so it is the controller (and, below, the leader of the partition being moved off it)
    c = await ProcessCluster.start([1]);
    await eventually(() => c!.brokers.get(1)!.logs.some((l) => l.msg === 'became controller'), 'broker 1 to become controller', CLUSTER_POLL);
    await c.startBroker(2);
    await c.startBroker(3);
    const kafka = new Kafka({ clientId: 'failover', brokers: c.bootstrap, logLevel: logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 } });
    const admin = kafka.admin();
    await admin.connect();
    await eventually(async () => (await admin.describeCluster()).brokers.length === 3, '3 brokers registered', CLUSTER_POLL);
    await admin.createTopics({ topics: [{ topic: 'kx', replicaAssignment: [{ partition: 0, replicas: [1, 2] }] }] });
    const pre = kafka.producer();
    await pre.connect();
    const acked: string[] = [];
    for (let b = 0; b < 10; b++) {
      const messages = Array.from({ length: 100 }, (_, i) => ({ partition: 0, value: `pre-${b}-${i}-${'z'.repeat(1000)}` }));
      await pre.send({ topic: 'kx', acks: -1, messages });
      acked.push(...messages.map((m) => m.value));
    }
    await pre.disconnect();
    // the new replica copies at 100 KB/s, so the move is under way when the controller dies
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.BROKER, name: '3', configEntries: [{ name: 'follower.replication.throttled.rate', value: '100000' }] }] });
    const producer = await ContinuousProducer.start(c.bootstrap, 'kx');
    await eventually(() => producer.acked.length >= 50, 'the producer under way', CLUSTER_POLL);

    await admin.alterPartitionReassignments({ topics: [{ topic: 'kx', partitionAssignment: [{ partition: 0, replicas: [2, 3] }] }] });
    const dir3 = path.join(c.dataDirs.get(3)!, 'kx-0');
    await eventually(() => logBytes(dir3) > 100_000, 'broker 3 to copy part of the log', CLUSTER_POLL);
    const listed = await admin.listPartitionReassignments({});
    expect(listed.topics).to.have.length(1);
    expect(listed.topics[0]!.partitions[0]!.addingReplicas).to.deep.equal([3]);

    await c.kill9(1);
    // lift the throttle so the new controller's completion is not a matter of waiting
    const admin2 = await c.adminClient([2, 3]);
    await eventually(async () => ![-1, 1].includes((await admin2.describeCluster()).controller ?? -1), 'another controller', CLUSTER_POLL);
    await admin2.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.BROKER, name: '3', configEntries: [] }] });
    await eventually(async () => {
        const p = await c!.partition('kx', 0, [2, 3]);
        return p.replicas.join() === '2,3' && [...p.isr].sort().join() === '2,3';
      }, 'the reassignment to complete under the next controller', { ...CLUSTER_POLL, ms: 120_000 });
    expect((await admin2.listPartitionReassignments({})).topics).to.deep.equal([]);
    const atMove = producer.acked.length;
    await eventually(() => producer.acked.length >= atMove + 50, 'production going on after the move', { ...CLUSTER_POLL, ms: 60_000 });
    await producer.stop();
    await admin.disconnect().catch(() => undefined);

    const read = await readAll(c.bootstrap, 'kx', [...acked, ...producer.acked], 120_000);
    expect(new Set(read).size).to.equal(read.length);
    const ackedSet = new Set(producer.acked);
    expect(read.filter((v) => ackedSet.has(v))).to.deep.equal(producer.acked);

    // broker 1 was killed holding a copy; back on the same data dir, it deletes it
    const dir1 = path.join(c.dataDirs.get(1)!, 'kx-0');
    expect(existsSync(dir1)).to.equal(true);
    await c.startBroker(1);
    await eventually(() => !existsSync(dir1), "broker 1's stale copy to be deleted", CLUSTER_POLL);
  });
});
