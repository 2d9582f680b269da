import { Reader } from './codec/reader';
import { Writer } from './codec/writer';
import { apiDescriptor } from './generated/apis';

/**
 * The client side of Kafka framing, for every place that talks to a broker with
 * the generated codecs (replica fetchers, marker senders, the admin CLI, tests):
 * one way to frame a request and to read the header in front of a response.
 */

/**
 * A size-prefixed request frame. Returned as the Writer so callers pick between
 * `toBuffer()` and `chunksOut()` (large record sets stay linked, never copied).
 */
export function encodeRequestFrame(apiKey: number, version: number, correlationId: number, clientId: string | null, body: unknown): Writer {
  const d = apiDescriptor(apiKey);
  if (!d) throw new Error(`no codec for api key ${apiKey}`);
  const w = new Writer();
  w.reserveFrameSize();
  const headerVersion = d.requestHeaderVersion(version);
  w.int16(apiKey).int16(version).int32(correlationId);
  if (headerVersion >= 1) w.nullableString(clientId);
  if (headerVersion >= 2) w.uvarint(0); // no tagged fields in the header
  d.encodeRequest(w, version, body);
  w.setFrameSize();
  return w;
}

/** The correlation id at the head of a response frame (size prefix already stripped); -1 when too short for one. */
export function peekCorrelationId(frame: Buffer): number {
  return frame.length >= 4 ? frame.readInt32BE(0) : -1;
}

/** Decodes a response frame's body after its header (correlation id, then tagged fields in flexible versions). */
export function decodeResponseFrame<T>(apiKey: number, version: number, frame: Buffer): T {
  const d = apiDescriptor(apiKey);
  if (!d) throw new Error(`no codec for api key ${apiKey}`);
  const r = new Reader(frame);
  r.int32();
  if (d.responseHeaderVersion(version) >= 1) {
    const n = r.uvarint();
    for (let i = 0; i < n; i++) {
      r.uvarint();
      r.skip(r.uvarint());
    }
  }
  return d.decodeResponse(r, version) as T;
}
