import { Writer } from '../../protocol/codec/writer';
import type { RegisteredApi } from '../handlers/registry';
import { writeResponseHeader } from './requestHeader';

/**
 * First scratch size of the responses' encoder: most answers (Produce, commits, heartbeats) are under 100 bytes.
 */
const RESPONSE_SCRATCH_BYTES = 256;

const responseWriter = Writer.reusable(RESPONSE_SCRATCH_BYTES);

/**
 * Size prefix + response header + body as a list of chunks. Record payloads
 * are linked by the Writer, not copied, so a Fetch answer's batches go from
 * the storage read buffers straight to the socket.
 */
export function encodeResponseFrame(api: Pick<RegisteredApi, 'responseHeaderVersion' | 'encodeResponse'>, version: number, correlationId: number, body: unknown): Buffer[] {
  // one writer for every answer: encoding is synchronous and never nested, so only its output needs copying
  const w = responseWriter.reset();
  w.reserveFrameSize();
  writeResponseHeader(w, api.responseHeaderVersion(version), correlationId);
  api.encodeResponse(w, version, body);
  w.setFrameSize();
  return w.chunksOutDetached();
}
