/** Coordinator settings, named after Kafka's broker properties they mirror. */
export interface GroupConfig {
  /** group.min.session.timeout.ms */
  minSessionTimeoutMs: number;
  /** group.max.session.timeout.ms */
  maxSessionTimeoutMs: number;
  /** group.initial.rebalance.delay.ms */
  initialRebalanceDelayMs: number;
  /** group.max.size */
  maxGroupSize: number;
  /** offset.metadata.max.bytes */
  offsetMetadataMaxBytes: number;
  /** offsets.retention.minutes, in ms */
  offsetsRetentionMs: number;
  /** offsets.retention.check.interval.ms */
  offsetsRetentionCheckIntervalMs: number;
  /** offsets.topic.num.partitions */
  offsetsTopicPartitions: number;
  /** group.consumer.session.timeout.ms (KIP-848 groups) */
  consumerSessionTimeoutMs: number;
  /** group.consumer.heartbeat.interval.ms (KIP-848 groups) */
  consumerHeartbeatIntervalMs: number;
  /** group.consumer.min.session.timeout.ms / max: the range a group's consumer.session.timeout.ms may be set in */
  consumerMinSessionTimeoutMs: number;
  consumerMaxSessionTimeoutMs: number;
  /** group.consumer.min.heartbeat.interval.ms / max: the range a group's consumer.heartbeat.interval.ms may be set in */
  consumerMinHeartbeatIntervalMs: number;
  consumerMaxHeartbeatIntervalMs: number;
  /** offsets.commit.timeout.ms: how long a coordinator write waits for the ISR (cluster mode) */
  offsetsCommitTimeoutMs: number;
}

export const DEFAULT_GROUP_CONFIG: GroupConfig = {
  minSessionTimeoutMs: 6_000,
  maxSessionTimeoutMs: 1_800_000,
  initialRebalanceDelayMs: 3_000,
  maxGroupSize: Number.MAX_SAFE_INTEGER,
  offsetMetadataMaxBytes: 4096,
  offsetsRetentionMs: 7 * 24 * 60 * 60 * 1000,
  offsetsRetentionCheckIntervalMs: 600_000,
  offsetsTopicPartitions: 50,
  consumerSessionTimeoutMs: 45_000,
  consumerHeartbeatIntervalMs: 5_000,
  // Kafka's defaults
  consumerMinSessionTimeoutMs: 45_000,
  consumerMaxSessionTimeoutMs: 60_000,
  consumerMinHeartbeatIntervalMs: 5_000,
  consumerMaxHeartbeatIntervalMs: 15_000,
  offsetsCommitTimeoutMs: 5_000,
};

/** A KIP-848 group's own timeouts (Kafka's group configs consumer.session.timeout.ms / consumer.heartbeat.interval.ms); null = the broker's. */
export interface ConsumerGroupOverrides {
  consumerSessionTimeoutMs: number | null;
  consumerHeartbeatIntervalMs: number | null;
}

/** The session timeout and heartbeat interval of a KIP-848 group: its own configs, else the broker's. */
export function consumerTimeouts(config: GroupConfig, own: ConsumerGroupOverrides | undefined): { sessionTimeoutMs: number; heartbeatIntervalMs: number } {
  return { sessionTimeoutMs: own?.consumerSessionTimeoutMs ?? config.consumerSessionTimeoutMs, heartbeatIntervalMs: own?.consumerHeartbeatIntervalMs ?? config.consumerHeartbeatIntervalMs };
}

/** Maps Kafka-style properties (`group.initial.rebalance.delay.ms=0`) onto a GroupConfig. */
export function groupConfigFromProperties(props: ReadonlyMap<string, string> | Record<string, string>): Partial<GroupConfig> {
  const get = (k: string): string | undefined => (props instanceof Map ? props.get(k) : (props as Record<string, string>)[k]);
  const num = (k: string): number | undefined => {
    const v = get(k);
    if (v === undefined) return undefined;
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  };
  const out: Partial<GroupConfig> = {};
  const set = <K extends keyof GroupConfig>(key: K, v: number | undefined): void => {
    if (v !== undefined) out[key] = v;
  };
  set('minSessionTimeoutMs', num('group.min.session.timeout.ms'));
  set('maxSessionTimeoutMs', num('group.max.session.timeout.ms'));
  set('initialRebalanceDelayMs', num('group.initial.rebalance.delay.ms'));
  set('maxGroupSize', num('group.max.size'));
  set('offsetMetadataMaxBytes', num('offset.metadata.max.bytes'));
  const retentionMinutes = num('offsets.retention.minutes');
  set('offsetsRetentionMs', retentionMinutes === undefined ? undefined : retentionMinutes * 60_000);
  set('offsetsRetentionCheckIntervalMs', num('offsets.retention.check.interval.ms'));
  set('offsetsTopicPartitions', num('offsets.topic.num.partitions'));
  set('consumerSessionTimeoutMs', num('group.consumer.session.timeout.ms'));
  set('consumerHeartbeatIntervalMs', num('group.consumer.heartbeat.interval.ms'));
  set('consumerMinSessionTimeoutMs', num('group.consumer.min.session.timeout.ms'));
  set('consumerMaxSessionTimeoutMs', num('group.consumer.max.session.timeout.ms'));
  set('consumerMinHeartbeatIntervalMs', num('group.consumer.min.heartbeat.interval.ms'));
  set('consumerMaxHeartbeatIntervalMs', num('group.consumer.max.heartbeat.interval.ms'));
  set('offsetsCommitTimeoutMs', num('offsets.commit.timeout.ms'));
  return out;
}
