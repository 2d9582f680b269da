import { ErrorCode } from '../../protocol/errors';
import { writeErrorCode } from '../internalTopics/replicatedWrites';

/**
 * Kafka's answer for an offset commit whose write failed (GroupMetadataManager):
 * too few replicas is COORDINATOR_NOT_AVAILABLE, a lost leadership NOT_COORDINATOR,
 * a timeout stays REQUEST_TIMED_OUT.
 */
export function commitWriteError(err: unknown): number {
  const code = writeErrorCode(err);
  switch (code) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    default:
      return code;
  }
}

/** The same for group state writes (join/sync, deletions): a timeout there is COORDINATOR_NOT_AVAILABLE too. */
export function groupWriteError(err: unknown): number {
  const code = commitWriteError(err);
  return code === ErrorCode.REQUEST_TIMED_OUT ? ErrorCode.COORDINATOR_NOT_AVAILABLE : code;
}
