import { ErrorCode } from '../../../protocol/errors';
import { HttpError } from '../respond';

/**
 * A Kafka error code as the Confluent REST proxy reports it: the HTTP status
 * plus its error_code (the status, or a 5-digit refinement).
 */
export function restError(code: number, message: string | null, what: string): HttpError {
  switch (code) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.UNKNOWN_TOPIC_ID:
      return new HttpError(404, 404, message ?? `This server does not host this topic-partition. (${what})`);
    case ErrorCode.TOPIC_AUTHORIZATION_FAILED:
    case ErrorCode.GROUP_AUTHORIZATION_FAILED:
    case ErrorCode.CLUSTER_AUTHORIZATION_FAILED:
    case ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
      return new HttpError(403, 40301, message ?? `Not authorized: ${what}`);
    case ErrorCode.TOPIC_ALREADY_EXISTS:
      return new HttpError(400, 40002, message ?? `Topic already exists: ${what}`);
    case ErrorCode.INVALID_TOPIC_EXCEPTION:
    case ErrorCode.INVALID_PARTITIONS:
    case ErrorCode.INVALID_REPLICATION_FACTOR:
    case ErrorCode.INVALID_CONFIG:
    case ErrorCode.INVALID_REQUEST:
    case ErrorCode.INVALID_RECORD:
    case ErrorCode.CORRUPT_MESSAGE:
      return new HttpError(400, 40002, message ?? `Invalid request (Kafka error ${code}): ${what}`);
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
      return new HttpError(413, 413, message ?? `Record too large: ${what}`);
    case ErrorCode.POLICY_VIOLATION:
    case ErrorCode.TOPIC_DELETION_DISABLED:
      return new HttpError(403, 40302, message ?? `Not allowed by the broker's configuration: ${what}`);
    default:
      return new HttpError(500, 50002, message ?? `Kafka error ${code}: ${what}`);
  }
}
