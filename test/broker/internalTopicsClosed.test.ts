/**
 * The broker's own topics take records from its coordinators only. Found by trying: a client's produce to a
 * `__consumer_offsets` not made yet auto-created it as a plain topic and appended there, and a share group's
 * dead-letter topic or a retry topic could name it too; the group coordinator then met a record it could not
 * decode at the next start and the broker did not come up. A client's produce to `__brook_scheduled` (which
 * brokers use to forward schedules) dropped the connection.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/generated/apis';
import type { IncrementalAlterConfigsResponse } from '../../protocol/generated/messages/IncrementalAlterConfigsResponse';
import type { OffsetCommitResponse } from '../../protocol/generated/messages/OffsetCommitResponse';
import type { ProduceResponse } from '../../protocol/generated/messages/ProduceResponse';
import { buildRecordBatch } from '../../protocol/records/batch';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { RawClient } from '../helpers/rawClient';

/** kcat in a child process (the in-process broker answers on this event loop); resolves with its exit code and stderr. */
function kcat(args: string[], input: string): Promise<{ code: number | null; stderr: string }> {
  const child = execFile('kcat', args, { timeout: 30_000 });
  child.stdin!.end(input);
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
}

describe('internal topics are closed to clients', function () {
  this.timeout(60_000);
  let broker: TestBroker;
  let admin: Admin;
  let raw: RawClient;

  before(async () => {
    broker = await startTestBroker();
    admin = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
    await admin.connect();
    raw = await RawClient.connect(broker.port);
  });
  after(async () => {
    raw?.close();
    await admin?.disconnect();
    await broker?.destroy();
  });

  it('a produce (kcat) to a __consumer_offsets not made yet neither creates it nor appends', async () => {
    expect(broker.services.metadata.topic('__consumer_offsets')).to.equal(undefined);
    const out = await kcat(['-b', broker.bootstrap, '-P', '-t', '__consumer_offsets', '-p', '0', '-K:', '-X', 'message.timeout.ms=3000'], 'k:hello\n');
    expect(out.code).to.not.equal(0);
    expect(broker.services.metadata.topic('__consumer_offsets')).to.equal(undefined);
  });

  it('CreateTopics of an internal name is INVALID_REQUEST; the coordinators still create theirs', async () => {
    for (const topic of ['__consumer_offsets', '__transaction_state', '__brook_scheduled', '__brook_share_state']) {
      const err = await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] }).then(
        () => null,
        (e: { errors?: Array<{ type: string }> }) => e,
      );
      expect(err?.errors?.[0]?.type, topic).to.equal('INVALID_REQUEST');
    }
    // a group commit makes __consumer_offsets the coordinator's way (internal, 50 partitions)
    await admin.createTopics({ topics: [{ topic: 'plain', numPartitions: 1 }] });
    // a simple commit (no member), as admin tools send it
    const commit = await raw.request<OffsetCommitResponse>(ApiKey.OffsetCommit, 5, {
      groupId: 'g-internal', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1n,
      topics: [{ name: 'plain', partitions: [{ partitionIndex: 0, committedOffset: 4n, committedLeaderEpoch: -1, committedMetadata: null }] }],
    });
    expect(commit.topics[0]!.partitions[0]!.errorCode).to.equal(0);
    const offsets = broker.services.metadata.topic('__consumer_offsets');
    expect(offsets?.internal).to.equal(true);
  });

  it('a share group dead-letter topic or a retry topic naming an internal topic is INVALID_CONFIG', async () => {
    const set = await raw.request<IncrementalAlterConfigsResponse>(ApiKey.IncrementalAlterConfigs, 1, {
      resources: [{ resourceType: 32, resourceName: 'g-dlq', configs: [{ name: 'errors.deadletterqueue.topic.name', configOperation: 0, value: '__consumer_offsets' }] }],
      validateOnly: false,
    });
    expect(set.responses[0]!.errorCode).to.equal(ErrorCode.INVALID_CONFIG);
    for (const configEntries of [[{ name: 'brook.retry.for', value: '__consumer_offsets' }], [{ name: 'brook.retry.dead.letter.topic', value: '__brook_scheduled' }]]) {
      const err = await admin.createTopics({ topics: [{ topic: 'retries', numPartitions: 1, configEntries }] }).then(
        () => null,
        (e: { errors?: Array<{ type: string }> }) => e,
      );
      expect(err?.errors?.[0]?.type, JSON.stringify(configEntries)).to.equal('INVALID_CONFIG');
    }
  });

  it('a client produce to __brook_scheduled is INVALID_RECORD and the connection keeps serving', async () => {
    // make __brook_scheduled exist the scheduler's way: a scheduled record
    await admin.createTopics({ topics: [{ topic: 'later', numPartitions: 1 }] });
    const producer = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    await producer.send({ topic: 'later', messages: [{ key: 'k', value: 'v', headers: { 'brook-delay-ms': '600000' } }] });
    await producer.disconnect();
    const produce = () =>
      raw.request<ProduceResponse>(ApiKey.Produce, 9, {
        transactionalId: null, acks: 1, timeoutMs: 5000,
        topicData: [{ name: '__brook_scheduled', partitionData: [{ index: 0, records: buildRecordBatch({ records: [{ key: Buffer.from('k'), value: Buffer.from('hello') }] }) }] }],
      });
    const res = await produce();
    expect(res.responses[0]!.partitionResponses[0]!.errorCode).to.equal(ErrorCode.INVALID_RECORD);
    expect((await produce()).responses[0]!.partitionResponses[0]!.errorCode).to.equal(ErrorCode.INVALID_RECORD);
    // a key that starts like a schedule's but is cut short
    const short = await raw.request<ProduceResponse>(ApiKey.Produce, 9, {
      transactionalId: null, acks: 1, timeoutMs: 5000,
      topicData: [{ name: '__brook_scheduled', partitionData: [{ index: 0, records: buildRecordBatch({ records: [{ key: Buffer.from([1]), value: Buffer.from('x') }] }) }] }],
    });
    expect(short.responses[0]!.partitionResponses[0]!.errorCode).to.equal(ErrorCode.INVALID_RECORD);
  });

  it('the broker starts again on the same data (the group coordinator loads)', async () => {
    const dataDir = broker.dataDir;
    raw.close();
    await admin.disconnect();
    await broker.close();
    broker = await startTestBroker({ dataDir });
    admin = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    raw = await RawClient.connect(broker.port);
    const fetched = await admin.fetchOffsets({ groupId: 'g-internal', topics: ['plain'] });
    expect(fetched[0]!.partitions[0]!.offset).to.equal('4');
  });
});
