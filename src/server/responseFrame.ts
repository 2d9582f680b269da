import { Writer } from '../../protocol/codec/writer';
import type { RegisteredApi } from '../handlers/registry';
import { writeResponseHeader } from './requestHeader';

/**
 * First scratch size of a response's encoder: most answers (Produce, commits, heartbeats) are under 100 bytes,
 * and the scratch comes from Node's shared 8 KB pool, which a 1 KB default used up every 8 answers.
 */
const RESPONSE_SCRATCH_BYTES = 256;

/**
 * Size prefix + response header + body as a list of chunks. Record payloads
 * are linked by the Writer, not copied, so a Fetch answer's batches go from
 * the storage read buffers straight to the socket.
 */
export function encodeResponseFrame(api: Pick<RegisteredApi, 'responseHeaderVersion' | 'encodeResponse'>, version: number, correlationId: number, body: unknown): Buffer[] {
  const w = new Writer(RESPONSE_SCRATCH_BYTES);
  w.reserveFrameSize();
  writeResponseHeader(w, api.responseHeaderVersion(version), correlationId);
  api.encodeResponse(w, version, body);
  w.setFrameSize();
  return w.chunksOut();
}
