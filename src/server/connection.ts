import type { Socket } from 'node:net';
import { Reader } from '../../protocol/codec/reader';
import { ApiKey } from '../../protocol/generated/apis';
import type { BrokerServices } from '../handlers/types';
import { ANONYMOUS_PRINCIPAL, type ConnectionInfo } from '../net/connection';
import { lookupApi, supportedApis } from '../handlers/registry';
import type { Logger } from '../log';
import { encodeApiVersionsFallback } from './apiVersionsFallback';
import { FrameDecoder } from './frameDecoder';
import type { FrameBufferPool } from './frameBufferPool';
import { readIntoSharedBuffer } from './sharedReadBuffer';
import { ClientIdMemo, REQUEST_HEADER_PREFIX, readHeaderRest } from './requestHeader';
import { ConnectionRequestContext, type RequestRunner } from './requestContext';
import { PendingAnswer } from '../handlers/pendingAnswer';
import { encodeResponseFrame } from './responseFrame';
import { ResponseSlot } from './responseSlot';
import { SaslGate } from './saslGate';
import type { ListenerRuntime } from './listenerRuntime';

export interface ConnectionState {
  id: number;
  inFlight: number;
  readingPaused: boolean;
  unsentBytes: number;
}

export interface ConnectionLimits {
  maxRequestBytes: number;
  maxInFlight: number;
  writeHighWaterMark: number;
  idleMs: number;
}

function runAll(fns: Array<() => void>): void {
  for (const fn of fns) fn();
}

/** Produce alone reads its frame from a pool slot: its records are in the log (or copied) before it answers. */
const readsFromPool = (apiKey: number): boolean => apiKey === ApiKey.Produce;

/**
 * One client connection: frames in, handlers run concurrently, responses out
 * in request order. Reading pauses while too much is pending (requests or
 * unsent bytes) and resumes when responses drain.
 */
export class Connection implements RequestRunner {
  private readonly decoder: FrameDecoder;
  private readonly clientIds = new ClientIdMemo();
  private readonly slots: ResponseSlot[] = [];
  /** Frames read but not started because the connection was overloaded. */
  private readonly backlog: Buffer[] = [];
  private pumping = false;
  /** Responses are being gathered for one write at the end of this tick. */
  private corked = false;
  private readonly uncork = (): void => {
    this.corked = false;
    this.socket.uncork();
  };
  private paused = false;
  private closed = false;
  private draining = false;
  private drainedWaiters: Array<() => void> = [];
  readonly info: ConnectionInfo;
  private readonly log: Logger;
  /** Set on SASL listeners only. */
  private readonly gate: SaslGate | null = null;
  /**
   * Whether frames must pass the gate: until authentication, and afterwards only while
   * sessions expire. PLAINTEXT/SSL connections and settled SASL ones pay this one check.
   */
  private gated = false;
  /** Pending answer to a failed login (closeAfterDelay). */
  private delayedClose: NodeJS.Timeout | null = null;
  private throttleTimer: NodeJS.Timeout | undefined;
  /** Reads arrive in the shared buffer (each chunk valid only during onData), not as 'data' events. */
  readonly sharedReads: boolean;

  constructor(
    private readonly socket: Socket,
    id: number,
    private readonly services: BrokerServices,
    private readonly limits: ConnectionLimits,
    private readonly onClosed: (c: Connection) => void,
    listener: ListenerRuntime = { name: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', sasl: null },
    principal: string = ANONYMOUS_PRINCIPAL,
    private readonly framePool: FrameBufferPool | null = null,
    /** A plain TCP socket, which may read into the shared buffer (sharedReadBuffer.ts); TLS sockets may not. */
    sharedReads = false,
  ) {
    this.info = {
      id,
      remoteAddress: socket.remoteAddress ?? '',
      remotePort: socket.remotePort ?? 0,
      listenerName: listener.name,
      securityProtocol: listener.securityProtocol,
      principal,
    };
    this.log = services.logger.child({ conn: id, remote: `${this.info.remoteAddress}:${this.info.remotePort}` });
    this.decoder = new FrameDecoder(limits.maxRequestBytes, framePool, readsFromPool);
    socket.setNoDelay(true);
    if (limits.idleMs > 0) socket.setTimeout(limits.idleMs);
    this.sharedReads = sharedReads && readIntoSharedBuffer(socket, (chunk) => this.onData(chunk, true));
    if (!this.sharedReads) socket.on('data', (chunk: Buffer) => this.onData(chunk, false));
    socket.on('drain', () => this.pump());
    socket.on('timeout', () => this.onIdle());
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // Resets by clients that simply went away are routine.
      if (err.code !== 'ECONNRESET' && err.code !== 'EPIPE') this.log.warn({ err: err.message }, 'connection error');
    });
    socket.on('close', () => this.finish());
    services.observer?.connectionOpened(this.info);
    if (listener.sasl) {
      const host = {
        info: this.info,
        respond: (chunks: Buffer[]) => {
          this.push(ResponseSlot.answered(chunks));
          this.flush();
        },
        closeAfterResponses: (fields: object, msg: string) => this.closeAfterResponses(fields, msg),
        closeAfterDelay: (chunks: Buffer[], delayMs: number, fields: object, msg: string) => this.closeAfterDelay(chunks, delayMs, fields, msg),
        abort: (fields: object, msg: string) => this.abort(fields, msg),
        setMaxFrameBytes: (bytes: number) => {
          this.decoder.maxFrameBytes = bytes;
        },
        logInfo: (fields: object, msg: string) => this.log.info(fields, msg),
        setGated: (on: boolean) => {
          this.gated = on;
        },
        countRequest: (apiKey: number) => services.observer?.saslRequest?.(apiKey),
        countAuthentication: (mechanism: string, ok: boolean) => services.observer?.authentication?.(mechanism, ok),
      };
      this.gated = true;
      this.gate = new SaslGate(host, listener.sasl, services.scram, limits.maxRequestBytes);
    }
  }

  /** The SASL state of this connection (null on listeners without SASL), for introspection. */
  get sasl(): { authenticated: boolean; sessionExpiresAt: number } | null {
    return this.gate && { authenticated: this.gate.authenticated, sessionExpiresAt: this.gate.sessionExpiresAt };
  }

  get inFlight(): number {
    return this.slots.length;
  }

  /** A snapshot for introspection (tests, admin tools): how loaded this connection is right now. */
  state(): ConnectionState {
    return { id: this.info.id, inFlight: this.slots.length, readingPaused: this.paused, unsentBytes: this.socket.writableLength };
  }

  private onData(chunk: Buffer, transient: boolean): void {
    if (this.closed || this.draining) return;
    const oversized = this.decoder.pushInto(chunk, this.backlog, transient);
    if (oversized !== null) {
      // before login a SASL listener reads at most sasl.server.max.receive.size (SaslGate lowers the decoder's cap)
      const max = this.decoder.maxFrameBytes;
      const setting = max < this.limits.maxRequestBytes ? 'sasl.server.max.receive.size' : 'socket.request.max.bytes';
      if (oversized < 0) this.abort({ size: oversized }, 'invalid frame size (negative); closing connection');
      else this.abort({ size: oversized, max, setting }, `request size exceeds ${setting}; closing connection`);
      return;
    }
    this.pump();
  }

  /**
   * Starts queued requests while the connection is not overloaded, and pauses
   * reading from the socket whenever some must wait. One chunk can carry
   * hundreds of small requests, so the limit is applied per request, not per read.
   */
  private pump(): void {
    if (this.pumping) return; // synchronous handlers re-enter through flush()
    this.pumping = true;
    try {
      while (this.backlog.length > 0 && !this.closed && !this.draining && !this.overloaded()) {
        this.onFrame(this.backlog.shift()!);
      }
    } finally {
      this.pumping = false;
    }
    if (this.closed || this.draining) return;
    if (this.backlog.length > 0 || this.overloaded()) {
      if (!this.paused) {
        this.paused = true;
        this.socket.pause();
      }
    } else if (this.paused) {
      this.paused = false;
      this.socket.resume();
    }
  }

  private onFrame(frame: Buffer): void {
    if (this.gated && !this.gate!.admit(frame)) return;
    // api key, version and correlation id lie the same in every header version (the first 8 bytes)
    if (frame.length < REQUEST_HEADER_PREFIX) {
      this.abort({ bytes: frame.length }, 'request too short for a header; closing connection');
      return;
    }
    const apiKey = frame.readInt16BE(0);
    const apiVersion = frame.readInt16BE(2);
    const correlationId = frame.readInt32BE(4);
    const api = lookupApi(apiKey);
    const supported = api !== undefined && apiVersion >= api.minVersion && apiVersion <= api.maxVersion;
    if (!supported) {
      if (apiKey === ApiKey.ApiVersions) {
        this.push(ResponseSlot.answered(encodeApiVersionsFallback(correlationId, supportedApis())));
        this.flush();
        return;
      }
      this.abort({ apiKey, apiVersion }, api ? 'unsupported api version; closing connection' : 'unknown api key; closing connection');
      return;
    }
    const r = new Reader(frame, REQUEST_HEADER_PREFIX);
    let clientId: string | null;
    let body: unknown;
    try {
      clientId = readHeaderRest(r, api.requestHeaderVersion(apiVersion), this.clientIds);
      body = api.decodeRequest(r, apiVersion);
    } catch (err) {
      this.abort({ api: api.name, apiVersion, err: (err as Error).message }, 'malformed request; closing connection');
      return;
    }
    // a frame in a pool slot goes back once its answer was handed to the socket (acks=0: once the handler
    // finished); a request that never finishes (its connection failed) keeps it, and the garbage collector takes it
    const slot = new ResponseSlot(this.framePool?.owns(frame) ? frame : null);
    const ctx = new ConnectionRequestContext(apiKey, apiVersion, correlationId, clientId, this.info, this.services, Date.now(), slot, api, body, this);
    this.push(slot);
    this.run(ctx);
  }

  private run(ctx: ConnectionRequestContext): void {
    if (this.services.observer) ctx.started = performance.now();
    let result: unknown;
    try {
      result = ctx.api.handle(ctx, ctx.body);
    } catch (err) {
      this.handlerFailed(ctx, err);
      return;
    }
    // a pending answer is heard by the request itself: no promise, reaction or closure per request
    if (result instanceof PendingAnswer) result.listen(ctx);
    else if (result instanceof Promise) {
      result.then(
        (res) => this.complete(ctx, res),
        (err) => this.handlerFailed(ctx, err),
      );
    } else this.complete(ctx, result);
  }

  complete(ctx: ConnectionRequestContext, res: unknown): void {
    if (this.closed) return;
    const slot = ctx.slot;
    if (res !== null) {
      try {
        slot.chunks = encodeResponseFrame(ctx.api, ctx.apiVersion, ctx.correlationId, res);
      } catch (err) {
        this.handlerFailed(ctx, err);
        return;
      }
    }
    slot.ready = true;
    this.services.observer?.requestDone(ctx, ctx.body, res, performance.now() - ctx.started);
    this.flush();
  }

  handlerFailed(ctx: ConnectionRequestContext, err: unknown): void {
    this.services.observer?.requestDone(ctx, ctx.body, undefined, performance.now() - ctx.started);
    // Handlers answer expected failures with error codes; an exception is a bug, and the client can only retry.
    this.abort(
      { api: ctx.api.name, apiVersion: ctx.apiVersion, err: err instanceof Error ? (err.stack ?? err.message) : String(err) },
      'request handler failed; closing connection',
    );
  }

  private push(slot: ResponseSlot): void {
    this.slots.push(slot);
  }

  /** Writes every finished response at the head of the queue; later ones wait for earlier ones. */
  private flush(): void {
    if (this.closed) return;
    while (this.slots.length > 0 && this.slots[0].ready) {
      const slot = this.slots.shift()!;
      if (slot.pooledFrame !== null) this.framePool!.give(slot.pooledFrame);
      if (slot.chunks.length === 0) {
        if (slot.afterWrite) runAll(slot.afterWrite);
        continue;
      }
      if (!this.corked) {
        // Responses finished in one turn of the event loop (a read often carries many pipelined requests,
        // each finishing in its own microtask) leave in one writev: a socket write per response was the
        // largest cost of small produce requests. A tick queued from a microtask runs once the microtask queue
        // is empty; one queued from a callback, after it (and before its microtasks, which then cork again).
        this.corked = true;
        this.socket.cork();
        process.nextTick(this.uncork);
      }
      const last = slot.chunks.length - 1;
      for (let i = 0; i < last; i++) this.socket.write(slot.chunks[i]!);
      // writes complete in order, so the last chunk's callback (also called on error or destroy, once the
      // socket let go of the bytes) means the whole frame left the linked buffers
      const after = slot.afterWrite;
      if (after) this.socket.write(slot.chunks[last]!, () => runAll(after));
      else this.socket.write(slot.chunks[last]!);
    }
    this.pump();
    if (this.slots.length === 0 && this.draining) this.notifyDrained();
  }

  private overloaded(): boolean {
    return this.slots.length >= this.limits.maxInFlight || this.socket.writableLength > this.limits.writeHighWaterMark || this.throttled();
  }

  /** A client over its quota is muted (KIP-219): nothing more is read until its throttle time is over. */
  private throttled(): boolean {
    const until = this.info.throttledUntilMs;
    if (until === undefined) return false;
    const left = until - Date.now();
    if (left <= 0) {
      this.info.throttledUntilMs = undefined;
      return false;
    }
    if (!this.throttleTimer) {
      this.throttleTimer = setTimeout(() => {
        this.throttleTimer = undefined;
        this.pump();
      }, left);
      this.throttleTimer.unref();
    }
    return true;
  }

  private onIdle(): void {
    // A parked long-poll is activity from the client's point of view; only close truly idle connections.
    if (this.slots.length > 0) return;
    this.log.info({ idleMs: this.limits.idleMs }, 'closing idle connection');
    this.destroy();
  }

  /** Stops reading, lets queued responses (an authentication error) go out, then closes. */
  private closeAfterResponses(fields: object, msg: string): void {
    this.log.warn(fields, msg);
    void this.drain().then(() => this.end());
  }

  private closeAfterDelay(chunks: Buffer[], delayMs: number, fields: object, msg: string): void {
    this.log.warn(fields, msg);
    const slot = new ResponseSlot();
    this.push(slot);
    void this.drain().then(() => this.end());
    this.delayedClose = setTimeout(() => {
      this.delayedClose = null;
      slot.chunks = chunks;
      slot.ready = true;
      this.flush();
    }, delayMs);
  }

  private abort(fields: object, msg: string): void {
    this.log.warn(fields, msg);
    this.destroy();
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    this.finish();
  }

  private finish(): void {
    if (!this.closed) this.closed = true;
    this.gate?.dispose();
    if (this.delayedClose) clearTimeout(this.delayedClose);
    this.delayedClose = null;
    this.backlog.length = 0;
    this.services.observer?.connectionClosed(this.info);
    this.slots.length = 0;
    this.notifyDrained();
    this.onClosed(this);
  }

  /** Stops reading new requests and resolves once every accepted request was answered (or the socket closed). */
  drain(): Promise<void> {
    this.draining = true;
    this.socket.pause();
    if (this.closed || this.slots.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainedWaiters.push(resolve));
  }

  /** Ends the socket and releases it once pending writes went out (clients need not close their side). */
  end(): void {
    if (this.closed) return;
    this.socket.once('finish', () => this.destroy());
    this.socket.end();
  }

  private notifyDrained(): void {
    const waiters = this.drainedWaiters;
    this.drainedWaiters = [];
    for (const w of waiters) w();
  }
}
