import * as net from 'node:net';

/** A loopback port that was free a moment ago (bind to port 0, note it, close): for "nothing listens here" cases. */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
