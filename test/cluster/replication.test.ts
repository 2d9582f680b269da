import { expect } from 'chai';
import { ApiKey } from '../../protocol/generated/apis';
import type { ProduceResponse } from '../../protocol/generated/messages/ProduceResponse';
import type { FetchResponse } from '../../protocol/generated/messages/FetchResponse';
import type { OffsetForLeaderEpochResponse } from '../../protocol/generated/messages/OffsetForLeaderEpochResponse';
import type { ListOffsetsResponse } from '../../protocol/generated/messages/ListOffsetsResponse';
import type { DeleteRecordsResponse } from '../../protocol/generated/messages/DeleteRecordsResponse';
import { ErrorCode } from '../../protocol/errors';
import { MemoryCluster } from '../helpers/memoryCluster';
import { RawClient } from '../helpers/rawClient';
import { buildBatch } from '../storage/helpers';
import { partitionWriter } from '../../src/replication/partitionWriter';
import { BrokerMetrics } from '../../src/metrics/brokerMetrics';
import { eventually } from '../helpers/eventually';
import { recordsOf } from '../helpers/dataPath';

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

async function fetchFrom(c: MemoryCluster, brokerId: number, topic: string, partition: number, offset: number): Promise<{ errorCode: number; highWatermark: number; bytes: number; records: Array<{ offset: number; value: string | null }> }> {
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
    const records = recordsOf((p.records as Buffer | null) ?? null).map((r) => ({ offset: r.offset, value: r.value }));
    return { errorCode: p.errorCode, highWatermark: Number(p.highWatermark), bytes: p.records?.length ?? 0, records };
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
    await eventually(() => s.replicas.every((id) => c.broker(id).services.logs.get('orders', 0)?.logEndOffset === 10), 'followers at the leader end');
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

  it('consumers never see past the high watermark: acks=1 data waits for the ISR before it is served', async () => {
    c = await MemoryCluster.start({ brokers: 2 });
    await c.createTopic('hw', 1, 2);
    const s = c.state('hw', 0);
    const follower = s.replicas.find((r) => r !== s.leader)!;
    expect((await produce(c, s.leader, 'hw', 0, ['a', 'b'])).errorCode).to.equal(0);
    // the follower stops fetching but stays registered: with the default 30 s lag time it stays in the ISR
    await c.replication(follower).stop();
    expect((await produce(c, s.leader, 'hw', 0, ['c'], 1)).errorCode).to.equal(0);
    const leaderLog = c.broker(s.leader).services.logs.get('hw', 0)!;
    expect(leaderLog.logEndOffset).to.equal(3);
    expect(leaderLog.highWatermark).to.equal(2);
    expect(await fetchFrom(c, s.leader, 'hw', 0, 2)).to.include({ errorCode: 0, highWatermark: 2, bytes: 0 });
    // once it is gone from the ISR the leader alone commits
    await c.killBroker(follower);
    expect(c.state('hw', 0).isr).to.deep.equal([s.leader]);
    await eventually(() => leaderLog.highWatermark === 3, 'high watermark at the leader end');
    const f = await fetchFrom(c, s.leader, 'hw', 0, 2);
    expect(f.errorCode).to.equal(0);
    expect(f.records).to.deep.equal([{ offset: 2, value: 'c' }]);
  });

  it('a follower that stops fetching leaves the ISR after replica.lag.time.max.ms; min.insync.replicas then refuses acks=all', async () => {
    c = await MemoryCluster.start({ brokers: 3, config: { 'replica.lag.time.max.ms': '600' } });
    await c.createTopic('isr', 1, 3, { 'min.insync.replicas': '3' });
    const s = c.state('isr', 0);
    expect((await produce(c, s.leader, 'isr', 0, ['a'])).errorCode).to.equal(0);
    const victim = s.replicas.find((r) => r !== s.leader)!;
    // live and registered, but no longer fetching: only the leader's lag check can drop it
    await c.replication(victim).stop();
    const stoppedAt = Date.now();
    await eventually(() => !c.state('isr', 0).isr.includes(victim), 'ISR without the stalled follower');
    expect(Date.now() - stoppedAt).to.be.at.least(500);
    expect(c.state('isr', 0).isr).to.have.length(2);
    expect((await produce(c, s.leader, 'isr', 0, ['b'])).errorCode).to.equal(ErrorCode.NOT_ENOUGH_REPLICAS);
    // acks=1 does not care about min.insync.replicas
    expect((await produce(c, s.leader, 'isr', 0, ['c'], 1)).errorCode).to.equal(0);
    await c.metadata.alterTopicConfigs('isr', { 'min.insync.replicas': '2' });
    expect((await produce(c, s.leader, 'isr', 0, ['d'])).errorCode).to.equal(0);
    // back: it catches up and rejoins the ISR, after which min.insync.replicas=3 is met again
    await c.killBroker(victim);
    await c.restartBroker(victim);
    await eventually(() => c.state('isr', 0).isr.includes(victim), 'follower back in the ISR');
    const leaderEnd = c.broker(s.leader).services.logs.get('isr', 0)!.logEndOffset;
    await eventually(() => c.broker(victim).services.logs.get('isr', 0)!.logEndOffset === leaderEnd, 'rejoined follower caught up');
    await c.metadata.alterTopicConfigs('isr', { 'min.insync.replicas': '3' });
    expect((await produce(c, s.leader, 'isr', 0, ['e'])).errorCode).to.equal(0);
  });

  it('acks=all times out with REQUEST_TIMED_OUT when an ISR member does not fetch in time', async () => {
    c = await MemoryCluster.start({ brokers: 2 });
    await c.createTopic('slow', 1, 2);
    const s = c.state('slow', 0);
    const follower = s.replicas.find((r) => r !== s.leader)!;
    // pause the follower's fetching without telling the controller: it stays live and in the ISR
    await c.replication(follower).stop();
    const started = Date.now();
    expect((await produce(c, s.leader, 'slow', 0, ['x'], -1, 300)).errorCode).to.equal(ErrorCode.REQUEST_TIMED_OUT);
    expect(Date.now() - started).to.be.at.least(290);
  });

  it('acks=all answers NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR shrinks below min.insync.replicas while the produce waits', async () => {
    c = await MemoryCluster.start({ brokers: 3, config: { 'replica.lag.time.max.ms': '400' } });
    await c.createTopic('after', 1, 3, { 'min.insync.replicas': '2' });
    const s = c.state('after', 0);
    for (const f of s.replicas.filter((r) => r !== s.leader)) await c.replication(f).stop();
    const r = await produce(c, s.leader, 'after', 0, ['x'], -1, 10_000);
    expect(r.errorCode).to.equal(ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND);
    expect(c.state('after', 0).isr).to.deep.equal([s.leader]);
    // the record was written and is committed by the leader alone
    expect(c.broker(s.leader).services.logs.get('after', 0)!.highWatermark).to.equal(1);
  });

  it('leader death: a follower from the ISR takes over at the next epoch with every acknowledged message, and the old leader rejoins as follower', async () => {
    c = await MemoryCluster.start({ brokers: 3 });
    await c.createTopic('fo', 1, 3);
    const s = c.state('fo', 0);
    for (let i = 0; i < 20; i++) expect((await produce(c, s.leader, 'fo', 0, [`m${i}`])).errorCode).to.equal(0);
    const acked = await logBytes(c, s.leader, 'fo', 0);
    await c.killBroker(s.leader);
    const next = c.state('fo', 0);
    expect(next.leader).to.not.equal(s.leader);
    expect(next.leader).to.not.equal(-1);
    expect(next.leaderEpoch).to.equal(s.leaderEpoch + 1);
    await eventually(async () => (await fetchFrom(c, next.leader, 'fo', 0, 0)).errorCode === 0, 'new leader serving');
    const newLeaderBytes = await logBytes(c, next.leader, 'fo', 0);
    expect(newLeaderBytes.subarray(0, acked.length).equals(acked)).to.equal(true);
    const f = await fetchFrom(c, next.leader, 'fo', 0, 0);
    expect(f.highWatermark).to.equal(20);
    const r = await produce(c, next.leader, 'fo', 0, ['after']);
    expect(r).to.deep.equal({ errorCode: 0, baseOffset: 20 });
    // batches written in the new epoch carry it
    const newLog = c.broker(next.leader).services.logs.get('fo', 0)!;
    const last = (await newLog.read(20, 1 << 20)).chunks[0]!;
    expect(last.readInt32BE(12)).to.equal(next.leaderEpoch);
    await c.restartBroker(s.leader);
    await eventually(() => c.state('fo', 0).isr.includes(s.leader), 'old leader back in the ISR');
    await eventually(() => c.broker(s.leader).services.logs.get('fo', 0)!.logEndOffset === 21, 'old leader caught up');
    expect((await logBytes(c, s.leader, 'fo', 0)).equals(await logBytes(c, next.leader, 'fo', 0))).to.equal(true);
    expect(c.state('fo', 0).leader).to.equal(next.leader);
  });

  it('a diverged follower truncates its unreplicated tail (OffsetForLeaderEpoch) and takes the new leader\'s records', async () => {
    c = await MemoryCluster.start({ brokers: 2, policy: { uncleanLeaderElection: true, preferredLeaderElection: false } });
    await c.createTopic('div', 1, 2);
    const s = c.state('div', 0);
    const a = s.leader;
    const b = s.replicas.find((r) => r !== a)!;
    expect((await produce(c, a, 'div', 0, ['x0', 'x1'])).errorCode).to.equal(0);
    await eventually(() => c.broker(b).services.logs.get('div', 0)!.logEndOffset === 2, 'b caught up');
    await c.killBroker(b);
    // a alone in the ISR: these records exist only on a
    expect((await produce(c, a, 'div', 0, ['lost2', 'lost3', 'lost4'])).errorCode).to.equal(0);
    await c.killBroker(a);
    expect(c.state('div', 0).leader).to.equal(-1);
    // b comes back first; unclean election lets it lead at a new epoch, without a's tail
    await c.restartBroker(b);
    const sb = c.state('div', 0);
    expect(sb.leader).to.equal(b);
    await eventually(async () => (await fetchFrom(c, b, 'div', 0, 0)).errorCode === 0, 'b leading');
    expect((await produce(c, b, 'div', 0, ['y2'], 1)).baseOffset).to.equal(2);
    await c.restartBroker(a);
    await eventually(() => {
      const log = c.broker(a).services.logs.get('div', 0)!;
      return log.logEndOffset === 3;
    }, 'a follows b');
    expect((await logBytes(c, a, 'div', 0)).equals(await logBytes(c, b, 'div', 0))).to.equal(true);
    const epochs = c.broker(a).services.logs.get('div', 0)!.epochs.all();
    expect(epochs[epochs.length - 1]).to.deep.equal({ epoch: sb.leaderEpoch, startOffset: 2 });
  });

  it('OffsetForLeaderEpoch and ListOffsets answer with leader epochs, fence stale and future epochs, and only on the leader', async () => {
    c = await MemoryCluster.start({ brokers: 3 });
    await c.createTopic('ep', 1, 3);
    const s0 = c.state('ep', 0);
    expect((await produce(c, s0.leader, 'ep', 0, ['a', 'b', 'c'])).errorCode).to.equal(0);
    await c.killBroker(s0.leader);
    const s1 = c.state('ep', 0);
    await eventually(async () => (await fetchFrom(c, s1.leader, 'ep', 0, 0)).errorCode === 0, 'new leader serving');
    expect((await produce(c, s1.leader, 'ep', 0, ['d'])).errorCode).to.equal(0);
    const ask = async (broker: number, currentLeaderEpoch: number, leaderEpoch: number) => {
      const client = await RawClient.connect(c.broker(broker).port);
      try {
        const res = await client.request<OffsetForLeaderEpochResponse>(ApiKey.OffsetForLeaderEpoch, 4, {
          replicaId: -1,
          topics: [{ topic: 'ep', partitions: [{ partition: 0, currentLeaderEpoch, leaderEpoch }] }],
        });
        const p = res.topics[0]!.partitions[0]!;
        return { errorCode: p.errorCode, leaderEpoch: p.leaderEpoch, endOffset: Number(p.endOffset) };
      } finally {
        client.close();
      }
    };
    // epoch 0 wrote offsets 0-2, the new epoch starts at 3 and is open up to the log end
    expect(await ask(s1.leader, s1.leaderEpoch, s0.leaderEpoch)).to.deep.equal({ errorCode: 0, leaderEpoch: s0.leaderEpoch, endOffset: 3 });
    expect(await ask(s1.leader, -1, s1.leaderEpoch)).to.deep.equal({ errorCode: 0, leaderEpoch: s1.leaderEpoch, endOffset: 4 });
    expect((await ask(s1.leader, s0.leaderEpoch, 0)).errorCode).to.equal(ErrorCode.FENCED_LEADER_EPOCH);
    expect((await ask(s1.leader, s1.leaderEpoch + 1, 0)).errorCode).to.equal(ErrorCode.UNKNOWN_LEADER_EPOCH);
    const follower = s1.replicas.find((r) => r !== s1.leader && c.brokers.has(r))!;
    expect((await ask(follower, -1, 0)).errorCode).to.equal(ErrorCode.NOT_LEADER_OR_FOLLOWER);

    const client = await RawClient.connect(c.broker(s1.leader).port);
    try {
      const res = await client.request<ListOffsetsResponse>(ApiKey.ListOffsets, 4, {
        replicaId: -1,
        isolationLevel: 0,
        topics: [{ name: 'ep', partitions: [{ partitionIndex: 0, currentLeaderEpoch: s1.leaderEpoch, timestamp: -1n }] }],
      });
      expect(res.topics[0]!.partitions[0]).to.include({ errorCode: 0, offset: 4n, leaderEpoch: s1.leaderEpoch });
      const stale = await client.request<ListOffsetsResponse>(ApiKey.ListOffsets, 4, {
        replicaId: -1,
        isolationLevel: 0,
        topics: [{ name: 'ep', partitions: [{ partitionIndex: 0, currentLeaderEpoch: s0.leaderEpoch, timestamp: -1n }] }],
      });
      expect(stale.topics[0]!.partitions[0]!.errorCode).to.equal(ErrorCode.FENCED_LEADER_EPOCH);
    } finally {
      client.close();
    }
  });

  it('writes that name no epoch (the coordinators\' own appends) carry the leader epoch, so followers learn it from the batches', async () => {
    c = await MemoryCluster.start({ brokers: 2 });
    await c.createTopic('internalish', 1, 2);
    const s = c.state('internalish', 0);
    const follower = s.replicas.find((r) => r !== s.leader)!;
    await c.killBroker(s.leader);
    const s1 = c.state('internalish', 0);
    expect(s1.leader).to.equal(follower);
    await c.restartBroker(s.leader);
    const leaderLog = c.broker(follower).services.logs.get('internalish', 0)!;
    await eventually(() => c.replication(follower).replica('internalish', 0)?.role === 'leader', 'leading');
    await leaderLog.append(buildBatch([{ value: 'coordinator write' }]));
    const stored = (await leaderLog.read(0, 1 << 20)).chunks[0]!;
    expect(stored.readInt32BE(12)).to.equal(s1.leaderEpoch);
    await eventually(() => {
      const l = c.broker(s.leader).services.logs.get('internalish', 0)!;
      return l.logEndOffset === 1 && l.epochs.latestEpoch() === s1.leaderEpoch;
    }, 'old leader follows with the epoch');
  });

  it('DeleteRecords on the leader moves the followers\' log start too', async () => {
    c = await MemoryCluster.start({ brokers: 2 });
    await c.createTopic('dr', 1, 2);
    const s = c.state('dr', 0);
    const follower = s.replicas.find((r) => r !== s.leader)!;
    for (let i = 0; i < 5; i++) expect((await produce(c, s.leader, 'dr', 0, [`v${i}`])).errorCode).to.equal(0);
    const client = await RawClient.connect(c.broker(s.leader).port);
    try {
      const res = await client.request<DeleteRecordsResponse>(ApiKey.DeleteRecords, 2, { topics: [{ name: 'dr', partitions: [{ partitionIndex: 0, offset: 3n }] }], timeoutMs: 5000 });
      expect(res.topics[0]!.partitions[0]).to.include({ errorCode: 0, lowWatermark: 3n });
    } finally {
      client.close();
    }
    // the follower hears of it with its next fetch answer
    expect((await produce(c, s.leader, 'dr', 0, ['after'])).errorCode).to.equal(0);
    await eventually(() => c.broker(follower).services.logs.get('dr', 0)!.logStartOffset === 3, 'follower log start at 3');
  });

  it('the partition writer lets the broker\'s own writes (offset commits) wait for the ISR like acks=all, and refuses them off the leader', async () => {
    c = await MemoryCluster.start({ brokers: 2 });
    await c.createTopic('own', 1, 2);
    const s = c.state('own', 0);
    const follower = s.replicas.find((r) => r !== s.leader)!;
    const leader = c.broker(s.leader).services;
    const log = leader.logs.get('own', 0)!;
    const first = await partitionWriter(leader).write('own', 0, 5000, () => log.append(buildBatch([{ value: 'commit' }])));
    expect(first).to.deep.include({ errorCode: 0, baseOffset: 0 });
    expect(c.broker(follower).services.logs.get('own', 0)!.logEndOffset).to.equal(1);
    let appended = false;
    const offLeader = await partitionWriter(c.broker(follower).services).write('own', 0, 5000, async () => {
      appended = true;
      return null;
    });
    expect(offLeader.errorCode).to.equal(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect(appended).to.equal(false);
    await c.replication(follower).stop();
    const second = await partitionWriter(leader).write('own', 0, 200, () => log.append(buildBatch([{ value: 'commit 2' }])));
    expect(second.errorCode).to.equal(ErrorCode.REQUEST_TIMED_OUT);
    expect(log.logEndOffset).to.equal(2);
  });

  it('a follower whose whole log is below the leader\'s log start starts over at the leader\'s log start', async () => {
    c = await MemoryCluster.start({ brokers: 2 });
    await c.createTopic('gone', 1, 2);
    const s = c.state('gone', 0);
    const follower = s.replicas.find((r) => r !== s.leader)!;
    await c.killBroker(follower);
    for (let i = 0; i < 5; i++) expect((await produce(c, s.leader, 'gone', 0, [`v${i}`])).errorCode).to.equal(0);
    const client = await RawClient.connect(c.broker(s.leader).port);
    try {
      const res = await client.request<DeleteRecordsResponse>(ApiKey.DeleteRecords, 2, { topics: [{ name: 'gone', partitions: [{ partitionIndex: 0, offset: 4n }] }], timeoutMs: 5000 });
      expect(res.topics[0]!.partitions[0]).to.include({ errorCode: 0, lowWatermark: 4n });
    } finally {
      client.close();
    }
    await c.restartBroker(follower);
    await eventually(() => c.state('gone', 0).isr.includes(follower), 'follower back in the ISR');
    const log = c.broker(follower).services.logs.get('gone', 0)!;
    expect(log.logStartOffset).to.equal(4);
    expect(log.logEndOffset).to.equal(5);
    const r = await log.read(4, 1 << 20);
    expect(Number(r.chunks[0]!.readBigInt64BE(0))).to.equal(4);
  });

  it('a follower restarted at a leader log start inside a batch takes that batch and rejoins the ISR', async () => {
    c = await MemoryCluster.start({ brokers: 2 });
    await c.createTopic('midbatch', 1, 2);
    const s = c.state('midbatch', 0);
    const follower = s.replicas.find((r) => r !== s.leader)!;
    await c.killBroker(follower);
    // two batches of 5: DeleteRecords before 7 puts the leader's log start inside the second one
    expect((await produce(c, s.leader, 'midbatch', 0, ['a0', 'a1', 'a2', 'a3', 'a4'])).errorCode).to.equal(0);
    expect((await produce(c, s.leader, 'midbatch', 0, ['b5', 'b6', 'b7', 'b8', 'b9'])).errorCode).to.equal(0);
    const client = await RawClient.connect(c.broker(s.leader).port);
    try {
      const res = await client.request<DeleteRecordsResponse>(ApiKey.DeleteRecords, 2, { topics: [{ name: 'midbatch', partitions: [{ partitionIndex: 0, offset: 7n }] }], timeoutMs: 5000 });
      expect(res.topics[0]!.partitions[0]).to.include({ errorCode: 0, lowWatermark: 7n });
    } finally {
      client.close();
    }
    await c.restartBroker(follower);
    await eventually(() => c.state('midbatch', 0).isr.includes(follower), 'follower back in the ISR');
    const log = c.broker(follower).services.logs.get('midbatch', 0)!;
    await eventually(() => log.logStartOffset === 7, 'the follower following the leader log start');
    expect(log.logEndOffset).to.equal(10);
    expect((await produce(c, s.leader, 'midbatch', 0, ['c10'])).errorCode).to.equal(0);
    // acks=all: the follower took c10 too; a fetch from 7 returns the whole batch holding it, as Kafka's does
    expect((await fetchFrom(c, s.leader, 'midbatch', 0, 7)).records.filter((r) => r.offset >= 7).map((r) => r.value)).to.deep.equal(['b7', 'b8', 'b9', 'c10']);
    expect(log.logEndOffset).to.equal(11);
  });

  it('divergence over several epochs: the follower keeps asking with its latest remaining epoch until both logs agree (KIP-279)', async () => {
    c = await MemoryCluster.start({ brokers: 2, policy: { uncleanLeaderElection: true, preferredLeaderElection: false } });
    await c.createTopic('multi', 1, 2);
    const a = c.state('multi', 0).leader;
    const b = c.state('multi', 0).replicas.find((r) => r !== a)!;
    const leads = (id: number) => eventually(async () => c.leaderOf('multi', 0) === id && (await fetchFrom(c, id, 'multi', 0, 0)).errorCode === 0, `${id} leading`);
    expect((await produce(c, a, 'multi', 0, ['x0', 'x1'])).errorCode).to.equal(0);
    await eventually(() => c.broker(b).services.logs.get('multi', 0)!.logEndOffset === 2, 'b has x0 x1');
    await c.killBroker(b);
    expect((await produce(c, a, 'multi', 0, ['a2'], 1)).baseOffset).to.equal(2); // epoch 0, only on a
    await c.killBroker(a);
    await c.restartBroker(a); // clean election: a is the ISR; epoch 1 starts at 3
    await leads(a);
    expect((await produce(c, a, 'multi', 0, ['a3'], 1)).baseOffset).to.equal(3);
    await c.killBroker(a);
    await c.restartBroker(b); // unclean: b leads epoch 2 from its end, 2
    await leads(b);
    expect((await produce(c, b, 'multi', 0, ['b2', 'b3'], 1)).baseOffset).to.equal(2);
    await c.killBroker(b);
    await c.restartBroker(a); // unclean again: a leads epoch 3 from 4
    await leads(a);
    expect((await produce(c, a, 'multi', 0, ['a4'], 1)).baseOffset).to.equal(4);
    // b asks for epoch 2; a never had it and answers epoch 1, ending at 4; b's own epochs up to 1 end at 2
    await c.restartBroker(b);
    await eventually(() => c.broker(b).services.logs.get('multi', 0)!.logEndOffset === 5, 'b follows a to its end');
    expect((await logBytes(c, b, 'multi', 0)).equals(await logBytes(c, a, 'multi', 0))).to.equal(true);
  });

  it('exports replication health to Prometheus: led, under-replicated and under-min-ISR partitions, ISR size and changes', async () => {
    c = await MemoryCluster.start({ brokers: 2, config: { 'replica.lag.time.max.ms': '400' } });
    await c.createTopic('mx', 1, 2, { 'min.insync.replicas': '2' });
    const s = c.state('mx', 0);
    const follower = s.replicas.find((r) => r !== s.leader)!;
    const metrics = new BrokerMetrics();
    const detach = metrics.attach(c.broker(s.leader).services);
    try {
      const scrape = () => metrics.metrics.registry.metrics();
      let text = await scrape();
      expect(text).to.include('brook_replication_leader_partitions 1');
      expect(text, text.split('\n').filter((l) => l.startsWith('brook_replication')).join('\n')).to.include('brook_replication_under_replicated_partitions 0');
      expect(text).to.include('brook_replication_isr_size{topic="mx",partition="0"} 2');
      await c.replication(follower).stop();
      // the leader counts the change when its ISR proposal is answered, a moment after the store changed
      await eventually(() => c.replication(s.leader).isrShrinks === 1, 'ISR shrink accepted by the leader');
      await c.settled();
      text = await scrape();
      expect(text, text.split('\n').filter((l) => l.startsWith('brook_replication')).join('\n')).to.include('brook_replication_under_replicated_partitions 1');
      expect(text).to.include('brook_replication_under_min_isr_partitions 1');
      expect(text).to.include('brook_replication_isr_changes_total{change="shrink"} 1');
    } finally {
      detach();
    }
  });

  it('a deposed leader that missed the election learns it from its refused ISR change and fails waiting acks=all produces with NOT_LEADER_OR_FOLLOWER', async () => {
    c = await MemoryCluster.start({ brokers: 3, config: { 'replica.lag.time.max.ms': '300' } });
    await c.createTopic('zombie', 1, 3);
    const s = c.state('zombie', 0);
    // the old leader stops hearing metadata, and the controller moves leadership away from it
    c.view(s.leader).holdEvents();
    await c.metadata.unregister(s.leader);
    const s1 = c.state('zombie', 0);
    expect(s1.leader).to.not.equal(s.leader);
    expect(c.replication(s.leader).replica('zombie', 0)!.role).to.equal('leader');
    const started = Date.now();
    const r = await produce(c, s.leader, 'zombie', 0, ['stray'], -1, 20_000);
    expect(r.errorCode).to.equal(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect(Date.now() - started).to.be.below(10_000);
    expect((await produce(c, s.leader, 'zombie', 0, ['again'])).errorCode).to.equal(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    // once it hears the metadata again it follows the new leader and drops its unacknowledged record
    await c.view(s.leader).resumeEvents();
    await c.metadata.register(c.broker(s.leader).services.metadata.self());
    expect((await produce(c, s1.leader, 'zombie', 0, ['real'])).errorCode).to.equal(0);
    await eventually(() => {
      const log = c.broker(s.leader).services.logs.get('zombie', 0)!;
      return log.logEndOffset === 1 && c.replication(s.leader).replica('zombie', 0)!.role === 'follower';
    }, 'old leader follows');
    expect((await logBytes(c, s.leader, 'zombie', 0)).equals(await logBytes(c, s1.leader, 'zombie', 0))).to.equal(true);
  });
});
