// Public surface of record batch handling; batchHeader stays importable on its own for storage.
export * from './batchHeader';
export * from './types';
export * from './compression';
export * from './batch';
export * from './control';
export * from './validate';
export * from './legacy';
export { encodeRecords, decodeRecords, MIN_RECORD_SIZE } from './recordCodec';
