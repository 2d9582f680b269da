import * as net from 'node:net';
import * as tls from 'node:tls';
import { decodeResponseFrame, encodeRequestFrame, peekCorrelationId } from '../../../protocol/clientFrames';
import { ApiKey, apiDescriptor } from '../../../protocol/generated/apis';
import type { ApiVersionsResponse } from '../../../protocol/generated/messages/ApiVersionsResponse';
import { FrameDecoder } from '../../server/frameDecoder';
import { CliError, ExitCode } from './errors';
import type { SaslAuthenticateResponse } from '../../../protocol/generated/messages/SaslAuthenticateResponse';
import type { SaslHandshakeResponse } from '../../../protocol/generated/messages/SaslHandshakeResponse';
import { SaslLoginError, saslClientLogin } from '../../security/sasl/clientLogin';
import { PLAINTEXT_SECURITY, type CliSecurity } from './clientSecurity';

/**
 * One connection speaking the generated codecs, for admin APIs kafkajs does
 * not have (client quotas). Requests go one at a time; versions are the
 * highest both sides support, learnt with ApiVersions v0 on connect.
 */
export class RawAdminConnection {
  private readonly decoder = new FrameDecoder(0x7fffffff);
  private frames: Buffer[] = [];
  private waiter: (() => void) | null = null;
  private closed = false;
  private correlation = 0;
  private brokerVersions = new Map<number, { min: number; max: number }>();

  private constructor(
    private readonly socket: net.Socket,
    private readonly clientId: string,
    private readonly timeoutMs: number,
  ) {
    socket.on('data', (chunk: Buffer) => {
      this.frames.push(...this.decoder.push(chunk).frames);
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  static async open(broker: string, clientId: string, timeoutMs: number, security: CliSecurity = PLAINTEXT_SECURITY): Promise<RawAdminConnection> {
    const at = broker.lastIndexOf(':');
    const host = broker.slice(0, at).replace(/^\[|\]$/g, '');
    const port = Number(broker.slice(at + 1));
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = security.tls
        ? tls.connect({ ...security.tls, host, port, timeout: timeoutMs, servername: net.isIP(host) ? undefined : host }, () => resolve(s))
        : net.connect({ host, port, timeout: timeoutMs }, () => resolve(s));
      s.once('error', (err) => reject(new CliError(`cannot reach ${broker}: ${err.message}`, ExitCode.UNREACHABLE)));
      s.once('timeout', () => {
        s.destroy();
        reject(new CliError(`cannot reach ${broker}: timed out after ${timeoutMs} ms`, ExitCode.UNREACHABLE));
      });
    });
    socket.setTimeout(0);
    const conn = new RawAdminConnection(socket, clientId, timeoutMs);
    const versions = await conn.send<ApiVersionsResponse>(ApiKey.ApiVersions, 0, {});
    for (const k of versions.apiKeys) conn.brokerVersions.set(k.apiKey, { min: k.minVersion, max: k.maxVersion });
    if (security.sasl) {
      try {
        await conn.authenticate(security.sasl);
      } catch (err) {
        conn.close();
        throw err;
      }
    }
    return conn;
  }

  /** SASL login with SaslHandshake v1 + SaslAuthenticate (PLAIN, or SCRAM with the server's signature checked). */
  private async authenticate(sasl: NonNullable<CliSecurity['sasl']>): Promise<void> {
    try {
      await saslClientLogin(
        {
          handshake: (mechanism) => this.send<SaslHandshakeResponse>(ApiKey.SaslHandshake, 1, { mechanism }),
          authenticate: (authBytes) => this.request<SaslAuthenticateResponse>(ApiKey.SaslAuthenticate, { authBytes }),
        },
        sasl,
      );
    } catch (err) {
      throw err instanceof SaslLoginError ? new CliError(err.message) : err;
    }
  }

  /** The highest version of `apiKey` both sides speak. */
  version(apiKey: number): number {
    const ours = apiDescriptor(apiKey)!;
    const theirs = this.brokerVersions.get(apiKey);
    if (!theirs || theirs.max < ours.minVersion || theirs.min > ours.maxVersion) throw new CliError(`the broker does not support ${ours.name}`);
    return Math.min(ours.maxVersion, theirs.max);
  }

  async request<T>(apiKey: number, body: unknown): Promise<T> {
    return this.send<T>(apiKey, this.version(apiKey), body);
  }

  private async send<T>(apiKey: number, version: number, body: unknown): Promise<T> {
    const name = apiDescriptor(apiKey)!.name;
    const correlationId = ++this.correlation;
    this.socket.write(encodeRequestFrame(apiKey, version, correlationId, this.clientId, body).toBuffer());
    const frame = await this.nextFrame(name);
    if (peekCorrelationId(frame) !== correlationId) throw new CliError(`${name}: response out of order`);
    return decodeResponseFrame<T>(apiKey, version, frame);
  }

  private async nextFrame(what: string): Promise<Buffer> {
    const deadline = Date.now() + this.timeoutMs;
    while (this.frames.length === 0) {
      if (this.closed) throw new CliError(`${what}: the broker closed the connection (does this listener need TLS or SASL?)`, ExitCode.UNREACHABLE);
      const left = deadline - Date.now();
      if (left <= 0) throw new CliError(`${what}: no answer within ${this.timeoutMs} ms`, ExitCode.UNREACHABLE);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
    return this.frames.shift()!;
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  close(): void {
    this.socket.destroy();
  }
}
