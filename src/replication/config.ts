import type { BrokerConfig } from '../config/brokerConfig';

/** Replication settings, read from the broker properties under Kafka's names. */
export interface ReplicationConfig {
  /** A follower that has not caught up with the leader's log end for this long leaves the ISR. */
  replicaLagTimeMaxMs: number;
  /** Broker default of the topic config min.insync.replicas (acks=all needs this many in sync). */
  minInsyncReplicas: number;
  replicaFetchMaxBytes: number;
  replicaFetchResponseMaxBytes: number;
  replicaFetchWaitMaxMs: number;
  replicaFetchMinBytes: number;
  /** Pause after a failed replica fetch (connection refused, not leader yet). */
  replicaFetchBackoffMs: number;
  /** How often replicated logs save their high watermark. */
  highWatermarkCheckpointIntervalMs: number;
}

function intOf(raw: Record<string, string>, key: string, dflt: number): number {
  const v = raw[key];
  if (v === undefined || v.trim() === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${key} must be a non-negative integer, got ${v}`);
  return n;
}

export function replicationConfig(config: BrokerConfig): ReplicationConfig {
  const raw = config.raw;
  return {
    replicaLagTimeMaxMs: intOf(raw, 'replica.lag.time.max.ms', 30_000),
    minInsyncReplicas: Math.max(1, intOf(raw, 'min.insync.replicas', 1)),
    replicaFetchMaxBytes: intOf(raw, 'replica.fetch.max.bytes', 1024 * 1024),
    replicaFetchResponseMaxBytes: intOf(raw, 'replica.fetch.response.max.bytes', 10 * 1024 * 1024),
    replicaFetchWaitMaxMs: intOf(raw, 'replica.fetch.wait.max.ms', 500),
    replicaFetchMinBytes: Math.max(1, intOf(raw, 'replica.fetch.min.bytes', 1)),
    replicaFetchBackoffMs: intOf(raw, 'replica.fetch.backoff.ms', 1000),
    highWatermarkCheckpointIntervalMs: intOf(raw, 'replica.high.watermark.checkpoint.interval.ms', 5000),
  };
}

/** min.insync.replicas of a topic: its own config, else the broker default. */
export function minInsyncFor(topicConfigs: Record<string, string>, dflt: number): number {
  const v = Number(topicConfigs['min.insync.replicas']);
  return Number.isInteger(v) && v >= 1 ? v : dflt;
}
