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

/**
 * Continues after peekHeader: client id (header v1+) and tagged fields (header v2). A connection passes its
 * ClientIdMemo, so that the id it sends with every request is decoded once.
 */
export function readHeaderRest(r: Reader, headerVersion: number, clientIds?: ClientIdMemo): string | null {
  if (headerVersion < 1) return null;
  const clientId = clientIds ? clientIds.read(r) : r.nullableString();
  if (headerVersion >= 2) skipTaggedFields(r);
  return clientId;
}

/**
 * A connection's last client id: its requests carry the same one every time, so when the id's bytes equal the
 * last id's, that string is returned again and no string is decoded for it. Only ASCII ids are remembered (then
 * bytes and characters correspond one to one), and only the string: an idle connection holds nothing more than
 * it did.
 */
export class ClientIdMemo {
  private last: string | null = null;

  /** The nullable string at the reader's position (the header's client id), reusing the last one when it matches. */
  read(r: Reader): string | null {
    const last = this.last;
    const at = r.offset;
    // a prefix that does not fit is left to nullableString(), which throws the DecodeError
    if (last !== null && at + 2 + last.length <= r.end && r.buf.readInt16BE(at) === last.length && sameAscii(r.buf, at + 2, last)) {
      r.skip(2 + last.length);
      return last;
    }
    const id = r.nullableString();
    this.last = id !== null && isAscii(id) ? id : null;
    return id;
  }
}

/** Whether the bytes at `at` are the characters of `s`, an ASCII string. */
function sameAscii(buf: Buffer, at: number, s: string): boolean {
  for (let i = 0; i < s.length; i++) if (buf[at + i] !== s.charCodeAt(i)) return false;
  return true;
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
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
