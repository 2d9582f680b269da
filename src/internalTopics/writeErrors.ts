import { ErrorCode } from '../../protocol/errors';

/** A coordinator's write to its internal topic failed with this Kafka error code (before or after the local append). */
export class CoordinatorWriteError extends Error {
  constructor(
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'CoordinatorWriteError';
  }
}

/** The Kafka error code of a failed coordinator write; other failures (storage) count as COORDINATOR_NOT_AVAILABLE. */
export function writeErrorCode(err: unknown): number {
  return err instanceof CoordinatorWriteError ? err.errorCode : ErrorCode.COORDINATOR_NOT_AVAILABLE;
}
