import { expect } from 'chai';
import * as path from 'node:path';
import { runPython } from '../helpers/python';
import { startEtcd, type TestEtcd } from '../helpers/etcd';
import { EtcdTestCluster, eventually } from './helpers/etcdCluster';

const DRIVER = path.join(__dirname, 'drivers', 'confluent_roundtrip.py');

interface RoundTrip {
  delivered: number;
  errors: string[];
  consumed: Record<string, number[]>;
  leaders: Record<string, { leader: number; replicas: number[]; isr: number[] }>;
}

describe('librdkafka (confluent-kafka) through a three-broker cluster', function () {
  this.timeout(180_000);
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

  async function roundTrip(topic: string, partitions: number, rf: number, count: number): Promise<RoundTrip> {
    // Bootstrap from one broker only: the client must find the others through Metadata.
    const r = await runPython([DRIVER, cluster.broker(2).bootstrap, topic, String(partitions), String(rf), String(count), `${topic}-group`]);
    expect(r.code, r.err).to.equal(0);
    return JSON.parse(r.out.trim().split('\n').at(-1)!) as RoundTrip;
  }

  it('creates an RF=1 topic over all brokers, produces idempotently with acks=all and consumes every message once, in order per partition', async () => {
    const rt = await roundTrip('librd-rf1', 6, 1, 600);
    expect(rt.errors).to.deep.equal([]);
    expect(rt.delivered).to.equal(600);
    expect(new Set(Object.values(rt.leaders).map((l) => l.leader))).to.deep.equal(new Set([1, 2, 3]));
    const all = Object.values(rt.consumed).flat().sort((a, b) => a - b);
    expect(all).to.deep.equal(Array.from({ length: 600 }, (_, i) => i));
    for (const values of Object.values(rt.consumed)) expect(values).to.deep.equal([...values].sort((a, b) => a - b));
  });

  it('does the same with replication factor 3', async () => {
    const rt = await roundTrip('librd-rf3', 3, 3, 300);
    expect(rt.errors).to.deep.equal([]);
    expect(rt.delivered).to.equal(300);
    for (const l of Object.values(rt.leaders)) expect([...l.replicas].sort()).to.deep.equal([1, 2, 3]);
    expect(Object.values(rt.consumed).flat().sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 300 }, (_, i) => i));
  });
});
