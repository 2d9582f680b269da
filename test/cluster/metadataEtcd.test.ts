import { expect } from 'chai';
import { Etcd3 } from 'etcd3';
import { ErrorCode } from '../../protocol/errors';
import { clusterConfig } from '../../src/metadata/etcd/clusterConfig';
import { EtcdMetadataService } from '../../src/metadata/etcd/etcdMetadataService';
import { MetadataError, type MetadataEvent, type PartitionState } from '../../src/metadata/types';
import { startEtcd, type TestEtcd } from '../helpers/etcd';
import { memoryLogger } from '../helpers/memoryLogger';
import { TcpProxy } from '../helpers/tcpProxy';
import { eventually } from '../helpers/eventually';

async function rejectsWith(p: Promise<unknown>, code: number): Promise<void> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err, `expected MetadataError ${code}`).to.be.instanceOf(MetadataError);
  expect((err as MetadataError).errorCode).to.equal(code);
}

describe('EtcdMetadataService against a real etcd', function () {
  this.timeout(60_000);
  let etcd: TestEtcd;
  let prefixN = 0;
  let prefix = '';
  const open: EtcdMetadataService[] = [];

  before(async () => {
    etcd = await startEtcd();
  });
  after(async () => {
    await etcd?.stop();
  });
  beforeEach(() => {
    prefix = `/brook-test-${++prefixN}`;
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });

  async function broker(nodeId: number, extra: Record<string, string> = {}): Promise<EtcdMetadataService> {
    const raw = { 'etcd.endpoints': etcd.endpoint, 'etcd.prefix': prefix, 'broker.session.timeout.ms': '2000', ...extra };
    const svc = await EtcdMetadataService.open({
      cluster: clusterConfig({ raw }),
      self: { nodeId, host: '127.0.0.1', port: 9000 + nodeId, rack: extra['broker.rack'] ?? null },
      defaultPartitions: 1,
      defaultReplicationFactor: 1,
      logger: memoryLogger(),
    });
    open.push(svc);
    await svc.setSelf(svc.self());
    return svc;
  }

  it('shares one cluster id, lists every live broker and elects one controller', async () => {
    const a = await broker(1);
    const b = await broker(2);
    const c = await broker(3);
    expect(b.clusterId).to.equal(a.clusterId);
    expect(c.clusterId).to.equal(a.clusterId);
    for (const s of [a, b, c]) await eventually(() => s.brokers().length === 3, 'three brokers');
    expect(a.brokers().map((x) => x.port)).to.deep.equal([9001, 9002, 9003]);
    const controller = await eventually(() => (a.electedControllerId !== -1 ? a.electedControllerId : undefined), 'a controller');
    expect(controller).to.equal(1);
    for (const s of [b, c]) await eventually(() => s.electedControllerId === controller && s.controllerId === controller, 'same controller everywhere');
  });

  it('refuses a configured cluster id that differs from the one in etcd', async () => {
    const a = await broker(1);
    const err = await EtcdMetadataService.open({
      cluster: clusterConfig({ raw: { 'etcd.endpoints': etcd.endpoint, 'etcd.prefix': prefix } }),
      self: { nodeId: 5, host: '127.0.0.1', port: 1, rack: null },
      clusterId: 'not-' + a.clusterId,
      defaultPartitions: 1,
      defaultReplicationFactor: 1,
      logger: memoryLogger(),
    }).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(err?.message).to.match(/belongs to cluster/);
  });

  it('creates, alters and deletes topics from one broker and every broker sees the same, with events', async () => {
    const a = await broker(1);
    const b = await broker(2);
    const events: MetadataEvent[] = [];
    b.onChange((e) => {
      events.push(e);
    });
    await eventually(() => a.brokers().length === 2 && b.brokers().length === 2, 'both brokers');
    const t = await a.createTopic('orders', { partitions: 4, replicationFactor: 2, configs: { 'retention.ms': '1000' } });
    expect(t.partitions).to.equal(4);
    const seen = await eventually(() => b.topic('orders'), 'topic on b');
    expect(seen.id.equals(t.id)).to.equal(true);
    expect(b.topicById(t.id)?.name).to.equal('orders');
    for (let p = 0; p < 4; p++) {
      const s = b.partitionState('orders', p)!;
      expect(s.replicas).to.have.length(2);
      expect(s.isr).to.deep.equal(s.replicas);
      expect(s.leader).to.equal(s.replicas[0]);
    }
    // Leaders spread over both brokers.
    expect(new Set([0, 1, 2, 3].map((p) => b.partitionState('orders', p)!.leader)).size).to.equal(2);
    await rejectsWith(b.createTopic('orders'), ErrorCode.TOPIC_ALREADY_EXISTS);
    await rejectsWith(a.createTopic('rf3', { replicationFactor: 3 }), ErrorCode.INVALID_REPLICATION_FACTOR);
    await rejectsWith(a.createTopic('bad/name'), ErrorCode.INVALID_TOPIC_EXCEPTION);

    await b.alterTopicConfigs('orders', { 'retention.ms': null, 'cleanup.policy': 'compact' });
    await eventually(() => a.topic('orders')?.configs['cleanup.policy'] === 'compact', 'configs on a');
    expect(a.topic('orders')!.configs).to.deep.equal({ 'cleanup.policy': 'compact' });
    await b.addPartitions('orders', 6);
    await eventually(() => a.partitionState('orders', 5), 'new partitions on a');
    await rejectsWith(a.addPartitions('orders', 6), ErrorCode.INVALID_PARTITIONS);
    await a.deleteTopic('orders');
    await eventually(() => b.topic('orders') === undefined, 'deleted on b');
    expect(b.partitionState('orders', 0)).to.equal(undefined);
    await rejectsWith(a.deleteTopic('orders'), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);

    const kinds = events.filter((e) => e.type !== 'brokers-changed' && e.type !== 'partition-changed').map((e) => e.type);
    expect(kinds).to.deep.equal(['topic-created', 'configs-altered', 'partitions-added', 'topic-deleted']);
  });

  it('creates a topic from a manual assignment and refuses brokers that are not alive', async () => {
    const a = await broker(1);
    await broker(2);
    await eventually(() => a.brokers().length === 2, 'two brokers');
    await a.createTopic('manual', { assignment: [[2, 1], [1, 2]] });
    expect(a.partitionState('manual', 0)!.replicas).to.deep.equal([2, 1]);
    expect(a.partitionState('manual', 0)!.leader).to.equal(2);
    await rejectsWith(a.createTopic('ghost', { assignment: [[1, 7]] }), ErrorCode.INVALID_REPLICA_ASSIGNMENT);
  });

  it('lets concurrent writers from two brokers both land (compare-and-swap retries), and only one creation of a name wins', async () => {
    const a = await broker(1);
    const b = await broker(2);
    await a.createTopic('shared', { partitions: 1 });
    await eventually(() => b.topic('shared'), 'shared on b');
    await Promise.all([
      a.alterTopicConfigs('shared', { 'a.key': '1' }),
      b.alterTopicConfigs('shared', { 'b.key': '2' }),
      a.alterTopicConfigs('shared', { 'c.key': '3' }),
      b.alterTopicConfigs('shared', { 'd.key': '4' }),
    ]);
    await eventually(() => Object.keys(a.topic('shared')!.configs).length === 4 && Object.keys(b.topic('shared')!.configs).length === 4, 'all four configs');
    const results = await Promise.allSettled([a.createTopic('race', { partitions: 1 }), b.createTopic('race', { partitions: 2 })]);
    expect(results.filter((r) => r.status === 'fulfilled')).to.have.length(1);
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect((lost.reason as MetadataError).errorCode).to.equal(ErrorCode.TOPIC_ALREADY_EXISTS);
    // ensureTopic from the losing side answers with the winner's topic.
    const winner = await eventually(() => a.topic('race'), 'race topic');
    const ensured = await Promise.all([a.ensureTopic('race'), b.ensureTopic('race')]);
    expect(ensured.every((t) => t.id.equals(winner.id))).to.equal(true);
  });

  it('places the replicas of each partition on different racks', async () => {
    const a = await broker(1, { 'broker.rack': 'a' });
    await broker(2, { 'broker.rack': 'a' });
    await broker(3, { 'broker.rack': 'b' });
    await eventually(() => a.brokers().length === 3, 'three brokers');
    expect(a.brokers().map((x) => x.rack)).to.deep.equal(['a', 'a', 'b']);
    await a.createTopic('racked', { partitions: 6, replicationFactor: 2 });
    for (let p = 0; p < 6; p++) {
      const replicas = a.partitionState('racked', p)!.replicas;
      expect(replicas.includes(3), `partition ${p}: ${replicas.join(',')}`).to.equal(true);
    }
  });

  it('changes the ISR only for the current epochs (AlterPartition rules)', async () => {
    const a = await broker(1);
    await broker(2);
    await eventually(() => a.brokers().length === 2, 'two brokers');
    await a.createTopic('isr', { assignment: [[1, 2]] });
    const s0 = a.partitionState('isr', 0)!;
    const shrunk = await a.alterPartitionIsr('isr', 0, { leaderEpoch: s0.leaderEpoch, partitionEpoch: s0.partitionEpoch }, [1]);
    expect(shrunk.isr).to.deep.equal([1]);
    expect(shrunk.partitionEpoch).to.equal(s0.partitionEpoch + 1);
    expect(shrunk.leaderEpoch).to.equal(s0.leaderEpoch);
    await rejectsWith(a.alterPartitionIsr('isr', 0, { leaderEpoch: s0.leaderEpoch, partitionEpoch: s0.partitionEpoch }, [1, 2]), ErrorCode.INVALID_UPDATE_VERSION);
    await rejectsWith(a.alterPartitionIsr('isr', 0, { leaderEpoch: s0.leaderEpoch - 1, partitionEpoch: shrunk.partitionEpoch }, [1, 2]), ErrorCode.FENCED_LEADER_EPOCH);
    const grown = await a.alterPartitionIsr('isr', 0, { leaderEpoch: shrunk.leaderEpoch, partitionEpoch: shrunk.partitionEpoch }, [1, 2]);
    expect(grown.isr).to.deep.equal([1, 2]);
  });

  it('moves leadership off a broker whose lease expires, bumping epochs, and brings it back as a follower', async () => {
    const a = await broker(1);
    const b = await broker(2);
    const c = await broker(3);
    await eventually(() => a.brokers().length === 3, 'three brokers');
    await a.createTopic('failover', { assignment: [[2, 3, 1], [3, 1, 2]] });
    const before = a.partitionState('failover', 0)!;
    expect(before.leader).to.equal(2);
    const changed: PartitionState[] = [];
    a.onChange((e) => {
      if (e.type === 'partition-changed') changed.push(e.state);
    });
    // Simulate a crash: stop keepalives without revoking, so only expiry can remove broker 2.
    const internals = b.internals;
    const started = Date.now();
    (b as unknown as { registration: { lease: { release(): void } } }).registration.lease.release();
    internals.client.close();
    open.splice(open.indexOf(b), 1);
    const moved = await eventually(() => {
      const s = a.partitionState('failover', 0)!;
      return s.leader !== 2 ? s : undefined;
    }, 'leader to move off broker 2');
    const took = Date.now() - started;
    expect(moved.leader).to.equal(3);
    expect(moved.isr).to.deep.equal([3, 1]);
    expect(moved.leaderEpoch).to.equal(before.leaderEpoch + 1);
    expect(moved.partitionEpoch).to.be.greaterThan(before.partitionEpoch);
    // A follower-only partition keeps its leader and drops broker 2 from the ISR: a write of its own, which may land
    // after partition 0's
    const p1 = await eventually(() => {
      const s = a.partitionState('failover', 1)!;
      return s.isr.includes(2) ? undefined : s;
    }, 'broker 2 to leave the ISR of partition 1');
    expect(p1.leader).to.equal(3);
    expect(p1.isr).to.deep.equal([3, 1]);
    expect(a.brokers().map((x) => x.nodeId)).to.deep.equal([1, 3]);
    expect(changed.some((s) => s.partition === 0 && s.leader === 3)).to.equal(true);
    expect(took).to.be.lessThan(2000 + 3000);
    await eventually(() => c.partitionState('failover', 0)?.leader === 3, 'c sees the new leader');

    // Broker 2 comes back: registered again, not leader, not in the ISR until the leader adds it.
    const again = await broker(2);
    await eventually(() => a.brokers().length === 3, 'broker 2 back');
    expect(again.partitionState('failover', 0)!.leader).to.equal(3);
    expect(again.partitionState('failover', 0)!.isr).to.deep.equal([3, 1]);
  });

  it('with auto.leader.rebalance.enable hands leadership back to the preferred replica once it is in the ISR again', async () => {
    const rebalance = { 'auto.leader.rebalance.enable': 'true' };
    const a = await broker(1, rebalance);
    let b = await broker(2, rebalance);
    await broker(3, rebalance);
    await eventually(() => a.brokers().length === 3, 'three brokers');
    await a.createTopic('preferred', { assignment: [[2, 3, 1]] });
    await b.close();
    open.splice(open.indexOf(b), 1);
    const moved = await eventually(() => {
      const s = a.partitionState('preferred', 0)!;
      return s.leader === 3 ? s : undefined;
    }, 'leader 3');
    expect(moved.isr).to.deep.equal([3, 1]);
    b = await broker(2, rebalance);
    await eventually(() => a.brokers().length === 3, 'broker 2 back');
    // Not in the ISR yet: leadership stays.
    expect(a.partitionState('preferred', 0)!.leader).to.equal(3);
    // The leader (3) adds it back once caught up; then the controller prefers it.
    const s = a.partitionState('preferred', 0)!;
    await a.alterPartitionIsr('preferred', 0, { leaderEpoch: s.leaderEpoch, partitionEpoch: s.partitionEpoch }, [3, 1, 2]);
    const back = await eventually(() => {
      const x = a.partitionState('preferred', 0)!;
      return x.leader === 2 ? x : undefined;
    }, 'preferred leader back');
    expect(back.leaderEpoch).to.equal(moved.leaderEpoch + 1);
    expect(back.isr).to.deep.equal([3, 1, 2]);
  });

  it('elects outside the ISR only for a topic with unclean.leader.election.enable=true', async () => {
    const a = await broker(1);
    const b = await broker(2);
    await eventually(() => a.brokers().length === 2, 'two brokers');
    await a.createTopic('clean', { assignment: [[2, 1]] });
    await a.createTopic('unclean', { assignment: [[2, 1]], configs: { 'unclean.leader.election.enable': 'true' } });
    for (const t of ['clean', 'unclean']) {
      await eventually(() => b.partitionState(t, 0), `${t} on b`);
      const s = a.partitionState(t, 0)!;
      // The leader dropped broker 1 from the ISR (it fell behind).
      await b.alterPartitionIsr(t, 0, { leaderEpoch: s.leaderEpoch, partitionEpoch: s.partitionEpoch }, [2]);
    }
    await b.close();
    open.splice(open.indexOf(b), 1);
    const unclean = await eventually(() => {
      const s = a.partitionState('unclean', 0)!;
      return s.leader === 1 ? s : undefined;
    }, 'unclean election');
    expect(unclean.isr).to.deep.equal([1]);
    const clean = await eventually(() => {
      const s = a.partitionState('clean', 0)!;
      return s.leader === -1 ? s : undefined;
    }, 'clean partition offline');
    expect(clean.isr).to.deep.equal([2]);
    // turning unclean election on for the offline topic elects at once, not at the next unrelated cluster event
    await a.alterTopicConfigs('clean', { 'unclean.leader.election.enable': 'true' });
    const elected = await eventually(() => {
      const s = a.partitionState('clean', 0)!;
      return s.leader === 1 ? s : undefined;
    }, 'unclean election after the config change');
    expect(elected.isr).to.deep.equal([1]);
  });

  it('ElectLeaders unclean brings an offline partition back on a live out-of-sync replica', async () => {
    const a = await broker(1);
    const b = await broker(2);
    await eventually(() => a.brokers().length === 2, 'two brokers');
    await a.createTopic('stuck', { assignment: [[2, 1]] });
    await eventually(() => b.partitionState('stuck', 0), 'topic on b');
    const s = a.partitionState('stuck', 0)!;
    await b.alterPartitionIsr('stuck', 0, { leaderEpoch: s.leaderEpoch, partitionEpoch: s.partitionEpoch }, [2]);
    await b.close();
    open.splice(open.indexOf(b), 1);
    await eventually(() => a.partitionState('stuck', 0)?.leader === -1, 'offline');
    const [preferred] = await a.electLeaders([{ topic: 'stuck', partition: 0 }], 'preferred');
    expect(preferred.errorCode).to.equal(ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE);
    const [unclean] = await a.electLeaders([{ topic: 'stuck', partition: 0 }], 'unclean');
    expect(unclean.errorCode).to.equal(0);
    expect(a.partitionState('stuck', 0)).to.include({ leader: 1 });
    expect(a.partitionState('stuck', 0)!.isr).to.deep.equal([1]);
  });

  it('elects a new controller when the controller leaves', async () => {
    const a = await broker(1);
    const b = await broker(2);
    await eventually(() => b.electedControllerId === 1, 'broker 1 controls');
    await a.close();
    open.splice(open.indexOf(a), 1);
    await eventually(() => b.electedControllerId === 2, 'broker 2 takes over');
    await b.createTopic('after', { partitions: 1 });
    expect(b.partitionState('after', 0)!.leader).to.equal(2);
  });

  it('refuses to start a second broker with a node id held by a live broker', async () => {
    await broker(1);
    const started = Date.now();
    const err = await broker(1, { 'broker.session.timeout.ms': '1000' }).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(err?.message).to.match(/node id 1 is registered/);
    expect(Date.now() - started).to.be.greaterThan(1000);
  });

  it('reserves disjoint producer id blocks to concurrent brokers', async () => {
    const a = await broker(1);
    const b = await broker(2);
    const starts = await Promise.all([a, b, a, b, a, b].map((s) => s.reserveProducerIds(1000)));
    const sorted = [...starts].sort((x, y) => (x < y ? -1 : 1));
    expect(sorted).to.deep.equal([0n, 1000n, 2000n, 3000n, 4000n, 5000n]);
  });

  it('keeps serving and converges after an etcd restart', async () => {
    const a = await broker(1);
    const b = await broker(2);
    await a.createTopic('before-restart', { partitions: 1 });
    await eventually(() => b.topic('before-restart'), 'topic on b');
    await etcd.restart();
    // Writes may fail while the client reconnects; retry until one lands.
    await eventually(async () => {
      try {
        await a.createTopic('after-restart', { partitions: 2 });
        return true;
      } catch (err) {
        if (!(err instanceof MetadataError) || err.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS) throw err;
        return false;
      }
    }, 'a topic created after the etcd restart', { ms: 30_000, intervalMs: 200 });
    await eventually(() => b.topic('after-restart'), 'topic created after restart visible on b', 30_000);
    // A change written behind the brokers' backs (another tool) also arrives.
    const raw = new Etcd3({ hosts: etcd.endpoint });
    try {
      await raw.delete().key(`${prefix}/${a.clusterId}/topics/before-restart`);
    } finally {
      raw.close();
    }
    await eventually(() => a.topic('before-restart') === undefined && b.topic('before-restart') === undefined, 'external delete seen', 30_000);
    expect(b.brokers().map((x) => x.nodeId)).to.deep.equal([1, 2]);
  });

  it('a broker whose watch has not delivered a new partition yet still changes its ISR (it reads the partition from etcd first)', async () => {
    const a = await broker(1);
    const b = await broker(2);
    await eventually(() => a.brokers().length === 2 && b.brokers().length === 2, 'two brokers');
    for (let i = 0; i < 20; i++) {
      const name = `fresh-${i}`;
      await a.createTopic(name, { assignment: [[2, 1]] });
      // no wait for b's watch: the write is acknowledged by a, and b must not call the partition unknown
      const s = a.partitionState(name, 0)!;
      const next = await b.alterPartitionIsr(name, 0, { leaderEpoch: s.leaderEpoch, partitionEpoch: s.partitionEpoch }, [2]);
      expect(next.isr).to.deep.equal([2]);
    }
    await rejectsWith(b.alterPartitionIsr('never-created', 0, { leaderEpoch: 0, partitionEpoch: 0 }, [2]), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('a broker cut off from etcd reports its session lost before its lease expires, and regained only after re-registering and catching up', async () => {
    const proxy = await TcpProxy.start('127.0.0.1', Number(new URL(etcd.endpoint).port));
    try {
      const a = await broker(1);
      const b = await broker(2, { 'etcd.endpoints': proxy.url });
      await eventually(() => a.brokers().length === 2 && b.brokers().length === 2, 'two brokers');
      const seen: Array<{ state: string; othersListIt: boolean; knowsTopic: boolean; brokers: number[] }> = [];
      b.onSessionChange((state) => seen.push({ state, othersListIt: a.brokers().some((x) => x.nodeId === 2), knowsTopic: b.topic('during') !== undefined, brokers: b.brokers().map((x) => x.nodeId) }));
      expect(b.sessionLost).to.equal(false);
      proxy.blackhole();
      await eventually(() => seen.length > 0, 'session lost');
      expect(seen[0]).to.include({ state: 'lost', othersListIt: true });
      expect(b.sessionLost).to.equal(true);
      // the lease expires in etcd; the cluster goes on without b
      await eventually(() => !a.brokers().some((x) => x.nodeId === 2), 'b gone from the cluster');
      await a.createTopic('during', { partitions: 1 });
      proxy.heal();
      await eventually(() => seen.length > 1, 'session regained', 30_000);
      expect(seen[1]).to.deep.equal({ state: 'regained', othersListIt: seen[1]!.othersListIt, knowsTopic: true, brokers: [1, 2] });
      expect(b.sessionLost).to.equal(false);
      await eventually(() => a.brokers().some((x) => x.nodeId === 2), 'b registered again');
      expect(seen).to.have.length(2);
    } finally {
      await proxy.close();
    }
  });
});
