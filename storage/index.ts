export { DEFAULT_LOG_CONFIG, type LogConfig, type CleanupPolicy } from './config';
export { StorageError } from './errors';
export { LogManager, type LogManagerOptions, type PartitionFacts } from './logManager';
export { PartitionLog, type AppendResult, type AppendSink, type ReadResult, type AppendOptions, type ReadOptions } from './partitionLog';
export { nodeFs, type StorageFs } from './fs';
export type { StorageLogger } from './logger';
