import { rmSync } from 'node:fs';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { ApiKey } from '../../../protocol/generated/apis';
import type { MetadataResponse } from '../../../protocol/generated/messages/MetadataResponse';
import type { FindCoordinatorResponse } from '../../../protocol/generated/messages/FindCoordinatorResponse';
import { startEtcd, type TestEtcd } from '../../helpers/etcd';
import { RawClient } from '../../helpers/rawClient';
import { eventually } from '../../helpers/eventually';
import { tempDataDir } from '../../helpers/tempDir';
import { startChildBroker, type ChildBroker } from '../../txn/helpers/childBroker';
import { internalReplicas } from '../../helpers/internalReplicas';

let seq = 0;

/**
 * Brokers as child processes (`brook start`, the real CLI) sharing one etcd:
 * what fault tests need to kill -9 a broker and start it again on its data dir.
 */
export class ProcessCluster {
  readonly brokers = new Map<number, ChildBroker>();
  readonly dataDirs = new Map<number, string>();
  readonly prefix = `/brook-faults-${process.pid}-${++seq}`;
  private admin: Admin | null = null;
  private readonly killedLogs: Array<readonly [number, ReadonlyArray<Record<string, unknown>>]> = [];

  private constructor(
    readonly etcd: TestEtcd,
    private readonly extra: Record<string, string>,
    private readonly args: string[],
    private readonly startTimeoutMs: number,
  ) {}

  /** `args`: extra `brook start` flags for every broker (e.g. `--console --metrics-port 0`); `startTimeoutMs` per broker start. */
  static async start(nodeIds: number[], config: Record<string, string> = {}, args: string[] = [], startTimeoutMs = 30_000): Promise<ProcessCluster> {
    const c = new ProcessCluster(await startEtcd(), { ...internalReplicas(nodeIds.length), ...config }, args, startTimeoutMs);
    try {
      await Promise.all(nodeIds.map((id) => c.startBroker(id)));
      // a cluster started from one broker grows later: its internal topics (one replica) wait for their first use
      if (nodeIds.length > 1) await c.createCoordinatorTopics();
    } catch (err) {
      await c.stop();
      throw err;
    }
    return c;
  }

  /**
   * Creates `__consumer_offsets`, `__transaction_state` and `__brook_share_state` while every broker is up, as Kafka's
   * integration test harness creates the offsets topic at setup: a cluster creates an internal topic only with as
   * many live brokers as its replication factor, and these tests often first use a group after a kill -9.
   */
  private async createCoordinatorTopics(): Promise<void> {
    const port = [...this.brokers.values()][0]!.port;
    for (const [keyType, key] of [[0, 'setup'], [1, 'setup'], [2, 'setup:AAAAAAAAAAAAAAAAAAAAAA:0']] as const) {
      await eventually(async () => {
        const client = await RawClient.connect(port);
        try {
          const res = await client.request<FindCoordinatorResponse>(ApiKey.FindCoordinator, 6, { keyType, coordinatorKeys: [key] });
          return res.coordinators[0]?.errorCode === 0;
        } finally {
          client.close();
        }
      }, `the internal topic of coordinator key type ${keyType}`, CLUSTER_POLL);
    }
  }

  configFor(nodeId: number): Record<string, string> {
    return {
      'metadata.backend': 'etcd',
      'etcd.endpoints': this.etcd.endpoint,
      'etcd.prefix': this.prefix,
      'node.id': String(nodeId),
      'broker.session.timeout.ms': '2000',
      'offsets.topic.num.partitions': '3',
      'replica.fetch.backoff.ms': '200',
      'replica.fetch.wait.max.ms': '200',
      ...this.extra,
    };
  }

  async startBroker(nodeId: number, config: Record<string, string> = {}): Promise<ChildBroker> {
    let dir = this.dataDirs.get(nodeId);
    if (!dir) this.dataDirs.set(nodeId, (dir = tempDataDir(`brook-proc${nodeId}-`)));
    const b = await startChildBroker(dir, { ...this.configFor(nodeId), ...config }, this.startTimeoutMs, this.args);
    this.brokers.set(nodeId, b);
    return b;
  }

  get bootstrap(): string[] {
    return [...this.brokers.values()].map((b) => `127.0.0.1:${b.port}`);
  }

  /** SIGKILL: no shutdown code runs; its etcd lease expires after broker.session.timeout.ms. */
  async kill9(nodeId: number): Promise<void> {
    const b = this.brokers.get(nodeId);
    this.brokers.delete(nodeId);
    if (b) this.killedLogs.push([nodeId, b.logs]);
    await b?.kill9();
  }

  /** A kafkajs admin on the live brokers (recreated when the set changed). */
  async adminClient(via: number[] = [...this.brokers.keys()]): Promise<Admin> {
    if (this.admin) await this.admin.disconnect().catch(() => undefined);
    const brokers = via.map((id) => `127.0.0.1:${this.brokers.get(id)!.port}`);
    this.admin = new Kafka({ clientId: 'faults-admin', brokers, logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 100 } }).admin();
    await this.admin.connect();
    return this.admin;
  }

  /** Leader, replicas and ISR of one partition as a client sees them (Metadata). */
  async partition(topic: string, partition: number, via?: number[]): Promise<{ leader: number; replicas: number[]; isr: number[] }> {
    const admin = await this.adminClient(via);
    const md = await admin.fetchTopicMetadata({ topics: [topic] });
    const p = md.topics[0]!.partitions.find((x) => x.partitionId === partition)!;
    return { leader: p.leader, replicas: p.replicas, isr: p.isr };
  }

  /** The partition as one given broker describes it (a client may be routed to any broker; this asks exactly one). */
  async partitionAt(nodeId: number, topic: string, partition: number): Promise<{ leader: number; leaderEpoch: number; isr: number[] }> {
    const client = await RawClient.connect(this.brokers.get(nodeId)!.port);
    try {
      const md = await client.request<MetadataResponse>(ApiKey.Metadata, 9, { topics: [{ name: topic }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
      const p = md.topics[0]!.partitions.find((x) => x.partitionIndex === partition)!;
      return { leader: p.leaderId, leaderEpoch: p.leaderEpoch, isr: p.isrNodes };
    } finally {
      client.close();
    }
  }

  /**
   * Every broker's warning and error log lines (and those of brokers killed meanwhile), oldest first: what a failed
   * test prints, since the child processes' output is otherwise only kept in memory.
   */
  failureReport(): string[] {
    const lines: Array<{ time: number; line: string }> = [];
    for (const [nodeId, logs] of [...this.killedLogs, ...[...this.brokers].map(([id, b]) => [id, b.logs] as const)]) {
      for (const l of logs) if (typeof l.level === 'number' && l.level >= 40) lines.push({ time: Number(l.time ?? 0), line: `broker ${nodeId}: ${JSON.stringify(l)}` });
    }
    return lines.sort((a, b) => a.time - b.time).map((l) => l.line);
  }

  async stop(): Promise<void> {
    await this.admin?.disconnect().catch(() => undefined);
    await Promise.all([...this.brokers.values()].map((b) => b.kill9()));
    this.brokers.clear();
    for (const d of this.dataDirs.values()) rmSync(d, { recursive: true, force: true });
    await this.etcd.stop();
  }
}

/** How the cluster tests poll (test/helpers/eventually.ts): a broker may be down mid-check, so errors mean "not yet". */
export const CLUSTER_POLL = { ms: 30_000, intervalMs: 100, retryErrors: true } as const;
