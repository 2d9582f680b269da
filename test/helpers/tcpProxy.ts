import * as net from 'node:net';

/**
 * A TCP forwarder on 127.0.0.1 that a test can cut like a network partition:
 * blackhole() keeps every connection open but drops the bytes both ways and
 * leaves new connections hanging (no RST, like packets lost on a dead link);
 * heal() lets traffic flow again on new connections (the blackholed ones are
 * closed, as TCP would eventually time them out).
 */
export class TcpProxy {
  private readonly sockets = new Set<net.Socket>();
  private dropping = false;

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {}

  static start(targetHost: string, targetPort: number): Promise<TcpProxy> {
    return new Promise((resolve, reject) => {
      let proxy: TcpProxy;
      const server = net.createServer((client) => proxy.accept(client, targetHost, targetPort));
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        proxy = new TcpProxy(server, (server.address() as net.AddressInfo).port);
        resolve(proxy);
      });
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  private accept(client: net.Socket, host: string, port: number): void {
    this.sockets.add(client);
    client.on('close', () => this.sockets.delete(client));
    client.on('error', () => client.destroy());
    if (this.dropping) return;
    const upstream = net.connect(port, host);
    this.sockets.add(upstream);
    upstream.on('close', () => {
      this.sockets.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
    client.on('data', (d) => {
      if (!this.dropping) upstream.write(d);
    });
    upstream.on('data', (d) => {
      if (!this.dropping) client.write(d);
    });
  }

  blackhole(): void {
    this.dropping = true;
  }

  heal(): void {
    this.dropping = false;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
