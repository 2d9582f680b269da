import { Writer } from '../../protocol/codec/writer';
import type { RegisteredApi } from '../handlers/registry';
import { writeResponseHeader } from './requestHeader';

/**
 * Size prefix + response header + body as a list of chunks. Record payloads
 * are linked by the Writer, not copied, so a Fetch answer's batches go from
 * the storage read buffers straight to the socket.
 */
export function encodeResponseFrame(api: Pick<RegisteredApi, 'responseHeaderVersion' | 'encodeResponse'>, version: number, correlationId: number, body: unknown): Buffer[] {
  const w = new Writer();
  const setSize = w.reserveInt32();
  writeResponseHeader(w, api.responseHeaderVersion(version), correlationId);
  api.encodeResponse(w, version, body);
  setSize(w.length - 4);
  return w.chunksOut();
}
