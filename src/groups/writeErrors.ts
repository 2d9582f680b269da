import { ErrorCode } from '../../protocol/errors';
import { writeErrorCode } from '../internalTopics/writeErrors';

/**
 * Kafka's answer for a group coordinator write that failed (the KIP-848 group
 * coordinator's mapping, used for offset commits and group state alike): a lost
 * leadership is NOT_COORDINATOR, too few replicas or a timeout
 * COORDINATOR_NOT_AVAILABLE, so clients look the coordinator up again and retry
 * (older clients do not all retry REQUEST_TIMED_OUT on a commit).
 */
export function groupWriteError(err: unknown): number {
  switch (writeErrorCode(err)) {
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    default:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  }
}
