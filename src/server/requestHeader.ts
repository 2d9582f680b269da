import { Reader } from '../../protocol/codec/reader';
import { Writer } from '../../protocol/codec/writer';

/**
 * Request/response headers are decoded here rather than through a generic
 * codec because the server must read api key and version before it knows
 * which header version applies.
 */
export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
}

/** Bytes of api key, version and correlation id, which are laid out the same in every header version. */
export const REQUEST_HEADER_PREFIX = 8;

/** Reads api key, version and correlation id, which are laid out the same in every header version. */
export function peekHeader(r: Reader): { apiKey: number; apiVersion: number; correlationId: number } {
  return { apiKey: r.int16(), apiVersion: r.int16(), correlationId: r.int32() };
}

/** Continues after peekHeader: client id (header v1+) and tagged fields (header v2). */
export function readHeaderRest(r: Reader, headerVersion: number): string | null {
  if (headerVersion < 1) return null;
  const clientId = r.nullableString();
  if (headerVersion >= 2) skipTaggedFields(r);
  return clientId;
}

export function skipTaggedFields(r: Reader): void {
  const count = r.uvarint();
  for (let i = 0; i < count; i++) {
    r.uvarint();
    r.skip(r.uvarint());
  }
}

export function writeResponseHeader(w: Writer, headerVersion: number, correlationId: number): void {
  w.int32(correlationId);
  if (headerVersion >= 1) w.uvarint(0);
}
