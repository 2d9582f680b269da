import { expect } from 'chai';
import * as net from 'node:net';
import { randomBytes } from 'node:crypto';
import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/generated/apis';
import type { SaslAuthenticateResponse } from '../../protocol/generated/messages/SaslAuthenticateResponse';
import type { SaslHandshakeResponse } from '../../protocol/generated/messages/SaslHandshakeResponse';
import { credentialFromPassword, SCRAM_SHA_256 } from '../../src/security/scram/credential';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { makeTestCerts, type TestCerts } from '../helpers/certs';
import { memoryLogger } from '../helpers/memoryLogger';
import { encodeRequestFrame, RawClient } from '../helpers/rawClient';
import { plainJaas } from '../helpers/secureBroker';
import { seededRandom } from '../helpers/seededRandom';
import { kafkajsClient } from './drivers/secureClients';

const AUTH_TIMEOUT_MS = 500;
const HANDSHAKE_TIMEOUT_MS = 400;
const MAX_RECEIVE = 4096;

/** Resolves with how long the socket stayed open; rejects if it is still open after `ms`. */
function closedWithin(socket: net.Socket, ms: number, openedAt: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`socket still open after ${ms} ms`)), ms);
    const done = () => {
      clearTimeout(t);
      resolve(Date.now() - openedAt);
    };
    if (socket.destroyed || socket.closed) done();
    else socket.once('close', done);
  });
}

function connectRaw(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
    s.on('error', () => undefined);
    // Discard what the broker sends so the end of the stream (and 'close') is seen.
    s.resume();
  });
}

describe('hostile input on SASL and TLS listeners', function () {
  this.timeout(120_000);
  let certs: TestCerts;
  let broker: TestBroker;
  const log = memoryLogger();
  const port = (name: string) => broker.listeners.find((l) => l.name === name)!.port;

  before(async () => {
    certs = makeTestCerts();
    broker = await startTestBroker({
      logger: log,
      config: {
        listeners: 'SASL_PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0',
        'sasl.jaas.config': plainJaas({ alice: 'alice-secret' }),
        'brook.sasl.authentication.timeout.ms': String(AUTH_TIMEOUT_MS),
        'sasl.server.max.receive.size': String(MAX_RECEIVE),
        'ssl.key.location': certs.serverKey,
        'ssl.certificate.location': certs.serverCert,
        'brook.ssl.handshake.timeout.ms': String(HANDSHAKE_TIMEOUT_MS),
      },
    });
    await broker.services.scram!.apply([{ user: 'alice', mechanism: SCRAM_SHA_256, credential: credentialFromPassword(SCRAM_SHA_256, 'alice-scram') }]);
  });
  after(async () => {
    await broker?.destroy();
    certs?.remove();
  });

  async function startExchange(mechanism: string, handshakeVersion = 1): Promise<RawClient> {
    const c = await RawClient.connect(port('SASL_PLAINTEXT'));
    const hs = await c.request<SaslHandshakeResponse>(ApiKey.SaslHandshake, handshakeVersion, { mechanism });
    expect(hs.errorCode).to.equal(ErrorCode.NONE);
    return c;
  }

  it('garbage SASL tokens (PLAIN, SCRAM, v0 raw) are refused and the connection closed', async () => {
    for (const mechanism of ['PLAIN', 'SCRAM-SHA-256']) {
      for (let i = 0; i < 5; i++) {
        const c = await startExchange(mechanism);
        const res = await c.request<SaslAuthenticateResponse>(ApiKey.SaslAuthenticate, 2, { authBytes: randomBytes(1 + i * 50) });
        expect(res.errorCode, mechanism).to.equal(ErrorCode.SASL_AUTHENTICATION_FAILED);
        await c.closedPromise;
      }
    }
    const raw = await startExchange('SCRAM-SHA-256', 0);
    const garbage = randomBytes(64);
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(garbage.length);
    raw.send(Buffer.concat([prefix, garbage]));
    await raw.closedPromise;
  });

  it('a truncated SCRAM message fails; one cut off mid-frame is closed by the authentication timeout', async () => {
    const c = await startExchange('SCRAM-SHA-256');
    const res = await c.request<SaslAuthenticateResponse>(ApiKey.SaslAuthenticate, 2, { authBytes: Buffer.from('n,,n=ali') });
    expect(res.errorCode).to.equal(ErrorCode.SASL_AUTHENTICATION_FAILED);
    await c.closedPromise;
    const d = await startExchange('SCRAM-SHA-256');
    const openedAt = Date.now();
    const frame = d.encode(ApiKey.SaslAuthenticate, 2, { authBytes: Buffer.from('n,,n=alice,r=abcdefgh') });
    d.send(frame.subarray(0, frame.length - 5)); // never completed
    const open = await closedWithin(d.socket, AUTH_TIMEOUT_MS * 4, openedAt);
    expect(open).to.be.at.least(AUTH_TIMEOUT_MS - 50);
  });

  it('an oversized SCRAM message is refused by its size prefix alone, before and during the exchange', async () => {
    const c = await startExchange('SCRAM-SHA-256');
    const big = c.encode(ApiKey.SaslAuthenticate, 2, { authBytes: Buffer.alloc(MAX_RECEIVE * 2, 0x61) });
    c.send(big.subarray(0, 64)); // only the prefix and a little: the broker must not wait for the rest
    await c.closedPromise;
    const s = await connectRaw(port('SASL_PLAINTEXT'));
    const openedAt = Date.now();
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(50 * 1024 * 1024);
    s.write(prefix);
    expect(await closedWithin(s, AUTH_TIMEOUT_MS, openedAt)).to.be.below(AUTH_TIMEOUT_MS);
  });

  it('logs the limit in force before login, named by its setting, and a negative size as invalid', async () => {
    const s = await connectRaw(port('SASL_PLAINTEXT'));
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(MAX_RECEIVE * 2);
    s.write(prefix);
    await closedWithin(s, AUTH_TIMEOUT_MS, Date.now());
    const oversize = log.entries.find((e) => e.fields.size === MAX_RECEIVE * 2);
    expect(oversize?.msg).to.equal('request size exceeds sasl.server.max.receive.size; closing connection');
    expect(oversize?.fields).to.include({ max: MAX_RECEIVE, setting: 'sasl.server.max.receive.size' });
    const n = await connectRaw(port('SASL_PLAINTEXT'));
    prefix.writeInt32BE(-7);
    n.write(prefix);
    await closedWithin(n, AUTH_TIMEOUT_MS, Date.now());
    expect(log.entries.find((e) => e.fields.size === -7)?.msg).to.equal('invalid frame size (negative); closing connection');
  });

  it('random SASL request sequences (seeded) never break the broker, and every such connection is closed by the end of the authentication timeout', async () => {
    const rnd = seededRandom(0x5a51);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
    const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(rnd() * 256)));
    const scramish = ['n,,n=alice,r=', 'c=biws,r=', 'p=', 'n,,', ',,,', '=', 'n=,r=,s=,i='];
    const token = (): Buffer => {
      switch (Math.floor(rnd() * 4)) {
        case 0:
          return bytes(Math.floor(rnd() * 300));
        case 1:
          return Buffer.from(pick(scramish) + bytes(Math.floor(rnd() * 40)).toString('latin1'));
        case 2:
          return Buffer.from(`\u0000alice\u0000${bytes(8).toString('hex')}`);
        default:
          return Buffer.alloc(0);
      }
    };
    const before = log.entries.filter((e) => e.msg.includes('handler failed')).length;
    const fuzzed: RawClient[] = [];
    for (let round = 0; round < 60; round++) {
      const c = await RawClient.connect(port('SASL_PLAINTEXT'));
      const steps = 1 + Math.floor(rnd() * 5);
      for (let i = 0; i < steps && !c.closed; i++) {
        const kind = Math.floor(rnd() * 6);
        if (kind === 0) c.send(c.encode(ApiKey.SaslHandshake, pick([0, 1]), { mechanism: pick(['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'GSSAPI', '', 'plain']) }));
        else if (kind <= 2) c.send(c.encode(ApiKey.SaslAuthenticate, pick([0, 1, 2]), { authBytes: token() }));
        else if (kind === 3) c.send(c.encode(ApiKey.ApiVersions, pick([0, 3]), { clientSoftwareName: 'f', clientSoftwareVersion: '1' }));
        else if (kind === 4) {
          const t = token();
          const prefix = Buffer.alloc(4);
          prefix.writeInt32BE(t.length);
          c.send(Buffer.concat([prefix, t])); // a raw token, in or out of place
        } else c.send(bytes(Math.floor(rnd() * 20))); // arbitrary bytes, maybe half a frame
        // Whatever came back, the broker must either keep talking or close; drain what it sent.
        await c.nextFrame(50).catch(() => undefined);
      }
      fuzzed.push(c);
    }
    // None of them authenticated, so the broker must have closed every one by the authentication timeout.
    await Promise.all(fuzzed.map((c) => closedWithin(c.socket, AUTH_TIMEOUT_MS * 4, Date.now())));
    expect(log.entries.filter((e) => e.msg.includes('handler failed')).length).to.equal(before);
    // The broker still serves a proper login.
    const ok = await RawClient.connect(port('SASL_PLAINTEXT'));
    expect((await ok.request<SaslHandshakeResponse>(ApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' })).errorCode).to.equal(ErrorCode.NONE);
    const auth = await ok.request<SaslAuthenticateResponse>(ApiKey.SaslAuthenticate, 2, { authBytes: Buffer.from('\u0000alice\u0000alice-secret') });
    expect(auth.errorCode).to.equal(ErrorCode.NONE);
    ok.close();
  });

  it('a TLS handshake that never finishes (half a ClientHello) is closed after the handshake timeout', async () => {
    const s = await connectRaw(port('SASL_SSL'));
    const openedAt = Date.now();
    // Record header announcing a 512-byte handshake record, then a few bytes of it.
    s.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]));
    const open = await closedWithin(s, HANDSHAKE_TIMEOUT_MS * 5, openedAt);
    expect(open).to.be.at.least(HANDSHAKE_TIMEOUT_MS - 50);
    const silent = await connectRaw(port('SASL_SSL'));
    const silentAt = Date.now();
    expect(await closedWithin(silent, HANDSHAKE_TIMEOUT_MS * 5, silentAt)).to.be.at.least(HANDSHAKE_TIMEOUT_MS - 50);
  });

  it('thousands of unauthenticated connections are each closed by the timeout while an authenticated kafkajs producer keeps working', async () => {
    const kafka = kafkajsClient(`127.0.0.1:${port('SASL_PLAINTEXT')}`, { protocol: 'SASL_PLAINTEXT', sasl: { mechanism: 'SCRAM-SHA-256', username: 'alice', password: 'alice-scram' } });
    const producer = kafka.producer();
    await producer.connect();
    const COUNT = 2000;
    try {
      await producer.send({ topic: 'flood', messages: [{ value: 'before' }] });
      const openedAt = Date.now();
      const sockets: net.Socket[] = [];
      const closes: Array<Promise<number>> = [];
      for (let i = 0; i < COUNT; i += 200) {
        const batch = await Promise.all(Array.from({ length: Math.min(200, COUNT - i) }, () => connectRaw(port('SASL_PLAINTEXT'))));
        for (const s of batch) {
          sockets.push(s);
          closes.push(closedWithin(s, 30_000, openedAt));
        }
      }
      // Half of them start an exchange and stall, half say nothing at all.
      const handshake = encodeRequestFrame(ApiKey.SaslHandshake, 1, { mechanism: 'SCRAM-SHA-256' }, 1);
      for (let i = 0; i < sockets.length; i += 2) sockets[i].write(handshake);
      const sentDuringFlood: string[] = [];
      for (let i = 0; i < 5; i++) {
        await producer.send({ topic: 'flood', messages: [{ value: `during-${i}` }] });
        sentDuringFlood.push(`during-${i}`);
      }
      const lifetimes = await Promise.all(closes);
      expect(sentDuringFlood).to.have.length(5);
      expect(Math.min(...lifetimes)).to.be.at.least(AUTH_TIMEOUT_MS - 50);
      await producer.send({ topic: 'flood', messages: [{ value: 'after' }] });
      const timeouts = log.entries.filter((e) => e.msg === 'SASL authentication did not finish in time; closing connection').length;
      expect(timeouts).to.be.at.least(COUNT);
      // Only the producer's connection is left.
      expect(broker.servers[0].connectionCount).to.be.at.most(2);
    } finally {
      await producer.disconnect();
    }
  });
});
