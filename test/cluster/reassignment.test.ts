import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { expect } from 'chai';
import { ConfigResourceTypes, Kafka, logLevel, type Admin } from 'kafkajs';
import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/generated/apis';
import type { AlterPartitionReassignmentsResponse } from '../../protocol/generated/messages/AlterPartitionReassignmentsResponse';
import type { PartitionState } from '../../src/metadata/types';
import { RawClient } from '../helpers/rawClient';
import { runPython } from '../helpers/python';
import { EtcdTestCluster, eventually } from './helpers/etcdCluster';
import { ContinuousProducer, readAll } from './helpers/continuousProducer';

const FAST_REPLICATION = { 'replica.fetch.wait.max.ms': '200', 'replica.fetch.backoff.ms': '200' };

function state(c: EtcdTestCluster, via: number, topic: string, partition = 0): PartitionState {
  return c.broker(via).services.metadata.partitionState(topic, partition)!;
}

const sorted = (l: readonly number[]) => [...l].sort((a, b) => a - b);

/** Every ISR the partition's record went through, as one broker heard of them. */
function recordIsrs(c: EtcdTestCluster, via: number, topic: string): number[][] {
  const seen: number[][] = [];
  c.broker(via).services.metadata.onChange((e) => {
    if (e.type === 'partition-changed' && e.state.topic === topic) seen.push(sorted(e.state.isr));
  });
  return seen;
}

async function cancelRaw(c: EtcdTestCluster, via: number, topic: string, partition: number): Promise<AlterPartitionReassignmentsResponse> {
  // kafkajs cannot send null replicas (its validation wants an array), so the cancel goes on the wire directly
  const raw = await RawClient.connect(c.broker(via).port);
  try {
    return await raw.request<AlterPartitionReassignmentsResponse>(ApiKey.AlterPartitionReassignments, 0, { timeoutMs: 30_000, topics: [{ name: topic, partitions: [{ partitionIndex: partition, replicas: null }] }] });
  } finally {
    raw.close();
  }
}

function partitionDir(c: EtcdTestCluster, nodeId: number, topic: string, partition = 0): string {
  return path.join(c.broker(nodeId).config.dataDir, `${topic}-${partition}`);
}

describe('cluster: partition reassignment (kafkajs admin)', function () {
  this.timeout(180_000);
  let c: EtcdTestCluster;
  let admin: Admin;

  afterEach(async () => {
    await admin?.disconnect().catch(() => undefined);
    await c?.stop();
  });

  async function startCluster(ids: number[]): Promise<void> {
    c = await EtcdTestCluster.start(ids, { config: FAST_REPLICATION });
    admin = new Kafka({ clientId: 'reassign-admin', brokers: c.bootstrap, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
  }

  it('moves [1,2] to [2,3] under acks=all production: ISR [1,2,3] on the way, [2,3] at the end, broker 1 deletes its copy, every acked record is readable', async () => {
    await startCluster([1, 2, 3]);
    await admin.createTopics({ topics: [{ topic: 'mv', replicaAssignment: [{ partition: 0, replicas: [1, 2] }] }] });
    const isrs = recordIsrs(c, 3, 'mv');
    const producer = await ContinuousProducer.start(c.bootstrap, 'mv');
    await eventually(() => producer.acked.length >= 200, '200 records acknowledged before the move');
    expect(existsSync(partitionDir(c, 1, 'mv'))).to.equal(true);

    await admin.alterPartitionReassignments({ topics: [{ topic: 'mv', partitionAssignment: [{ partition: 0, replicas: [2, 3] }] }] });
    await eventually(() => {
      const s = state(c, 3, 'mv');
      return s.replicas.join() === '2,3' && !s.addingReplicas && !s.removingReplicas;
    }, 'the reassignment to complete', 60_000);
    const atMove = producer.acked.length;
    await eventually(() => producer.acked.length >= atMove + 200, '200 more records acknowledged after the move');
    await producer.stop();

    expect(isrs.some((isr) => isr.join() === '1,2,3'), `ISRs seen: ${JSON.stringify(isrs)}`).to.equal(true);
    const final = state(c, 2, 'mv');
    expect(final.replicas).to.deep.equal([2, 3]);
    expect(sorted(final.isr)).to.deep.equal([2, 3]);
    expect(final.leader).to.equal(2);
    const md = await admin.fetchTopicMetadata({ topics: ['mv'] });
    expect(sorted(md.topics[0]!.partitions[0]!.replicas)).to.deep.equal([2, 3]);
    expect(sorted(md.topics[0]!.partitions[0]!.isr)).to.deep.equal([2, 3]);
    await eventually(() => c.broker(1).services.logs.get('mv', 0) === undefined && !existsSync(partitionDir(c, 1, 'mv')), "broker 1's copy to be deleted");
    expect((await admin.listPartitionReassignments({})).topics).to.deep.equal([]);

    // every acknowledged record is on both new replicas and readable
    for (const id of [2, 3]) await eventually(() => c.broker(id).services.logs.get('mv', 0)!.logEndOffset >= producer.acked.length, `broker ${id} to hold every acked record`);
    const read = await readAll(c.bootstrap, 'mv', producer.acked);
    expect(new Set(read).size).to.equal(read.length);
    const ackedSet = new Set(producer.acked);
    expect(read.filter((v) => ackedSet.has(v))).to.deep.equal(producer.acked);
  });

  it('cancels a reassignment half way: back to [1,2], the added replica drops its partial copy, nothing acked is lost', async () => {
    await startCluster([1, 2, 3]);
    await admin.createTopics({ topics: [{ topic: 'cx', replicaAssignment: [{ partition: 0, replicas: [1, 2] }] }] });
    // ~1 MB the new replica must copy, at 100 KB/s (the follower throttle), so the move is still under way when cancelled
    const kafka = new Kafka({ clientId: 'preload', brokers: c.bootstrap, logLevel: logLevel.NOTHING });
    const pre = kafka.producer();
    await pre.connect();
    for (let b = 0; b < 10; b++) {
      await pre.send({ topic: 'cx', acks: -1, messages: Array.from({ length: 100 }, (_, i) => ({ partition: 0, value: `pre-${b}-${i}-${'y'.repeat(1000)}` })) });
    }
    await pre.disconnect();
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.BROKER, name: '3', configEntries: [{ name: 'follower.replication.throttled.rate', value: '100000' }] }] });
    await eventually(() => c.broker(3).services.replication!.throttle.follower.bytesPerSecond === 100000, 'broker 3 to apply its throttle');

    const producer = await ContinuousProducer.start(c.bootstrap, 'cx');
    await admin.alterPartitionReassignments({ topics: [{ topic: 'cx', partitionAssignment: [{ partition: 0, replicas: [2, 3] }] }] });
    const listed = await admin.listPartitionReassignments({ topics: [{ topic: 'cx', partitions: [0] }] });
    expect(listed.topics).to.deep.equal([{ name: 'cx', partitions: [{ partition: 0, replicas: [2, 3, 1], addingReplicas: [3], removingReplicas: [1] }] }]);
    // half way: broker 3 has part of the log but is not in sync yet
    await eventually(() => (c.broker(3).services.logs.get('cx', 0)?.logEndOffset ?? 0) > 100, 'broker 3 to copy part of the log');
    expect(state(c, 1, 'cx').isr).to.not.include(3);

    const res = await cancelRaw(c, 1, 'cx', 0);
    expect(res.responses[0]!.partitions[0]!.errorCode).to.equal(ErrorCode.NONE);
    await eventually(() => c.broker(3).services.logs.get('cx', 0) === undefined && !existsSync(partitionDir(c, 3, 'cx')), "broker 3's partial copy to be deleted");
    const atCancel = producer.acked.length;
    await eventually(() => producer.acked.length >= atCancel + 100, '100 more records acknowledged after the cancel');
    await producer.stop();

    const s = state(c, 3, 'cx');
    // as in Kafka, the original replicas come back in the order the reassignment held them (target first)
    expect(sorted(s.replicas)).to.deep.equal([1, 2]);
    expect(sorted(s.isr)).to.deep.equal([1, 2]);
    expect(s.addingReplicas).to.equal(undefined);
    expect((await admin.listPartitionReassignments({})).topics).to.deep.equal([]);
    const again = await cancelRaw(c, 2, 'cx', 0);
    expect(again.responses[0]!.partitions[0]!.errorCode).to.equal(ErrorCode.NO_REASSIGNMENT_IN_PROGRESS);
    const read = await readAll(c.bootstrap, 'cx', producer.acked);
    const ackedSet = new Set(producer.acked);
    expect(read.filter((v) => ackedSet.has(v))).to.deep.equal(producer.acked);
  });

  it("answers invalid assignments and unknown partitions with Kafka's error codes", async () => {
    await startCluster([1, 2, 3]);
    await admin.createTopics({ topics: [{ topic: 'bad', replicaAssignment: [{ partition: 0, replicas: [1, 2] }] }] });
    const errorsOf = async (topics: Parameters<Admin['alterPartitionReassignments']>[0]['topics']) => {
      try {
        await admin.alterPartitionReassignments({ topics });
        return [];
      } catch (err) {
        const errors: Array<{ type: string; topic?: string; partition?: number }> = (err as { errors?: Array<{ type: string; topic: string; partition: number }> }).errors ?? [{ type: (err as Error).message }];
        return errors.map((e) => `${e.topic}-${e.partition}:${e.type}`);
      }
    };
    expect(await errorsOf([{ topic: 'nope', partitionAssignment: [{ partition: 0, replicas: [1, 2] }] }])).to.deep.equal(['nope-0:UNKNOWN_TOPIC_OR_PARTITION']);
    expect(await errorsOf([{ topic: 'bad', partitionAssignment: [{ partition: 5, replicas: [1, 2] }] }])).to.deep.equal(['bad-5:UNKNOWN_TOPIC_OR_PARTITION']);
    expect(await errorsOf([{ topic: 'bad', partitionAssignment: [{ partition: 0, replicas: [1, 9] }] }])).to.deep.equal(['bad-0:INVALID_REPLICA_ASSIGNMENT']);
    expect(await errorsOf([{ topic: 'bad', partitionAssignment: [{ partition: 0, replicas: [2, 2] }] }])).to.deep.equal(['bad-0:INVALID_REPLICA_ASSIGNMENT']);
    expect(await errorsOf([{ topic: 'bad', partitionAssignment: [{ partition: 0, replicas: [] }] }])).to.deep.equal(['bad-0:INVALID_REPLICA_ASSIGNMENT']);
    const cancel = await cancelRaw(c, 1, 'bad', 0);
    expect(cancel.responses[0]!.partitions[0]!.errorCode).to.equal(ErrorCode.NO_REASSIGNMENT_IN_PROGRESS);
    // v1 (KIP-860): a request may forbid changing the replication factor
    const raw = await RawClient.connect(c.broker(2).port);
    try {
      const v1 = await raw.request<AlterPartitionReassignmentsResponse>(ApiKey.AlterPartitionReassignments, 1, {
        timeoutMs: 30_000,
        allowReplicationFactorChange: false,
        topics: [{ name: 'bad', partitions: [{ partitionIndex: 0, replicas: [1, 2, 3] }] }],
      });
      expect(v1.responses[0]!.partitions[0]!.errorCode).to.equal(ErrorCode.INVALID_REPLICATION_FACTOR);
      expect((v1 as unknown as { allowReplicationFactorChange: boolean }).allowReplicationFactorChange).to.equal(false);
    } finally {
      raw.close();
    }
    // nothing of it changed the partition
    expect(state(c, 1, 'bad').replicas).to.deep.equal([1, 2]);
    expect((await admin.listPartitionReassignments({})).topics).to.deep.equal([]);
  });
});

describe('cluster: partition reassignment (confluent-kafka clients)', function () {
  this.timeout(180_000);
  let c: EtcdTestCluster;

  afterEach(async () => {
    await c?.stop();
  });

  it('librdkafka produces acks=all through a move [1,2] -> [2,3]; its metadata shows [2,3] in sync; its consumer reads every acked record', async () => {
    c = await EtcdTestCluster.start([1, 2, 3], { config: FAST_REPLICATION });
    const admin = new Kafka({ clientId: 'reassign-admin', brokers: c.bootstrap, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'rdk', replicaAssignment: [{ partition: 0, replicas: [1, 2] }] }] });
    const isrs = recordIsrs(c, 3, 'rdk');
    const bootstrap = c.bootstrap.join(',');
    const driver = `${__dirname}/drivers/rdkafka_numbered.py`;
    const producing = runPython([driver, JSON.stringify({ op: 'produce', bootstrap, topic: 'rdk', partitions: 1, from: 0, count: 800, delayMs: 8 })]);
    await eventually(() => (c.broker(1).services.logs.get('rdk', 0)?.highWatermark ?? 0) >= 100, 'the producer under way');
    // the confluent admin client has no reassignment API (librdkafka lacks KIP-455): kafkajs starts the move
    await admin.alterPartitionReassignments({ topics: [{ topic: 'rdk', partitionAssignment: [{ partition: 0, replicas: [2, 3] }] }] });
    const produced = await producing;
    expect(produced.code, produced.err).to.equal(0);
    const out = JSON.parse(produced.out) as { acked: Record<string, number[]>; errors: string[] };
    expect(out.errors).to.deep.equal([]);
    expect(out.acked['0']).to.have.length(800);
    await eventually(() => state(c, 1, 'rdk').replicas.join() === '2,3' && !state(c, 1, 'rdk').addingReplicas, 'the move to complete');

    const md = await runPython([`${__dirname}/drivers/confluent_admin.py`, JSON.stringify({ op: 'metadata', bootstrap, topic: 'rdk' })]);
    expect(md.code, md.err).to.equal(0);
    expect(JSON.parse(md.out)['0']).to.deep.include({ replicas: [2, 3], isr: [2, 3] });
    expect(isrs.some((isr) => isr.join() === '1,2,3'), `ISRs seen: ${JSON.stringify(isrs)}`).to.equal(true);
    await eventually(() => !existsSync(partitionDir(c, 1, 'rdk')), "broker 1's copy to be deleted");

    const consumed = await runPython([driver, JSON.stringify({ op: 'consume', bootstrap, topic: 'rdk', expected: 800, group: 'rdk-readers' })]);
    expect(consumed.code, consumed.err).to.equal(0);
    expect((JSON.parse(consumed.out) as { read: Record<string, number[]> }).read['0']).to.deep.equal(out.acked['0']);
    await admin.disconnect();
  });
});
