import type { LogConfig } from './config';
import type { StorageFs } from './fs';
import type { StorageLogger } from './logger';

/** How a LogManager (./logManager.ts) is set up. */
export interface LogManagerOptions {
  dataDir: string;
  logger?: StorageLogger;
  defaults?: Partial<LogConfig>;
  /** File-system layer; tests inject failures here. */
  fs?: StorageFs;
  /** Background work period (retention, compaction, flush.ms, idle handles); 0 disables the timer. */
  schedulerIntervalMs?: number;
  /** Segment descriptors (active segments included) kept open at most over all partitions, and closed after this idle time. */
  maxOpenSegmentHandles?: number;
  idleHandleMs?: number;
  /** Logs recovered at once in the background after a crash (default 16); 0: only on first use (tests). */
  recoveryConcurrency?: number;
  /** producer.id.expiration.ms of every log's producer state (default Kafka's 24 h). */
  producerExpirationMs?: number;
  /** Producer-free bytes since a log's newest producer-state snapshot above which shutdown writes one (default 1 MiB). */
  producerSnapshotAfterBytes?: number;
  /** Period of the `log-summary` checkpoint of settled logs (default 30 s; 0: only at shutdown). */
  checkpointIntervalMs?: number;
  /** Idle time after which an open log goes back to unopened (default 5 min; 0: never). */
  idleLogMs?: number;
  /** Topic-level overrides for the logs of a topic found at start (the broker reads them from metadata). */
  topicConfig?: (topic: string) => Partial<LogConfig> | null;
}
