import { ErrorCode } from '../protocol/errors';

export type StorageErrorCode =
  | typeof ErrorCode.KAFKA_STORAGE_ERROR
  | typeof ErrorCode.OFFSET_OUT_OF_RANGE
  | typeof ErrorCode.CORRUPT_MESSAGE
  | typeof ErrorCode.MESSAGE_TOO_LARGE
  | typeof ErrorCode.RECORD_LIST_TOO_LARGE
  /** The log is being truncated by replication (it just stopped leading). */
  | typeof ErrorCode.NOT_LEADER_OR_FOLLOWER;

/**
 * The one error type storage hands to its callers. `code` is the Kafka error
 * code the broker should answer with, so the request layer needs no mapping.
 */
export class StorageError extends Error {
  constructor(
    readonly code: StorageErrorCode,
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'StorageError';
  }
}

export function storageFailure(what: string, cause: unknown): StorageError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new StorageError(ErrorCode.KAFKA_STORAGE_ERROR, `${what}: ${detail}`, cause);
}

export function offsetOutOfRange(offset: number, start: number, end: number): StorageError {
  return new StorageError(
    ErrorCode.OFFSET_OUT_OF_RANGE,
    `offset ${offset} is outside the log range [${start}, ${end}]`,
  );
}

export function corrupt(message: string): StorageError {
  return new StorageError(ErrorCode.CORRUPT_MESSAGE, message);
}
