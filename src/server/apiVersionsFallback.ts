import { Writer } from '../../protocol/codec/writer';
import { ErrorCode } from '../../protocol/errors';

export interface VersionRange {
  key: number;
  minVersion: number;
  maxVersion: number;
}

/**
 * Kafka's answer to an ApiVersions request of a version it does not know: an
 * UNSUPPORTED_VERSION error plus the supported ranges in the v0 layout (which
 * every client can read), header v0. The request body is not parsed, since its
 * layout is unknown to us.
 */
export function encodeApiVersionsFallback(correlationId: number, ranges: readonly VersionRange[]): Buffer[] {
  const w = new Writer(64 + ranges.length * 6);
  w.reserveFrameSize();
  w.int32(correlationId);
  w.int16(ErrorCode.UNSUPPORTED_VERSION);
  w.int32(ranges.length);
  for (const r of ranges) w.int16(r.key).int16(r.minVersion).int16(r.maxVersion);
  w.setFrameSize();
  return w.chunksOut();
}
