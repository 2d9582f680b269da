import type { CleanupPolicy, LogConfig, TimestampType } from '../../storage/config';

/**
 * Kafka spells the same setting differently at broker level (log.retention.ms)
 * and topic level (retention.ms); both map to one storage LogConfig field.
 */
type Parser = (v: string) => LogConfig[keyof LogConfig];

const int = (v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || !Number.isInteger(n)) throw new Error(`not an integer: ${v}`);
  // Kafka's Long.MAX_VALUE means "never"; keep it a safe JS number.
  return n > Number.MAX_SAFE_INTEGER ? Number.MAX_SAFE_INTEGER : n;
};
const policy = (v: string): CleanupPolicy => {
  const parts = v.split(',').map((p) => p.trim()).filter(Boolean).sort();
  const norm = parts.join(',');
  if (norm === 'delete' || norm === 'compact' || norm === 'compact,delete') return norm;
  throw new Error(`invalid cleanup.policy: ${v}`);
};
const tsType = (v: string): TimestampType => {
  if (v === 'CreateTime' || v === 'LogAppendTime') return v;
  throw new Error(`invalid message.timestamp.type: ${v}`);
};
const bool = (v: string): boolean => {
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new Error(`not a boolean: ${v}`);
};

interface Mapping {
  field: keyof LogConfig;
  parse: Parser;
  /** Unit multiplier for hours/minutes variants. */
  scale?: number;
}

const TOPIC_KEYS: Record<string, Mapping> = {
  'segment.bytes': { field: 'segmentBytes', parse: int },
  'segment.ms': { field: 'segmentMs', parse: int },
  'retention.ms': { field: 'retentionMs', parse: int },
  'retention.bytes': { field: 'retentionBytes', parse: int },
  'cleanup.policy': { field: 'cleanupPolicy', parse: policy },
  'flush.messages': { field: 'flushMessages', parse: int },
  'flush.ms': { field: 'flushMs', parse: int },
  'max.message.bytes': { field: 'maxMessageBytes', parse: int },
  'message.timestamp.type': { field: 'messageTimestampType', parse: tsType },
  'message.timestamp.before.max.ms': { field: 'timestampBeforeMaxMs', parse: int },
  'message.timestamp.after.max.ms': { field: 'timestampAfterMaxMs', parse: int },
  'message.timestamp.difference.max.ms': { field: 'timestampDifferenceMaxMs', parse: int },
  'index.interval.bytes': { field: 'indexIntervalBytes', parse: int },
  'delete.retention.ms': { field: 'deleteRetentionMs', parse: int },
  'brook.fsync.on.append': { field: 'fsyncOnAppend', parse: bool },
  'brook.index.keys': { field: 'keyIndex', parse: bool },
};

// Broker-level names; the more precise unit wins (ms over minutes over hours) by applying in this order.
const BROKER_KEYS: Array<[string, Mapping]> = [
  ['log.segment.bytes', TOPIC_KEYS['segment.bytes']],
  ['log.roll.hours', { field: 'segmentMs', parse: int, scale: 3600_000 }],
  ['log.roll.ms', TOPIC_KEYS['segment.ms']],
  ['log.retention.hours', { field: 'retentionMs', parse: int, scale: 3600_000 }],
  ['log.retention.minutes', { field: 'retentionMs', parse: int, scale: 60_000 }],
  ['log.retention.ms', TOPIC_KEYS['retention.ms']],
  ['log.retention.bytes', TOPIC_KEYS['retention.bytes']],
  ['log.cleanup.policy', TOPIC_KEYS['cleanup.policy']],
  ['log.flush.interval.messages', TOPIC_KEYS['flush.messages']],
  ['log.flush.interval.ms', TOPIC_KEYS['flush.ms']],
  ['message.max.bytes', TOPIC_KEYS['max.message.bytes']],
  ['log.message.timestamp.type', TOPIC_KEYS['message.timestamp.type']],
  ['log.message.timestamp.before.max.ms', TOPIC_KEYS['message.timestamp.before.max.ms']],
  ['log.message.timestamp.after.max.ms', TOPIC_KEYS['message.timestamp.after.max.ms']],
  ['log.message.timestamp.difference.max.ms', TOPIC_KEYS['message.timestamp.difference.max.ms']],
  ['log.index.interval.bytes', TOPIC_KEYS['index.interval.bytes']],
  ['log.cleaner.delete.retention.ms', TOPIC_KEYS['delete.retention.ms']],
  ['log.flush.on.append', TOPIC_KEYS['brook.fsync.on.append']],
];

function apply(out: Partial<LogConfig>, m: Mapping, key: string, value: string): void {
  let v: LogConfig[keyof LogConfig];
  try {
    v = m.parse(value);
  } catch (err) {
    throw new Error(`${key}: ${(err as Error).message}`);
  }
  if (m.scale !== undefined && typeof v === 'number' && v >= 0) v = v * m.scale;
  (out as Record<string, unknown>)[m.field] = v;
}

/** Broker properties (log.*, message.max.bytes) -> storage defaults. */
export function logDefaultsFromBrokerProps(props: Record<string, string>): Partial<LogConfig> {
  const out: Partial<LogConfig> = {};
  for (const [key, m] of BROKER_KEYS) if (props[key] !== undefined) apply(out, m, key, props[key]);
  return out;
}

export function isKnownTopicConfig(key: string): boolean {
  return key in TOPIC_KEYS;
}

/** Topic configs (retention.ms, ...) -> LogConfig overrides. Unknown keys are ignored here (validated on alter). */
export function logConfigFromTopicConfigs(configs: Record<string, string>): Partial<LogConfig> {
  const out: Partial<LogConfig> = {};
  for (const [key, value] of Object.entries(configs)) {
    const m = TOPIC_KEYS[key];
    if (m) apply(out, m, key, value);
  }
  return out;
}

/** Throws with a readable message when a topic config value cannot be used. */
export function validateTopicConfig(key: string, value: string): void {
  const m = TOPIC_KEYS[key];
  if (!m) throw new Error(`unknown topic config ${key}`);
  apply({}, m, key, value);
}
