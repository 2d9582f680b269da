import * as net from 'node:net';
import * as tls from 'node:tls';
import { FrameDecoder } from '../../src/server/frameDecoder';
import { decodeResponseFrame, encodeRequestFrame as encodeClientRequestFrame, peekCorrelationId } from '../../protocol/clientFrames';

/** A request frame (size prefix included) built with the generated codecs. */
export function encodeRequestFrame(apiKey: number, version: number, body: unknown, correlationId: number, clientId: string | null = 'raw-test'): Buffer {
  return encodeClientRequestFrame(apiKey, version, correlationId, clientId, body).toBuffer();
}

/** A bare Kafka connection for tests that need exact control over frames. */
export class RawClient {
  // The broker's own splitter: assembles big responses without quadratic copying.
  private readonly decoder = new FrameDecoder(0x7fffffff);
  private frames: Buffer[] = [];
  private waiters: Array<() => void> = [];
  private nextCorrelation = 1;
  closed = false;
  readonly closedPromise: Promise<void>;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      const { frames, oversized } = this.decoder.push(chunk);
      if (oversized !== null) throw new Error(`response frame of ${oversized} bytes`);
      this.frames.push(...frames);
      this.wake();
    });
    this.closedPromise = new Promise((resolve) => {
      socket.on('close', () => {
        this.closed = true;
        this.wake();
        resolve();
      });
    });
    socket.on('error', () => undefined);
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, host, () => {
        s.off('error', reject);
        resolve(new RawClient(s));
      });
      s.once('error', reject);
    });
  }

  /** The same over TLS (SSL / SASL_SSL listeners). */
  static connectTls(port: number, options: tls.ConnectionOptions, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = tls.connect({ ...options, port, host }, () => {
        s.off('error', reject);
        resolve(new RawClient(s));
      });
      s.once('error', reject);
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Encodes a request frame (size prefix included) without sending it. */
  encode(apiKey: number, version: number, body: unknown, correlationId = this.nextCorrelation++, clientId: string | null = 'raw-test'): Buffer {
    return encodeRequestFrame(apiKey, version, body, correlationId, clientId);
  }

  send(frame: Buffer): void {
    this.socket.write(frame);
  }

  /** Next response frame (without size prefix); rejects if the connection closes first or after timeoutMs. */
  async nextFrame(timeoutMs = 5000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.length === 0) {
      if (this.closed) throw new Error('connection closed');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for a response');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.frames.shift()!;
  }

  /** Decodes a response frame: correlation id plus body. */
  decode<T>(apiKey: number, version: number, frame: Buffer): { correlationId: number; body: T } {
    const correlationId = peekCorrelationId(frame);
    const body = decodeResponseFrame<T>(apiKey, version, frame);
    return { correlationId, body };
  }

  /** Sends one request and waits for its response. */
  async request<T>(apiKey: number, version: number, body: unknown): Promise<T> {
    const correlationId = this.nextCorrelation++;
    this.send(this.encode(apiKey, version, body, correlationId));
    const res = this.decode<T>(apiKey, version, await this.nextFrame());
    if (res.correlationId !== correlationId) throw new Error(`correlation ${res.correlationId} != ${correlationId}`);
    return res.body;
  }

  close(): void {
    this.socket.destroy();
  }
}
