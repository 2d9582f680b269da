import type { Socket } from 'node:net';

/**
 * Socket reads into one buffer shared by every plain TCP connection, instead
 * of a fresh ArrayBuffer per read.
 *
 * Node gives each read of a socket its own new ArrayBuffer (up to 64 KiB). V8
 * counts those as external memory and frees them only after a scavenge, and a
 * broker that allocates little on its heap scavenges rarely: at a few hundred
 * MB/s of produce, the unswept read buffers pass V8's external-memory limit
 * between scavenges and start a mark-compact of the whole heap several times
 * a second (bench/README.md, "mark-compacts paced by request buffers").
 *
 * Node's `onread` option (a caller's buffer for every read) is offered for
 * client sockets only; `net.Server` has no way to pass it. Node implements it
 * with two symbol-keyed fields that every socket has and a `useUserBuffer`
 * call on the handle; they are set here on an accepted socket, which then
 * reads as a client socket with `onread` does (pause/resume included). Where
 * a Node version lacks them this returns false and the connection keeps its
 * 'data' events (test/broker/sharedReadBuffer.test.ts says which path runs).
 *
 * One buffer serves all connections because reads are delivered one at a
 * time on the event loop and a read's callback consumes it synchronously:
 * whatever must outlive the callback (a frame, an incomplete frame's bytes)
 * is copied out by the FrameDecoder (`transient` chunks).
 */
const READ_BYTES = 64 * 1024;
let shared: Buffer | null = null;

interface UserBufferHandle {
  useUserBuffer?: (buf: Uint8Array) => void;
}

/** Makes `socket` read into the shared buffer and hand each read to `onChunk`; false when Node does not allow it. */
export function readIntoSharedBuffer(socket: Socket, onChunk: (chunk: Buffer) => void): boolean {
  const handle = (socket as Socket & { _handle?: UserBufferHandle | null })._handle;
  if (!handle || typeof handle.useUserBuffer !== 'function') return false;
  let kBuffer: symbol | undefined;
  let kBufferCb: symbol | undefined;
  for (const s of Object.getOwnPropertySymbols(socket)) {
    if (s.description === 'kBuffer') kBuffer = s;
    else if (s.description === 'kBufferCb') kBufferCb = s;
  }
  if (kBuffer === undefined || kBufferCb === undefined) return false;
  const buf = (shared ??= Buffer.allocUnsafeSlow(READ_BYTES));
  const fields = socket as unknown as Record<symbol, unknown>;
  fields[kBuffer] = buf;
  // returning nothing keeps reading; the connection pauses the socket itself when overloaded
  fields[kBufferCb] = (nread: number): void => onChunk(buf.subarray(0, nread));
  handle.useUserBuffer(buf);
  return true;
}
