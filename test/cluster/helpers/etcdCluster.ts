import { startTestBroker, type TestBroker } from '../../helpers/broker';
import type { StartBrokerOptions } from '../../../src/broker';
import { startEtcd, type TestEtcd } from '../../helpers/etcd';
import { tempDataDir } from '../../helpers/tempDir';
import { internalReplicas } from '../../helpers/internalReplicas';

import { eventually } from '../../helpers/eventually';

export { eventually };

let clusterSeq = 0;

/** In-process brokers sharing one etcd, each with its own data dir, under a prefix of their own. */
export class EtcdTestCluster {
  readonly brokers = new Map<number, TestBroker>();
  private readonly dataDirs = new Map<number, string>();
  readonly prefix = `/brook-cluster-${process.pid}-${++clusterSeq}`;

  private constructor(
    readonly etcd: TestEtcd,
    private readonly ownsEtcd: boolean,
    private readonly extra: Record<string, string>,
  ) {}

  static async start(nodeIds: number[], opts: { etcd?: TestEtcd; config?: Record<string, string> } = {}): Promise<EtcdTestCluster> {
    const etcd = opts.etcd ?? (await startEtcd());
    const c = new EtcdTestCluster(etcd, !opts.etcd, { ...internalReplicas(nodeIds.length), ...opts.config });
    try {
      await Promise.all(nodeIds.map((id) => c.startBroker(id)));
      await c.awaitRegistered();
    } catch (err) {
      await c.stop();
      throw err;
    }
    return c;
  }

  /** Until every running broker sees every running broker registered: the cluster tests start from there. */
  async awaitRegistered(): Promise<void> {
    const running = [...this.brokers.values()];
    await eventually(() => running.every((b) => b.services.metadata.brokers().length === running.length), `${running.length} registered brokers`);
  }

  configFor(nodeId: number): Record<string, string> {
    return {
      'metadata.backend': 'etcd',
      'etcd.endpoints': this.etcd.endpoint,
      'etcd.prefix': this.prefix,
      'node.id': String(nodeId),
      'broker.session.timeout.ms': '2000',
      'offsets.topic.num.partitions': '6',
      // Tests have one consumer per group: no need to wait for more to join.
      'group.initial.rebalance.delay.ms': '0',
      ...this.extra,
    };
  }

  /** Starts (or restarts, on the same data dir) broker `nodeId`. */
  async startBroker(nodeId: number, config: Record<string, string> = {}, opts: Pick<StartBrokerOptions, 'metricsPort' | 'console'> = {}): Promise<TestBroker> {
    let dir = this.dataDirs.get(nodeId);
    if (!dir) this.dataDirs.set(nodeId, (dir = tempDataDir(`brook-node${nodeId}-`)));
    const b = await startTestBroker({ ...opts, dataDir: dir, config: { ...this.configFor(nodeId), ...config } });
    this.brokers.set(nodeId, b);
    return b;
  }

  broker(nodeId: number): TestBroker {
    const b = this.brokers.get(nodeId);
    if (!b) throw new Error(`broker ${nodeId} is not running`);
    return b;
  }

  get bootstrap(): string[] {
    return [...this.brokers.values()].map((b) => b.bootstrap);
  }

  /** Clean shutdown of one broker (its lease is revoked, so the others notice at once); its data dir stays. */
  async stopBroker(nodeId: number): Promise<void> {
    const b = this.brokers.get(nodeId);
    this.brokers.delete(nodeId);
    await b?.close();
  }

  /** Empties a stopped broker's data dir, as if its disk were replaced. */
  async wipeDataDir(nodeId: number): Promise<void> {
    if (this.brokers.has(nodeId)) throw new Error(`broker ${nodeId} is running`);
    const dir = this.dataDirs.get(nodeId);
    if (!dir) return;
    const { mkdirSync, rmSync } = await import('node:fs');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
  }

  async stop(): Promise<void> {
    await Promise.all([...this.brokers.values()].map((b) => b.close().catch(() => undefined)));
    this.brokers.clear();
    const { rmSync } = await import('node:fs');
    for (const dir of this.dataDirs.values()) rmSync(dir, { recursive: true, force: true });
    if (this.ownsEtcd) await this.etcd.stop();
  }
}
