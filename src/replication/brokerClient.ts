import * as net from 'node:net';
import * as tls from 'node:tls';
import { decodeResponseFrame, encodeRequestFrame, peekCorrelationId } from '../../protocol/clientFrames';
import { apiDescriptor } from '../../protocol/generated/apis';
import type { SaslAuthenticateResponse } from '../../protocol/generated/messages/SaslAuthenticateResponse';
import type { SaslHandshakeResponse } from '../../protocol/generated/messages/SaslHandshakeResponse';
import { FrameDecoder } from '../server/frameDecoder';
import { saslClientLogin, SaslLoginError } from '../security/sasl/clientLogin';
import type { InterBrokerSecurity } from '../security/interBroker/settings';

interface Pending {
  apiKey: number;
  version: number;
  resolve: (body: unknown) => void;
  reject: (err: Error) => void;
}

/** Big enough for a full replica fetch response; the leader bounds it with max_bytes anyway. */
const MAX_RESPONSE_BYTES = 256 * 1024 * 1024;
const API_VERSIONS = 18;
const SASL_HANDSHAKE = 17;
const SASL_AUTHENTICATE = 36;

/**
 * The other broker would not let this one in: its TLS handshake refused our
 * certificate (or we refused its), or it rejected our SASL login. Retrying
 * does not help until someone fixes the configuration, so owners log it loudly.
 */
export class InterBrokerAuthError extends Error {}

/**
 * One Kafka connection from this broker to another, speaking Brook's own
 * generated codecs: what a follower fetches through. Requests are pipelined
 * and matched to responses by correlation id; a closed socket fails every
 * request in flight, and the owner makes a new client to reconnect.
 */
export class BrokerClient {
  private readonly decoder = new FrameDecoder(MAX_RESPONSE_BYTES);
  /** Frames completed by the current read. */
  private readonly frames: Buffer[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextCorrelation = 1;
  private closedError: Error | null = null;
  private answered = false;

  private constructor(
    private readonly socket: net.Socket,
    private readonly clientId: string,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.fail(socket instanceof tls.TLSSocket && /alert|certificate/i.test(err.message) ? new InterBrokerAuthError(`TLS refused: ${err.message}`) : err));
    socket.on('close', () => this.fail(new Error('connection closed')));
  }

  /**
   * Connects with the inter-broker listener's security: TLS with the broker's
   * truststore (and its own certificate, for listeners that require one), then
   * the broker's SASL login; `timeoutMs` bounds all of it.
   */
  static async connect(host: string, port: number, clientId: string, timeoutMs = 5000, security: InterBrokerSecurity | null = null): Promise<BrokerClient> {
    const socket = await BrokerClient.dial(host, port, timeoutMs, security);
    const client = new BrokerClient(socket, clientId);
    if (!security || (!security.sasl && !security.tls)) return client;
    const timer = setTimeout(() => client.close(), timeoutMs);
    try {
      if (security.sasl) {
        const sasl = security.sasl;
        await saslClientLogin(
          {
            handshake: (mechanism) => client.request<SaslHandshakeResponse>(SASL_HANDSHAKE, 1, { mechanism }),
            authenticate: (authBytes) => client.request<SaslAuthenticateResponse>(SASL_AUTHENTICATE, 1, { authBytes }),
          },
          sasl,
        ).catch((err: unknown) => {
          throw err instanceof SaslLoginError ? new InterBrokerAuthError(`${host}:${port} refused the login of ${sasl.username} (${sasl.mechanism}): ${err.message}`) : err;
        });
      } else {
        // With TLS 1.3 the server judges our certificate after our handshake is done: one round trip tells.
        await client.request(API_VERSIONS, 0, {});
      }
      return client;
    } catch (err) {
      client.close();
      if (err instanceof InterBrokerAuthError) throw err;
      if (client.closedError?.message === 'client closed') throw new Error(`first exchange with ${host}:${port} timed out`);
      if (security.tls && !client.answered) {
        throw new InterBrokerAuthError(`TLS with ${host}:${port} failed: it closed the connection before answering (does it trust this broker's certificate?): ${(err as Error).message}`);
      }
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  private static dial(host: string, port: number, timeoutMs: number, security: InterBrokerSecurity | null): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      const secure = security?.tls ?? null;
      const s = secure ? tls.connect({ ...secure, host, port, servername: net.isIP(host) ? undefined : host }) : net.connect({ host, port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`connect to ${host}:${port} timed out`));
      }, timeoutMs);
      s.once('error', (err: Error & { code?: string }) => {
        clearTimeout(timer);
        s.destroy();
        // A certificate problem on either side surfaces as a TLS alert or a verification error here.
        const tlsRefusal = secure && (err.code?.startsWith('ERR_SSL') || err.code?.includes('CERT') || /certificate|alert|handshake/i.test(err.message));
        reject(tlsRefusal ? new InterBrokerAuthError(`TLS with ${host}:${port} failed: ${err.message}`) : err);
      });
      s.once(secure ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        resolve(s);
      });
    });
  }

  get closed(): boolean {
    return this.closedError !== null;
  }

  request<T>(apiKey: number, version: number, body: unknown): Promise<T> {
    if (this.closedError) return Promise.reject(this.closedError);
    if (!apiDescriptor(apiKey)) return Promise.reject(new Error(`no codec for api ${apiKey}`));
    const correlationId = this.nextCorrelation++;
    const w = encodeRequestFrame(apiKey, version, correlationId, this.clientId, body);
    return new Promise<T>((resolve, reject) => {
      this.pending.set(correlationId, { apiKey, version, resolve: resolve as (b: unknown) => void, reject });
      for (const chunk of w.chunksOut()) this.socket.write(chunk);
    });
  }

  close(): void {
    this.fail(new Error('client closed'));
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    // answers only settle promises here (their code runs after this returns), so one array serves every read
    const frames = this.frames;
    const oversized = this.decoder.pushInto(chunk, frames);
    if (oversized !== null) {
      frames.length = 0;
      this.fail(new Error(`response frame of ${oversized} bytes`));
      this.socket.destroy();
      return;
    }
    for (let i = 0; i < frames.length; i++) this.onFrame(frames[i]!);
    frames.length = 0;
  }

  private onFrame(frame: Buffer): void {
    const correlationId = peekCorrelationId(frame);
    const p = this.pending.get(correlationId);
    if (!p) return;
    this.answered = true;
    this.pending.delete(correlationId);
    try {
      p.resolve(decodeResponseFrame(p.apiKey, p.version, frame));
    } catch (err) {
      p.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private fail(err: Error): void {
    if (!this.closedError) this.closedError = err;
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(this.closedError);
  }
}
