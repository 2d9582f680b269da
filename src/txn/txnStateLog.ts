import { buildRecordBatch } from '../../protocol/records';
import { replayKeyedLog } from '../internalTopics/replayKeyedLog';
import type { PartitionLog } from '../../storage';
import type { BrokerServices } from '../handlers/types';

export const TXN_STATE_TOPIC = '__transaction_state';

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

  constructor(private readonly services: BrokerServices) {}

  private ensureOpen(): Promise<PartitionLog> {
    if (this.log) return Promise.resolve(this.log);
    this.opening ??= (async () => {
      const topic = await this.services.metadata.ensureTopic(TXN_STATE_TOPIC, { partitions: 1, internal: true, configs: { 'cleanup.policy': 'compact' } });
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
    await log.append(buildRecordBatch({ records: records.map((r) => ({ key: r.key, value: r.value })) }));
  }

  /** Every record so far in log order; nothing when the topic was never created. */
  async *load(): AsyncIterable<TxnLogRecord> {
    if (!this.services.metadata.topic(TXN_STATE_TOPIC)) return;
    if (this.services.clustered && !this.services.logs.get(TXN_STATE_TOPIC, 0)) return;
    yield* replayKeyedLog(await this.ensureOpen());
  }
}
