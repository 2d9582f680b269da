import { Reader } from '../../protocol/codec/reader';
import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/generated/apis';
import type { SaslAuthenticateRequest } from '../../protocol/generated/messages/SaslAuthenticateRequest';
import type { SaslAuthenticateResponseInput } from '../../protocol/generated/messages/SaslAuthenticateResponse';
import type { SaslHandshakeRequest } from '../../protocol/generated/messages/SaslHandshakeRequest';
import type { SaslHandshakeResponseInput } from '../../protocol/generated/messages/SaslHandshakeResponse';
import { lookupApi, type RegisteredApi } from '../handlers/registry';
import type { ConnectionInfo } from '../net/connection';
import { createSaslServer, type ListenerSaslSettings } from '../security/sasl/listenerSasl';
import type { SaslServer, SaslStep } from '../security/sasl/mechanism';
import type { ScramCredentialStore } from '../security/scram/store';
import { peekHeader, readHeaderRest } from './requestHeader';
import { encodeResponseFrame } from './responseFrame';

/** What the gate needs from its connection. */
export interface SaslGateHost {
  readonly info: ConnectionInfo;
  /** Queues a finished response behind earlier ones. */
  respond(chunks: Buffer[]): void;
  /** Sends what is queued, then closes; `fields`/`msg` are logged. */
  closeAfterResponses(fields: object, msg: string): void;
  /**
   * After failed authentication: answers with `chunks` (empty: nothing) only after `delayMs`,
   * reading nothing more meanwhile, then closes (Kafka's connection.failed.authentication.delay.ms).
   */
  closeAfterDelay(chunks: Buffer[], delayMs: number, fields: object, msg: string): void;
  /** Closes at once. */
  abort(fields: object, msg: string): void;
  /** Raises or lowers the largest frame the connection accepts. */
  setMaxFrameBytes(bytes: number): void;
  logInfo(fields: object, msg: string): void;
  /** Whether the connection must hand every frame to admit(); off once nothing is left to watch. */
  setGated(on: boolean): void;
  /** Metrics: a SASL request answered here, and an authentication's outcome. */
  countRequest(apiKey: number): void;
  countAuthentication(mechanism: string, ok: boolean): void;
}

type Phase =
  /** Waiting for ApiVersions or SaslHandshake. */
  | 'handshake'
  /** After SaslHandshake v1: only SaslAuthenticate. */
  | 'authenticate'
  /** After SaslHandshake v0: raw size-prefixed tokens without Kafka headers. */
  | 'raw'
  | 'authenticated'
  /** Failed; the connection is closing and reads nothing more. */
  | 'closed';

/**
 * The SASL side of one connection on a SASL_PLAINTEXT / SASL_SSL listener.
 * Until the client authenticated, every frame comes here and only
 * ApiVersions, SaslHandshake and SaslAuthenticate are served; afterwards the
 * gate only watches for session expiry and re-authentication (KIP-368).
 */
export class SaslGate {
  private phase: Phase = 'handshake';
  private server: SaslServer | null = null;
  /** Set while re-authenticating an already authenticated connection. */
  private reauthPrincipal: string | null = null;
  private mechanism: string | null = null;
  /** SaslAuthenticate version of the last successful exchange (-1 = v0 raw tokens). */
  private authVersion = -1;
  /** Date.now() after which the session is over; 0 = never. */
  private expiresAt = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly host: SaslGateHost,
    private readonly settings: ListenerSaslSettings,
    private readonly scram: ScramCredentialStore | undefined,
    private readonly normalMaxFrameBytes: number,
  ) {
    host.setMaxFrameBytes(Math.min(settings.maxReceiveSize, normalMaxFrameBytes));
    this.armTimer();
  }

  get authenticated(): boolean {
    return this.phase === 'authenticated';
  }

  /** Session expiry (Date.now() ms), 0 when sessions do not expire; for introspection. */
  get sessionExpiresAt(): number {
    return this.expiresAt;
  }

  /**
   * Returns true when the frame is a normal request the connection should
   * serve; false when the gate answered or refused it.
   */
  admit(frame: Buffer): boolean {
    const phase = this.phase;
    if (phase === 'authenticated') {
      // Sessions that never expire cannot be re-authenticated either (Kafka): a SaslHandshake
      // then reaches the registered handler, which answers ILLEGAL_SASL_STATE.
      if (this.expiresAt === 0) return true;
      if (frame.length >= 2 && frame.readInt16BE(0) !== ApiKey.SaslHandshake) {
        if (Date.now() <= this.expiresAt) return true;
        this.phase = 'closed';
        this.host.abort({ principal: this.host.info.principal }, 'SASL session expired without re-authentication; closing connection');
        return false;
      }
      // SaslHandshake on an authenticated connection: re-authentication, if the client can (SaslAuthenticate v1+).
      if (this.authVersion < 1) return true;
      return this.onKafkaRequest(frame, true);
    }
    if (phase === 'closed') return false;
    if (phase === 'raw') {
      this.onRawToken(frame);
      return false;
    }
    return this.onKafkaRequest(frame, false);
  }

  /** Stops the authentication timer (connection closed). */
  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.phase = 'closed';
  }

  private armTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const ms = this.settings.authenticationTimeoutMs;
    if (ms <= 0) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.phase === 'authenticated' || this.phase === 'closed') return;
      this.phase = 'closed';
      this.host.abort({ timeoutMs: ms }, 'SASL authentication did not finish in time; closing connection');
    }, ms);
    this.timer.unref();
  }

  private onKafkaRequest(frame: Buffer, reauth: boolean): boolean {
    const r = new Reader(frame);
    let header: { apiKey: number; apiVersion: number; correlationId: number };
    try {
      header = peekHeader(r);
    } catch {
      this.fail({ bytes: frame.length }, 'request too short for a header during SASL authentication; closing connection');
      return false;
    }
    const { apiKey } = header;
    if (apiKey === ApiKey.ApiVersions && this.phase === 'handshake' && !reauth) return true;
    const expected = this.phase === 'authenticate' ? ApiKey.SaslAuthenticate : ApiKey.SaslHandshake;
    if (apiKey !== expected) {
      this.fail({ apiKey, apiVersion: header.apiVersion, phase: this.phase }, `unexpected request of api key ${apiKey} during SASL authentication; closing connection`);
      return false;
    }
    const api = lookupApi(apiKey)!;
    if (header.apiVersion < api.minVersion || header.apiVersion > api.maxVersion) {
      this.fail({ apiKey, apiVersion: header.apiVersion }, 'unsupported SASL api version; closing connection');
      return false;
    }
    let body: unknown;
    try {
      readHeaderRest(r, api.requestHeaderVersion(header.apiVersion));
      body = api.decodeRequest(r, header.apiVersion);
    } catch (err) {
      this.fail({ api: api.name, err: (err as Error).message }, 'malformed SASL request; closing connection');
      return false;
    }
    if (apiKey === ApiKey.SaslHandshake) this.onHandshake(api, header.apiVersion, header.correlationId, body as SaslHandshakeRequest, reauth);
    else this.onAuthenticate(api, header.apiVersion, header.correlationId, body as SaslAuthenticateRequest);
    return false;
  }

  private onHandshake(api: RegisteredApi, version: number, correlationId: number, req: SaslHandshakeRequest, reauth: boolean): void {
    this.host.countRequest(ApiKey.SaslHandshake);
    const mechanisms = this.settings.enabledMechanisms;
    const reply = (res: SaslHandshakeResponseInput) => this.host.respond(encodeResponseFrame(api, version, correlationId, res));
    const server = createSaslServer(this.settings, req.mechanism, this.scram);
    if (!server) {
      reply({ errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms });
      this.phase = 'closed';
      this.host.closeAfterResponses({ mechanism: req.mechanism, enabled: mechanisms }, 'unsupported SASL mechanism; closing connection');
      return;
    }
    if (reauth) {
      if (version < 1 || req.mechanism !== this.mechanism) {
        reply({ errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms });
        this.phase = 'closed';
        this.host.closeAfterResponses({ mechanism: req.mechanism, was: this.mechanism, version }, 're-authentication must use SaslHandshake v1+ and the same mechanism; closing connection');
        return;
      }
      this.reauthPrincipal = this.host.info.principal;
      this.host.setMaxFrameBytes(Math.min(this.settings.maxReceiveSize, this.normalMaxFrameBytes));
      this.armTimer();
    }
    this.server = server;
    this.mechanism = req.mechanism;
    this.phase = version === 0 ? 'raw' : 'authenticate';
    reply({ errorCode: ErrorCode.NONE, mechanisms });
  }

  private onAuthenticate(api: RegisteredApi, version: number, correlationId: number, req: SaslAuthenticateRequest): void {
    this.host.countRequest(ApiKey.SaslAuthenticate);
    const step = this.server!.evaluate(req.authBytes);
    const reply = (res: SaslAuthenticateResponseInput) => this.host.respond(encodeResponseFrame(api, version, correlationId, res));
    const refusal = (message: string) =>
      encodeResponseFrame(api, version, correlationId, { errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: message, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0n });
    if (step.kind === 'failed') {
      this.failed(step, refusal(step.message));
      return;
    }
    if (step.kind === 'challenge') {
      reply({ errorCode: ErrorCode.NONE, errorMessage: null, authBytes: step.reply, sessionLifetimeMs: 0n });
      return;
    }
    const mismatch = this.principalMismatch(step.principal);
    if (mismatch) {
      this.failed({ kind: 'failed', message: mismatch, detail: mismatch }, refusal(mismatch));
      return;
    }
    this.succeed(step.principal, version);
    reply({ errorCode: ErrorCode.NONE, errorMessage: null, authBytes: step.reply, sessionLifetimeMs: BigInt(this.settings.maxReauthMs) });
  }

  private onRawToken(token: Buffer): void {
    const step = this.server!.evaluate(token);
    if (step.kind === 'failed') {
      // The v0 flow has no error field: the client learns of the failure by the closed connection.
      this.failed(step, []);
      return;
    }
    if (step.kind === 'done') {
      const mismatch = this.principalMismatch(step.principal);
      if (mismatch) {
        this.failed({ kind: 'failed', message: mismatch, detail: mismatch }, []);
        return;
      }
      this.succeed(step.principal, -1);
    }
    // PLAIN's success reply is empty; a v0 client still waits for that empty frame.
    const prefix = Buffer.allocUnsafe(4);
    prefix.writeInt32BE(step.reply.length, 0);
    this.host.respond(step.reply.length > 0 ? [prefix, step.reply] : [prefix]);
  }

  private principalMismatch(principal: string): string | null {
    if (this.reauthPrincipal === null || this.reauthPrincipal === principal) return null;
    return `Cannot change principals during re-authentication from ${this.reauthPrincipal}: ${principal}`;
  }

  private succeed(principal: string, version: number): void {
    const first = this.reauthPrincipal === null;
    this.host.info.principal = principal;
    this.reauthPrincipal = null;
    this.server = null;
    this.authVersion = version;
    this.phase = 'authenticated';
    this.expiresAt = this.settings.maxReauthMs > 0 ? Date.now() + this.settings.maxReauthMs : 0;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.host.setMaxFrameBytes(this.normalMaxFrameBytes);
    // A session that never expires cannot be re-authenticated either: nothing left to watch.
    if (this.expiresAt === 0) this.host.setGated(false);
    this.host.logInfo({ principal, mechanism: this.mechanism, reauthentication: !first }, first ? 'SASL authentication succeeded' : 'SASL re-authentication succeeded');
    this.host.countAuthentication(this.mechanism ?? '', true);
  }

  private failed(step: Extract<SaslStep, { kind: 'failed' }>, response: Buffer[]): void {
    this.host.countAuthentication(this.mechanism ?? '', false);
    this.phase = 'closed';
    this.server = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.host.closeAfterDelay(response, this.settings.failedAuthenticationDelayMs, { mechanism: this.mechanism, reason: step.detail }, 'SASL authentication failed; closing connection');
  }

  private fail(fields: object, msg: string): void {
    this.phase = 'closed';
    this.host.abort(fields, msg);
  }
}
