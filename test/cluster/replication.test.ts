import { expect } from 'chai';
import { ApiKey } from '../../protocol/generated/apis';
import type { ProduceResponse } from '../../protocol/generated/messages/ProduceResponse';
import type { FetchResponse } from '../../protocol/generated/messages/FetchResponse';
import { ErrorCode } from '../../protocol/errors';
import { MemoryCluster } from '../helpers/memoryCluster';
import { RawClient } from '../helpers/rawClient';
import { buildBatch } from '../storage/helpers';

async function produce(c: MemoryCluster, brokerId: number, topic: string, partition: number, values: string[], acks = -1, timeoutMs = 10_000): Promise<{ errorCode: number; baseOffset: number }> {
  const client = await RawClient.connect(c.broker(brokerId).port);
  try {
    const res = await client.request<ProduceResponse>(ApiKey.Produce, 9, {
      transactionalId: null,
      acks,
      timeoutMs,
      topicData: [{ name: topic, partitionData: [{ index: partition, records: buildBatch(values.map((v) => ({ value: v }))) }] }],
    });
    const p = res.responses[0]!.partitionResponses[0]!;
    return { errorCode: p.errorCode, baseOffset: Number(p.baseOffset) };
  } finally {
    client.close();
  }
}

async function fetchFrom(c: MemoryCluster, brokerId: number, topic: string, partition: number, offset: number): Promise<{ errorCode: number; highWatermark: number; bytes: number }> {
  const client = await RawClient.connect(c.broker(brokerId).port);
  try {
    const res = await client.request<FetchResponse>(ApiKey.Fetch, 12, {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1 << 20,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [{ topic, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: BigInt(offset), lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
      forgottenTopicsData: [],
      rackId: '',
    });
    const p = res.responses[0]!.partitions[0]!;
    return { errorCode: p.errorCode, highWatermark: Number(p.highWatermark), bytes: p.records?.length ?? 0 };
  } finally {
    client.close();
  }
}

/** Every replica's log, as raw bytes from offset 0 to its end. */
async function logBytes(c: MemoryCluster, brokerId: number, topic: string, partition: number): Promise<Buffer> {
  const log = c.broker(brokerId).services.logs.get(topic, partition)!;
  const parts: Buffer[] = [];
  let o = log.logStartOffset;
  while (o < log.logEndOffset) {
    const r = await log.read(o, 1 << 20, { minOneBatch: true });
    if (r.bytes === 0) break;
    const buf = Buffer.concat(r.chunks);
    parts.push(buf);
    let p = 0;
    while (p < buf.length) {
      o = Number(buf.readBigInt64BE(p)) + buf.readInt32BE(p + 23) + 1;
      p += 12 + buf.readInt32BE(p + 8);
    }
  }
  return Buffer.concat(parts);
}

describe('cluster: replication on in-process brokers', function () {
  this.timeout(60_000);
  let c: MemoryCluster;

  afterEach(async () => {
    await c?.stop();
  });

  it('acks=all with RF=3: the produce returns once every ISR member has it, and all replicas hold identical logs', async () => {
    c = await MemoryCluster.start({ brokers: 3 });
    await c.createTopic('orders', 1, 3);
    const s = c.state('orders', 0);
    expect(s.replicas).to.have.length(3);
    expect(s.isr).to.have.length(3);
    for (let i = 0; i < 5; i++) {
      const r = await produce(c, s.leader, 'orders', 0, [`a${i}`, `b${i}`]);
      expect(r).to.deep.equal({ errorCode: 0, baseOffset: i * 2 });
    }
    const leaderLog = c.broker(s.leader).services.logs.get('orders', 0)!;
    expect(leaderLog.highWatermark).to.equal(10);
    await c.waitFor('followers at the leader end', () => s.replicas.every((id) => c.broker(id).services.logs.get('orders', 0)?.logEndOffset === 10));
    const expected = await logBytes(c, s.leader, 'orders', 0);
    for (const id of s.replicas) expect((await logBytes(c, id, 'orders', 0)).equals(expected)).to.equal(true, `replica ${id}`);
  });

  it('non-leaders refuse produce and consumer fetch with NOT_LEADER_OR_FOLLOWER', async () => {
    c = await MemoryCluster.start({ brokers: 3 });
    await c.createTopic('t', 1, 2);
    const s = c.state('t', 0);
    const follower = s.replicas.find((r) => r !== s.leader)!;
    const outsider = [1, 2, 3].find((r) => !s.replicas.includes(r))!;
    for (const id of [follower, outsider]) {
      expect((await produce(c, id, 't', 0, ['x'])).errorCode).to.equal(ErrorCode.NOT_LEADER_OR_FOLLOWER);
      expect((await fetchFrom(c, id, 't', 0, 0)).errorCode).to.equal(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    }
    // the outsider never created a log for a partition it does not host
    expect(c.broker(outsider).services.logs.get('t', 0)).to.equal(undefined);
  });
});
