import { buildRecordBatch } from '../../protocol/records';
import { replayKeyedLog } from '../internalTopics/replayKeyedLog';
import type { PartitionLog } from '../../storage';
import type { BrokerCore } from '../brokerCore';
import type { CreateTopicOptions } from '../metadata/types';
import { TXN_STATE_TOPIC } from '../internalTopics/names';
import { CoordinatorWriteError } from '../internalTopics/writeErrors';
import { clusterConfig } from '../metadata/etcd/clusterConfig';
import { ensureInternalTopic } from '../metadata/internalTopicReplicas';
import { partitionWriter, type PartitionWriter } from '../replication/partitionWriter';
import type { ReplicatedBroker } from '../replication/replicatedBroker';

/** Kafka's transaction.state.log.min.isr default. */
const DEFAULT_MIN_ISR = 2;
/** Kafka's request.timeout.ms default: how long a transaction state write waits for the ISR. */
const DEFAULT_WRITE_TIMEOUT_MS = 30_000;

export { TXN_STATE_TOPIC } from '../internalTopics/names';

/**
 * How `__transaction_state` is created (by its first write or by FindCoordinator): one compacted partition with
 * transaction.state.log.replication.factor replicas (else offsets.topic.replication.factor, Brook's internal-topic
 * default), created only once that many brokers are alive (ensureInternalTopic); and, as Kafka creates it, the
 * topic config min.insync.replicas=transaction.state.log.min.isr, bounded by the replication factor.
 */
export function txnStateTopicOptions(services: Pick<BrokerCore, 'config' | 'clustered' | 'metadata'>): CreateTopicOptions & { partitions: number; internal: true; configs: Record<string, string> } {
  const configs: Record<string, string> = { 'cleanup.policy': 'compact' };
  if (!services.clustered) return { partitions: 1, internal: true, replicationFactor: undefined, configs };
  const raw = services.config.raw;
  const rf = Number(raw['transaction.state.log.replication.factor']);
  const asked = Number.isInteger(rf) && rf >= 1 ? rf : clusterConfig(services.config).internalReplicationFactor;
  const replicationFactor = asked;
  const minIsr = Number(raw['transaction.state.log.min.isr'] ?? DEFAULT_MIN_ISR);
  configs['min.insync.replicas'] = String(Math.min(Number.isInteger(minIsr) && minIsr > 0 ? minIsr : DEFAULT_MIN_ISR, replicationFactor));
  return { partitions: 1, internal: true, replicationFactor, configs };
}

export interface TxnLogRecord {
  key: Buffer;
  value: Buffer | null;
}

/**
 * The coordinator's durable state: a compacted internal topic, created on the
 * first transactional id like Kafka's. One partition, since one broker
 * coordinates every transactional id.
 */
export class TxnStateLog {
  private log: PartitionLog | null = null;
  private opening: Promise<PartitionLog> | null = null;
  private readonly writer: PartitionWriter;
  private readonly timeoutMs: number;

  constructor(private readonly services: ReplicatedBroker) {
    this.writer = partitionWriter(services);
    this.timeoutMs = Number(services.config.raw['request.timeout.ms'] ?? DEFAULT_WRITE_TIMEOUT_MS);
  }

  private ensureOpen(): Promise<PartitionLog> {
    if (this.log) return Promise.resolve(this.log);
    this.opening ??= (async () => {
      const topic = await ensureInternalTopic(this.services.metadata, TXN_STATE_TOPIC, txnStateTopicOptions(this.services));
      void topic;
      if (this.services.clustered) {
        // Only replicas keep the log (the metadata follower creates it); the coordinator is its leader.
        const log = this.services.logs.get(TXN_STATE_TOPIC, 0);
        if (!log) throw new Error(`no replica of ${TXN_STATE_TOPIC}-0 on this broker`);
        // a log found at start opens (after a crash: recovers) before its state is read
        await log.open();
        this.log = log;
        return log;
      }
      this.log = await this.services.logs.create(TXN_STATE_TOPIC, 0, { cleanupPolicy: 'compact' });
      return this.log;
    })().catch((err) => {
      this.opening = null;
      throw err;
    });
    return this.opening;
  }

  async append(records: readonly TxnLogRecord[]): Promise<void> {
    const log = await this.ensureOpen();
    // acks=all: not durable (nor answered, nor acted on) until the ISR has it
    const out = await this.writer.write(TXN_STATE_TOPIC, 0, this.timeoutMs, () => log.append(buildRecordBatch({ records: records.map((r) => ({ key: r.key, value: r.value })) })));
    if (out.errorCode !== 0) throw new CoordinatorWriteError(out.errorCode, `${TXN_STATE_TOPIC} write failed with error ${out.errorCode}`);
  }

  /** Every record so far in log order; nothing when the topic was never created. */
  async *load(): AsyncIterable<TxnLogRecord> {
    if (!this.services.metadata.topic(TXN_STATE_TOPIC)) return;
    if (this.services.clustered && !this.services.logs.get(TXN_STATE_TOPIC, 0)) return;
    yield* replayKeyedLog(await this.ensureOpen());
  }
}
