import { expect } from 'chai';
import { CLUSTER_POLL, ProcessCluster } from './helpers/processCluster';
import { eventually } from '../helpers/eventually';
import { TcpProxy } from '../helpers/tcpProxy';
import { RawClient } from '../helpers/rawClient';
import { batchOf, fetchRaw, fetchRequest, produceRaw, recordsOf } from '../helpers/dataPath';
import { ErrorCode, errorName } from '../../protocol/errors';
import { MemoryCluster } from '../helpers/memoryCluster';

/** Every record of a partition as one broker serves it to consumers (up to its high watermark). */
async function readAll(port: number, topic: string): Promise<Map<number, string>> {
  const client = await RawClient.connect(port);
  try {
    const out = new Map<number, string>();
    let offset = 0;
    for (;;) {
      const res = await fetchRaw(client, fetchRequest([{ topic, partition: 0, offset }]));
      const p = res.responses[0]!.partitions[0]!;
      if (p.errorCode !== 0) throw new Error(`fetch error ${p.errorCode}`);
      const recs = recordsOf(p.records as Buffer | null).filter((r) => r.offset >= offset);
      for (const r of recs) out.set(r.offset, r.value!);
      if (recs.length === 0) {
        if (offset >= Number(p.highWatermark)) return out;
        throw new Error(`no records at ${offset} below the high watermark ${p.highWatermark}`);
      }
      offset = recs[recs.length - 1]!.offset + 1;
    }
  } finally {
    client.close();
  }
}

describe('cluster faults: a leader that lost its etcd session fences itself', function () {
  this.timeout(180_000);
  let c: ProcessCluster;
  let proxy: TcpProxy | null = null;

  afterEach(async () => {
    await c?.stop();
    await proxy?.close();
    proxy = null;
  });

  it('an acks=1 producer writing to a leader cut off from etcd gets NOT_LEADER_OR_FOLLOWER after the session timeout instead of acknowledgements that are later lost; every acked message survives', async () => {
    c = await ProcessCluster.start([2, 3], { 'replica.lag.time.max.ms': '3000' });
    proxy = await TcpProxy.start('127.0.0.1', Number(new URL(c.etcd.endpoint).port));
    await c.startBroker(1, { 'etcd.endpoints': proxy.url });
    const admin = await c.adminClient();
    await admin.createTopics({ topics: [{ topic: 'fenced', replicaAssignment: [{ partition: 0, replicas: [1, 2, 3] }] }], waitForLeaders: true });
    await eventually(async () => {
      for (const id of [1, 2, 3]) if ((await c.partitionAt(id, 'fenced', 0)).leader !== 1) return false;
      return true;
    }, 'broker 1 leads on every broker', CLUSTER_POLL);

    const client = await RawClient.connect(c.brokers.get(1)!.port);
    const acked = new Map<number, string>();
    let n = 0;
    const produceOne = async () => {
      const value = `m${n++}`;
      const r = await produceRaw(client, 'fenced', 0, batchOf([{ value: Buffer.from(value) }]), { acks: 1 });
      if (r.errorCode === 0) acked.set(Number(r.baseOffset), value);
      return r.errorCode;
    };
    try {
      while (acked.size < 30) expect(await produceOne()).to.equal(0);
      proxy.blackhole();
      const cutAt = Date.now();
      // the isolated leader keeps taking acks=1 writes until its session is gone, then refuses them
      const firstRefusal = await eventually(async () => {
        const code = await produceOne();
        if (code === ErrorCode.NONE) return undefined;
        if (code !== ErrorCode.NOT_LEADER_OR_FOLLOWER) throw new Error(`refused with ${errorName(code)}, not NOT_LEADER_OR_FOLLOWER`);
        return Date.now() - cutAt;
      }, 'the isolated leader to stop acknowledging', { ms: 20_000, intervalMs: 0 });
      // session timeout 2000 ms: the broker fences itself before its lease can expire, not long after
      expect(firstRefusal).to.be.below(5_000);
      await eventually(async () => {
        const p = await c.partitionAt(2, 'fenced', 0);
        return p.leader !== 1 && p.leader !== -1;
      }, 'leadership moved off the isolated broker', CLUSTER_POLL);
      // still cut off: every write it is sent is refused, none acknowledged
      for (let i = 0; i < 20; i++) expect(await produceOne()).to.equal(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    } finally {
      client.close();
    }

    proxy.heal();
    await eventually(async () => (await c.partitionAt(1, 'fenced', 0)).leader !== 1, 'the isolated broker follows the new leader', CLUSTER_POLL);
    await eventually(async () => (await c.partitionAt(2, 'fenced', 0)).isr.includes(1), 'the isolated broker back in the ISR', { ...CLUSTER_POLL, ms: 60_000 });
    const leader = (await c.partitionAt(2, 'fenced', 0)).leader;
    const stored = await readAll(c.brokers.get(leader)!.port, 'fenced');
    expect(acked.size).to.be.greaterThan(30);
    for (const [offset, value] of acked) expect(stored.get(offset), `acked ${value} at offset ${offset}`).to.equal(value);
  });
});

describe('replica manager: a lost metadata session stops leading until regained (in-process brokers)', function () {
  this.timeout(60_000);
  let c: MemoryCluster;

  afterEach(async () => {
    await c?.stop();
  });

  async function produceTo(brokerId: number, topic: string, acks: number): Promise<number> {
    const client = await RawClient.connect(c.broker(brokerId).port);
    try {
      return (await produceRaw(client, topic, 0, batchOf([{ value: Buffer.from(`acks${acks}`) }]), { acks })).errorCode;
    } finally {
      client.close();
    }
  }

  it('refuses acks=1 and acks=all produces while the session is lost, ignores announcements naming it leader meanwhile, and leads again once regained', async () => {
    c = await MemoryCluster.start({ brokers: 3 });
    await c.metadata.createTopic('sess', { assignment: [[1, 2, 3]] });
    await c.settled();
    expect(await produceTo(1, 'sess', 1)).to.equal(0);
    expect(await produceTo(1, 'sess', -1)).to.equal(0);

    c.view(1).setSession('lost');
    expect(await produceTo(1, 'sess', 1)).to.equal(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect(await produceTo(1, 'sess', -1)).to.equal(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    // a (stale) change still naming broker 1 leader does not make it lead while the session is lost
    const s = c.state('sess', 0);
    await c.metadata.alterPartitionIsr('sess', 0, { leaderEpoch: s.leaderEpoch, partitionEpoch: s.partitionEpoch }, [1, 2]);
    await c.settled();
    expect(c.replication(1).replica('sess', 0)!.fenced).to.equal(true);
    expect(await produceTo(1, 'sess', 1)).to.equal(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    // consumers are refused, followers still served (they may lack records acknowledged before the fence)
    const client = await RawClient.connect(c.broker(1).port);
    try {
      const asConsumer = await fetchRaw(client, fetchRequest([{ topic: 'sess', partition: 0, offset: 0 }]));
      expect(asConsumer.responses[0]!.partitions[0]!.errorCode).to.equal(ErrorCode.NOT_LEADER_OR_FOLLOWER);
      const asFollower = await fetchRaw(client, fetchRequest([{ topic: 'sess', partition: 0, offset: 0 }], { replicaId: 2 }));
      expect(asFollower.responses[0]!.partitions[0]!.errorCode).to.equal(0);
      expect(recordsOf(asFollower.responses[0]!.partitions[0]!.records as Buffer | null).map((r) => r.value)).to.deep.equal(['acks1', 'acks-1']);
    } finally {
      client.close();
    }

    c.view(1).setSession('regained');
    await c.settled();
    expect(c.replication(1).replica('sess', 0)!).to.include({ role: 'leader', fenced: false });
    expect(await produceTo(1, 'sess', 1)).to.equal(0);
  });
});
