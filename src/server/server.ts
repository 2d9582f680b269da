import * as net from 'node:net';
import * as tls from 'node:tls';
import type { BrokerServices } from '../handlers/types';
import { ANONYMOUS_PRINCIPAL } from '../net/connection';
import type { ListenerTlsSettings } from '../security/tls/listenerTls';
import { tlsPrincipal } from '../security/tls/principal';
import { Connection, type ConnectionLimits, type ConnectionState } from './connection';
import type { ListenerRuntime } from './listenerRuntime';
import { FrameBufferPool } from './frameBufferPool';

/** A listener as the server runs it: name, protocol, SASL settings and, for SSL / SASL_SSL, TLS material. */
export interface ListenerSpec extends ListenerRuntime {
  tls: ListenerTlsSettings | null;
}

const PLAINTEXT_LISTENER: ListenerSpec = { name: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', sasl: null, tls: null };

/** One listener's socket: accepts connections (TLS-wrapped when configured) and, on close, lets in-flight requests finish. */
export class BrokerServer {
  private readonly server: net.Server;
  private readonly connections = new Set<Connection>();
  /** TCP sockets of a TLS listener whose handshake has not finished; closing the listener cuts them. */
  private readonly handshaking = new Set<net.Socket>();
  /**
   * Slots for the listener's produce frames: every one read through the shared buffer (plain TCP), and on TLS
   * those spread over several reads. The test-only BROOK_TEST_POISON_FRAMES=1 copies every produce frame into
   * one and poisons it after the answer, so a test run shows anything that reads a frame after its request ended.
   */
  readonly framePool = new FrameBufferPool({ poison: process.env.BROOK_TEST_POISON_FRAMES === '1' });

  constructor(
    private readonly services: BrokerServices,
    private readonly limits: ConnectionLimits,
    readonly listener: ListenerSpec = PLAINTEXT_LISTENER,
    /** Shared across listeners so connection ids stay unique in the logs. */
    private readonly ids: { next: number } = { next: 1 },
  ) {
    const settings = listener.tls;
    if (settings) {
      const server = tls.createServer({ ...settings.options, noDelay: true }, (socket) => this.acceptTls(socket, settings));
      // Connection limits count TCP connections, before any handshake work is spent on them.
      server.on('connection', (socket: net.Socket) => {
        if (services.quotas && !services.quotas.connections.admit(socket, listener.name)) return;
        this.handshaking.add(socket);
        socket.once('close', () => this.handshaking.delete(socket));
      });
      server.on('tlsClientError', (err: Error, socket: tls.TLSSocket) => {
        services.logger.info({ listener: listener.name, remote: `${socket.remoteAddress}:${socket.remotePort}`, err: err.message }, 'TLS handshake failed; connection closed');
        // node reports a handshake timeout here but leaves the socket open.
        socket.destroy();
      });
      this.server = server;
    } else {
      this.server = net.createServer({ noDelay: true }, (socket) => this.accept(socket, ANONYMOUS_PRINCIPAL, true));
    }
    this.server.on('error', (err) => services.logger.error({ listener: listener.name, err: err.message }, 'server error'));
  }

  /** New key, certificate or CAs for connections accepted from now on (dynamic broker configs); open ones keep theirs. */
  updateTls(options: tls.SecureContextOptions): void {
    if (!(this.server instanceof tls.Server)) return;
    this.server.setSecureContext(options);
  }

  listen(host: string, port: number): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        const addr = this.server.address() as net.AddressInfo;
        resolve({ host: addr.address, port: addr.port });
      });
    });
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  connectionStates(): ConnectionState[] {
    return [...this.connections].map((c) => c.state());
  }

  /** Live connections, for introspection (tests read principals and SASL state here). */
  liveConnections(): readonly Connection[] {
    return [...this.connections];
  }

  private acceptTls(socket: tls.TLSSocket, settings: ListenerTlsSettings): void {
    // node sets _parent to the TCP socket a server-side TLS socket wraps.
    const raw = (socket as tls.TLSSocket & { _parent?: net.Socket })._parent;
    if (raw) this.handshaking.delete(raw);
    // "requested" lets clients without a certificate in, but not ones whose certificate failed verification.
    if (settings.clientAuth === 'requested' && !socket.authorized && socket.getPeerX509Certificate() !== undefined) {
      this.services.logger.info({ listener: this.listener.name, remote: socket.remoteAddress, err: String(socket.authorizationError) }, 'client certificate not trusted; connection closed');
      socket.destroy();
      return;
    }
    this.accept(socket, tlsPrincipal(socket, settings.principalRules), false);
  }

  private accept(socket: net.Socket, principal: string, checkLimits: boolean): void {
    if (checkLimits && this.services.quotas && !this.services.quotas.connections.admit(socket, this.listener.name)) return;
    const conn = new Connection(socket, this.ids.next++, this.services, this.limits, (c) => this.connections.delete(c), this.listener, principal, this.framePool, !(socket instanceof tls.TLSSocket));
    this.connections.add(conn);
  }

  /** Stops accepting, waits for accepted requests to be answered (up to graceMs), then closes every socket. */
  async close(graceMs = 10_000): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.handshaking) s.destroy();
    const conns = [...this.connections];
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    await Promise.race([Promise.all(conns.map((c) => c.drain())), deadline]);
    clearTimeout(timer);
    for (const c of conns) c.end();
    // A peer that stops reading would keep its socket (and close()) pending forever; cut it after a grace period.
    const cut = setTimeout(() => {
      for (const c of this.connections) c.destroy();
    }, 2000);
    await closed;
    clearTimeout(cut);
  }
}
