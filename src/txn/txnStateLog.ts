import { buildRecordBatch } from '../../protocol/records';
import { replayKeyedLog } from '../internalTopics/replayKeyedLog';
import type { PartitionLog } from '../../storage';
import type { BrokerServices } from '../handlers/types';
import type { CreateTopicOptions } from '../metadata/types';
import { ReplicatedWrites } from '../internalTopics/replicatedWrites';

/** Kafka's transaction.state.log.min.isr default. */
const DEFAULT_MIN_ISR = 2;
/** Kafka's request.timeout.ms default: how long a transaction state write waits for the ISR. */
const DEFAULT_WRITE_TIMEOUT_MS = 30_000;

export const TXN_STATE_TOPIC = '__transaction_state';

/**
 * How `__transaction_state` is created (by its first write or by FindCoordinator): one compacted partition with
 * transaction.state.log.replication.factor replicas when set (at most the live brokers; else the metadata's
 * internal default).
 */
export function txnStateTopicOptions(services: Pick<BrokerServices, 'config' | 'clustered' | 'metadata'>): CreateTopicOptions & { partitions: number; internal: true; configs: Record<string, string> } {
  const rf = Number(services.config.raw['transaction.state.log.replication.factor']);
  const replicationFactor = services.clustered && Number.isInteger(rf) && rf >= 1 ? Math.max(1, Math.min(rf, services.metadata.brokers().length)) : undefined;
  return { partitions: 1, internal: true, replicationFactor, configs: { 'cleanup.policy': 'compact' } };
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
  private readonly writes: ReplicatedWrites;

  constructor(private readonly services: BrokerServices) {
    const raw = services.config.raw;
    const minIsr = Number(raw['transaction.state.log.min.isr'] ?? DEFAULT_MIN_ISR);
    // Kafka's topic config min.insync.replicas=transaction.state.log.min.isr, bounded by the replicas the topic got
    // (internal topics get fewer than asked when fewer brokers are live).
    this.writes = new ReplicatedWrites(services, TXN_STATE_TOPIC, {
      timeoutMs: Number(raw['request.timeout.ms'] ?? DEFAULT_WRITE_TIMEOUT_MS),
      minInsync: (replicas) => {
        const own = Number(services.metadata.topic(TXN_STATE_TOPIC)?.configs['min.insync.replicas']);
        return Number.isInteger(own) && own > 0 ? own : Math.min(Number.isInteger(minIsr) && minIsr > 0 ? minIsr : DEFAULT_MIN_ISR, replicas);
      },
    });
  }

  private ensureOpen(): Promise<PartitionLog> {
    if (this.log) return Promise.resolve(this.log);
    this.opening ??= (async () => {
      const topic = await this.services.metadata.ensureTopic(TXN_STATE_TOPIC, txnStateTopicOptions(this.services));
      void topic;
      if (this.services.clustered) {
        // Only replicas keep the log (the metadata follower creates it); the coordinator is its leader.
        const log = this.services.logs.get(TXN_STATE_TOPIC, 0);
        if (!log) throw new Error(`no replica of ${TXN_STATE_TOPIC}-0 on this broker`);
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
    ReplicatedWrites.ok(this.writes.check(0), `${TXN_STATE_TOPIC} write`);
    const res = await log.append(buildRecordBatch({ records: records.map((r) => ({ key: r.key, value: r.value })) }));
    // acks=all: not durable (nor answered, nor acted on) until the ISR has it
    if (this.writes.replicated) ReplicatedWrites.ok(await this.writes.awaitIsr(0, res.lastOffset), `${TXN_STATE_TOPIC} replication`);
  }

  /** Every record so far in log order; nothing when the topic was never created. */
  async *load(): AsyncIterable<TxnLogRecord> {
    if (!this.services.metadata.topic(TXN_STATE_TOPIC)) return;
    if (this.services.clustered && !this.services.logs.get(TXN_STATE_TOPIC, 0)) return;
    yield* replayKeyedLog(await this.ensureOpen());
  }
}
