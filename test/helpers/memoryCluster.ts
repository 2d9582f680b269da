import { mkdirSync, rmSync } from 'node:fs';
import { startBroker, type BrokerHandle } from '../../src/broker';
import { createLogger, type Logger } from '../../src/log';
import type { ElectionPolicy } from '../../src/metadata/controller/election';
import type { PartitionState, TopicInfo } from '../../src/metadata/types';
import type { ReplicaManager } from '../../src/replication/replicaManager';
import { MemoryClusterMetadata, type MemoryMetadataView } from './memoryMetadata';
import { tempDataDir } from './tempDir';
import { internalReplicas } from './internalReplicas';

export interface MemoryClusterOptions {
  brokers?: number;
  /** Broker properties for every broker. */
  config?: Record<string, string>;
  policy?: ElectionPolicy;
  logger?: Logger;
  /** Serve each broker's HTTP side (metrics, console, REST proxy, schema registry) on a free port. */
  http?: boolean;
}

/**
 * N in-process brokers (node ids 1..N) on 127.0.0.1 port 0, each with its own
 * temp data dir, sharing one MemoryClusterMetadata. killBroker stops one (its
 * lease ends, the controller moves leadership); restartBroker brings it back on
 * the same data dir.
 */
export class MemoryCluster {
  readonly brokers = new Map<number, BrokerHandle>();
  readonly dataDirs = new Map<number, string>();

  private constructor(
    readonly metadata: MemoryClusterMetadata,
    private readonly opts: MemoryClusterOptions,
  ) {}

  static async start(opts: MemoryClusterOptions = {}): Promise<MemoryCluster> {
    const c = new MemoryCluster(new MemoryClusterMetadata(opts.policy), opts);
    const n = opts.brokers ?? 3;
    for (let id = 1; id <= n; id++) c.dataDirs.set(id, tempDataDir('brook-cluster-'));
    try {
      for (let id = 1; id <= n; id++) await c.startNode(id);
    } catch (err) {
      await c.stop();
      throw err;
    }
    return c;
  }

  private async startNode(id: number): Promise<BrokerHandle> {
    const handle = await startBroker({
      host: '127.0.0.1',
      port: 0,
      dataDir: this.dataDirs.get(id)!,
      logger: this.opts.logger ?? createLogger('silent'),
      // short follower long polls: tests use lag times of a few hundred ms, which must exceed them
      config: { 'node.id': String(id), 'replica.fetch.backoff.ms': '100', 'replica.fetch.wait.max.ms': '100', ...internalReplicas(this.opts.brokers ?? 3), ...(this.opts.config ?? {}) },
      metadata: async (_config, self) => this.metadata.view(self),
      ...(this.opts.http ? { metricsPort: 0, console: true } : {}),
    });
    this.brokers.set(id, handle);
    return handle;
  }

  broker(id: number): BrokerHandle {
    const b = this.brokers.get(id);
    if (!b) throw new Error(`broker ${id} is not running`);
    return b;
  }

  /** The metadata view broker `id` uses (to hold back its events in partition tests). */
  view(id: number): MemoryMetadataView {
    return this.broker(id).services.metadata as MemoryMetadataView;
  }

  replication(id: number): ReplicaManager {
    return this.broker(id).services.replication!;
  }

  get bootstrap(): string[] {
    return [...this.brokers.values()].map((b) => `127.0.0.1:${b.port}`);
  }

  state(topic: string, partition: number): PartitionState {
    const s = this.metadata.partitionState(topic, partition);
    if (!s) throw new Error(`no partition ${topic}-${partition}`);
    return s;
  }

  leaderOf(topic: string, partition: number): number {
    return this.state(topic, partition).leader;
  }

  async createTopic(name: string, partitions: number, replicationFactor: number, configs: Record<string, string> = {}): Promise<TopicInfo> {
    const t = await this.metadata.createTopic(name, { partitions, replicationFactor, configs });
    await this.settled();
    return t;
  }

  /** Every running broker applied every role change announced so far. */
  async settled(): Promise<void> {
    for (const b of this.brokers.values()) await b.services.replication?.settled();
  }

  /** Stops broker `id` (its data dir stays); its lease ends and leadership moves to the ISR. */
  async killBroker(id: number): Promise<void> {
    const b = this.broker(id);
    this.brokers.delete(id);
    await b.close();
    await this.settled();
  }

  /** Brokers `ids` die together (like power lost to both): one controller pass sees them all gone, then they stop. */
  async killBrokersAtOnce(ids: number[]): Promise<void> {
    await this.metadata.unregisterAll(ids);
    for (const id of ids) await this.killBroker(id);
  }

  /** Empties a stopped broker's data dir, as if its disk were replaced. */
  wipeDataDir(id: number): void {
    if (this.brokers.has(id)) throw new Error(`broker ${id} is running`);
    const dir = this.dataDirs.get(id)!;
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
  }

  async restartBroker(id: number): Promise<BrokerHandle> {
    if (this.brokers.has(id)) throw new Error(`broker ${id} is running`);
    const b = await this.startNode(id);
    await this.settled();
    return b;
  }

  async stop(): Promise<void> {
    for (const [id, b] of [...this.brokers]) {
      this.brokers.delete(id);
      await b.close().catch(() => undefined);
    }
    for (const dir of this.dataDirs.values()) rmSync(dir, { recursive: true, force: true });
  }
}
