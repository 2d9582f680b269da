import { expect } from 'chai';
import { startEtcd, type TestEtcd } from '../helpers/etcd';
import { startTestBroker } from '../helpers/broker';
import { brook } from '../ops/cliHarness';
import { EtcdTestCluster, eventually } from './helpers/etcdCluster';

describe('brook cluster (CLI)', function () {
  this.timeout(120_000);
  let etcd: TestEtcd;
  let cluster: EtcdTestCluster;

  before(async () => {
    etcd = await startEtcd();
    cluster = await EtcdTestCluster.start([1, 2, 3], { etcd });
  });
  after(async () => {
    await cluster?.stop();
    await etcd?.stop();
  });

  it('describes the cluster: id, controller and every live broker', async () => {
    const r = await brook(['cluster', 'describe', '--json', '-b', cluster.broker(2).bootstrap]);
    expect(r.code, r.stderr).to.equal(0);
    const view = JSON.parse(r.stdout) as { clusterId: string; controllerId: number; brokers: Array<{ nodeId: number; port: number; controller: boolean }> };
    expect(view.clusterId).to.equal(cluster.broker(1).services.metadata.clusterId);
    expect(view.brokers.map((b) => b.nodeId)).to.deep.equal([1, 2, 3]);
    expect(view.brokers.filter((b) => b.controller).map((b) => b.nodeId)).to.deep.equal([view.controllerId]);
    const text = await brook(['cluster', 'describe', '-b', cluster.broker(1).bootstrap]);
    expect(text.stdout).to.match(/Controller: [123]/);
    expect(text.stdout).to.match(/NODE\s+HOST\s+PORT\s+RACK\s+CONTROLLER/);
  });

  it('runs a preferred leader election and reports partitions that need none', async () => {
    const md = cluster.broker(1).services.metadata;
    await md.createTopic('cli-elect', { assignment: [[3, 1, 2]] });
    await eventually(() => md.partitionState('cli-elect', 0)!.isr.length === 3, 'in sync');
    await cluster.stopBroker(3);
    await eventually(() => md.partitionState('cli-elect', 0)!.leader === 1, 'leader 1');
    await cluster.startBroker(3);
    await eventually(() => md.partitionState('cli-elect', 0)!.isr.includes(3), 'broker 3 back in sync', 30_000);
    const r = await brook(['cluster', 'elect-leaders', '--topic', 'cli-elect', '--json', '-b', cluster.broker(2).bootstrap]);
    expect(r.code, r.stderr).to.equal(0);
    expect(JSON.parse(r.stdout)).to.deep.equal([{ topic: 'cli-elect', partition: 0, result: 'elected', message: null }]);
    await eventually(() => md.partitionState('cli-elect', 0)!.leader === 3, 'preferred leader back');
    const again = await brook(['cluster', 'elect-leaders', '-b', cluster.broker(2).bootstrap]);
    expect(again.code, again.stderr).to.equal(0);
    expect(again.stdout).to.match(/No partition needed an election/);
    const bad = await brook(['cluster', 'elect-leaders', '--type', 'sideways', '-b', cluster.broker(2).bootstrap]);
    expect(bad.code).to.equal(2);
  });

  it('on a single broker there is nothing to elect', async () => {
    const single = await startTestBroker();
    try {
      await single.services.metadata.createTopic('solo', { partitions: 2 });
      const r = await brook(['cluster', 'elect-leaders', '--topic', 'solo', '--json', '-b', single.bootstrap]);
      expect(r.code, r.stderr).to.equal(0);
      expect((JSON.parse(r.stdout) as Array<{ result: string }>).map((x) => x.result)).to.deep.equal(['ELECTION_NOT_NEEDED', 'ELECTION_NOT_NEEDED']);
    } finally {
      await single.destroy();
    }
  });
});
