/**
 * Per-log configuration, named after Kafka's topic configs (segment.bytes,
 * retention.ms, ...) so topic configs map one to one.
 */
export type CleanupPolicy = 'delete' | 'compact' | 'compact,delete';
export type TimestampType = 'CreateTime' | 'LogAppendTime';

export interface LogConfig {
  segmentBytes: number;
  segmentMs: number;
  /** -1 = infinite */
  retentionMs: number;
  /** -1 = infinite */
  retentionBytes: number;
  cleanupPolicy: CleanupPolicy;
  flushMessages: number;
  flushMs: number;
  /** Acknowledge an append only after its bytes are fsynced (group commit). */
  fsyncOnAppend: boolean;
  messageTimestampType: TimestampType;
  /**
   * message.timestamp.before.max.ms / after.max.ms / difference.max.ms: how far a CreateTime timestamp may lie
   * behind or ahead of the broker clock (NEVER = unbounded). Checked by Produce, not by storage.
   */
  timestampBeforeMaxMs: number;
  timestampAfterMaxMs: number;
  timestampDifferenceMaxMs: number;
  indexIntervalBytes: number;
  maxMessageBytes: number;
  /** delete.retention.ms: how long compaction keeps tombstones. */
  deleteRetentionMs: number;
  /** brook.index.keys: keep a per-segment key-hash index so lookups by key need no scan. */
  keyIndex: boolean;
  /** Keep a per-segment tag index (set by the broker on sources of filtered views; not a topic config). */
  tagIndex: boolean;
}

/** Kafka's "Long.MAX_VALUE = never" expressed in a JS number. */
export const NEVER = Number.MAX_SAFE_INTEGER;

export const DEFAULT_LOG_CONFIG: LogConfig = Object.freeze({
  segmentBytes: 1024 * 1024 * 1024,
  segmentMs: 7 * 24 * 3600 * 1000,
  retentionMs: 7 * 24 * 3600 * 1000,
  retentionBytes: -1,
  cleanupPolicy: 'delete',
  flushMessages: NEVER,
  flushMs: NEVER,
  fsyncOnAppend: false,
  messageTimestampType: 'CreateTime',
  timestampBeforeMaxMs: NEVER,
  timestampAfterMaxMs: NEVER,
  timestampDifferenceMaxMs: NEVER,
  indexIntervalBytes: 4096,
  maxMessageBytes: 1024 * 1024 + 12,
  deleteRetentionMs: 24 * 3600 * 1000,
  keyIndex: false,
  tagIndex: false,
}) as LogConfig;

/** Relative offsets are stored as int32 in the indexes, so a segment spans fewer offsets than this. */
export const MAX_RELATIVE_OFFSET = 0x7fffffff;

/** Positions are stored as uint32 in the indexes. */
export const MAX_SEGMENT_BYTES = 0xffffffff;

export function mergeConfig(base: LogConfig, over?: Partial<LogConfig>): LogConfig {
  const merged: LogConfig = { ...base };
  if (!over) return merged;
  for (const key of Object.keys(over) as Array<keyof LogConfig>) {
    const value = over[key];
    if (value !== undefined) (merged as unknown as Record<string, unknown>)[key] = value;
  }
  if (merged.segmentBytes > MAX_SEGMENT_BYTES) merged.segmentBytes = MAX_SEGMENT_BYTES;
  return merged;
}

export function compacts(config: LogConfig): boolean {
  return config.cleanupPolicy === 'compact' || config.cleanupPolicy === 'compact,delete';
}

export function deletes(config: LogConfig): boolean {
  return config.cleanupPolicy === 'delete' || config.cleanupPolicy === 'compact,delete';
}
