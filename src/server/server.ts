import * as net from 'node:net';
import type { BrokerServices } from '../handlers/types';
import { Connection, type ConnectionLimits, type ConnectionState } from './connection';

/** The TCP listener: accepts connections and, on close, lets in-flight requests finish. */
export class BrokerServer {
  private readonly server: net.Server;
  private readonly connections = new Set<Connection>();
  private nextId = 1;

  constructor(
    private readonly services: BrokerServices,
    private readonly limits: ConnectionLimits,
  ) {
    this.server = net.createServer({ noDelay: true }, (socket) => this.accept(socket));
    this.server.on('error', (err) => services.logger.error({ err: err.message }, 'server error'));
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

  private accept(socket: net.Socket): void {
    if (this.services.quotas && !this.services.quotas.connections.admit(socket)) return;
    const conn = new Connection(socket, this.nextId++, this.services, this.limits, (c) => this.connections.delete(c));
    this.connections.add(conn);
  }

  /** Stops accepting, waits for accepted requests to be answered (up to graceMs), then closes every socket. */
  async close(graceMs = 10_000): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
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
