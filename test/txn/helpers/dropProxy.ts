import * as net from 'node:net';

/**
 * A TCP proxy in front of a broker that loses the answers to chosen requests:
 * the request reaches the broker (and is applied) but the client's connection
 * is cut before the response, so the client must retry what was already
 * written — the duplicate an idempotent producer has to survive.
 */
export class DropProxy {
  /** How many more responses of `apiKey` to swallow. */
  dropsLeft = 0;
  dropped = 0;
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    private target: number,
    private readonly apiKey: number,
  ) {
    this.server = net.createServer((client) => this.pipe(client));
  }

  static async start(targetPort: number, apiKey: number): Promise<DropProxy> {
    const p = new DropProxy(targetPort, apiKey);
    await new Promise<void>((resolve) => p.server.listen(0, '127.0.0.1', resolve));
    return p;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** Reserves the port before the broker exists so the broker can advertise it. */
  retarget(port: number): void {
    this.target = port;
  }

  private pipe(client: net.Socket): void {
    const upstream = net.connect(this.target, '127.0.0.1');
    this.sockets.add(client).add(upstream);
    const pendingKeys: number[] = [];
    let fromClient = Buffer.alloc(0);
    let fromBroker = Buffer.alloc(0);
    const kill = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (d: Buffer) => {
      fromClient = Buffer.concat([fromClient, d]);
      while (fromClient.length >= 4 && fromClient.length >= 4 + fromClient.readInt32BE(0)) {
        const size = fromClient.readInt32BE(0);
        pendingKeys.push(fromClient.readInt16BE(4));
        upstream.write(fromClient.subarray(0, 4 + size));
        fromClient = fromClient.subarray(4 + size);
      }
    });
    upstream.on('data', (d: Buffer) => {
      fromBroker = Buffer.concat([fromBroker, d]);
      while (fromBroker.length >= 4 && fromBroker.length >= 4 + fromBroker.readInt32BE(0)) {
        const size = fromBroker.readInt32BE(0);
        const key = pendingKeys.shift();
        if (key === this.apiKey && this.dropsLeft > 0) {
          this.dropsLeft--;
          this.dropped++;
          kill();
          return;
        }
        client.write(fromBroker.subarray(0, 4 + size));
        fromBroker = fromBroker.subarray(4 + size);
      }
    });
    for (const s of [client, upstream]) {
      s.on('error', kill);
      s.on('close', () => {
        kill();
        this.sockets.delete(s);
      });
    }
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
