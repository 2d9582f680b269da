import { expect } from 'chai';
import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/generated/apis';
import type { MetadataResponse } from '../../protocol/generated/messages/MetadataResponse';
import type { SaslAuthenticateResponse } from '../../protocol/generated/messages/SaslAuthenticateResponse';
import type { SaslHandshakeResponse } from '../../protocol/generated/messages/SaslHandshakeResponse';
import { eventually } from '../helpers/eventually';
import { memoryLogger } from '../helpers/memoryLogger';
import { RawClient } from '../helpers/rawClient';
import { startSecureTestBroker, type SecureTestBroker } from '../helpers/secureBroker';
import { kafkajsClient } from './drivers/secureClients';

const LIFETIME_MS = 600;
const plainToken = (user: string, password: string) => Buffer.from(`\u0000${user}\u0000${password}`);

async function login(c: RawClient, user: string, password: string): Promise<SaslAuthenticateResponse> {
  const hs = await c.request<SaslHandshakeResponse>(ApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' });
  expect(hs.errorCode).to.equal(ErrorCode.NONE);
  return c.request<SaslAuthenticateResponse>(ApiKey.SaslAuthenticate, 2, { authBytes: plainToken(user, password) });
}

const metadata = (c: RawClient) => c.request<MetadataResponse>(ApiKey.Metadata, 12, { topics: null, allowAutoTopicCreation: false });

describe('SASL re-authentication and session expiry (connections.max.reauth.ms, KIP-368)', function () {
  this.timeout(60_000);
  let broker: SecureTestBroker;
  const log = memoryLogger();
  before(async () => {
    broker = await startSecureTestBroker(
      { alice: 'alice-secret', bob: 'bob-secret' },
      { logger: log, config: { 'listener.name.sasl_plaintext.connections.max.reauth.ms': String(LIFETIME_MS) } },
    );
  });
  after(async () => broker.destroy());
  const port = () => Number(broker.saslBootstrap.split(':')[1]);

  it('tells the client its session lifetime and lets it re-authenticate as the same principal', async () => {
    const c = await RawClient.connect(port());
    try {
      const first = await login(c, 'alice', 'alice-secret');
      expect(first.errorCode).to.equal(ErrorCode.NONE);
      expect(first.sessionLifetimeMs).to.equal(BigInt(LIFETIME_MS));
      const state = broker.servers[0].liveConnections().find((conn) => conn.info.principal === 'User:alice')?.sasl;
      expect(state?.authenticated).to.equal(true);
      expect(state!.sessionExpiresAt - Date.now()).to.be.within(0, LIFETIME_MS);
      expect((await metadata(c)).brokers).to.have.length(1);
      const again = await login(c, 'alice', 'alice-secret');
      expect(again.errorCode).to.equal(ErrorCode.NONE);
      expect(again.sessionLifetimeMs).to.equal(BigInt(LIFETIME_MS));
      expect((await metadata(c)).brokers).to.have.length(1);
      expect(log.entries.some((e) => e.msg === 'SASL re-authentication succeeded' && e.fields.principal === 'User:alice')).to.equal(true);
    } finally {
      c.close();
    }
  });

  it('refuses a re-authentication that would change the principal, and closes the connection', async () => {
    const c = await RawClient.connect(port());
    expect((await login(c, 'alice', 'alice-secret')).errorCode).to.equal(ErrorCode.NONE);
    const other = await login(c, 'bob', 'bob-secret');
    expect(other.errorCode).to.equal(ErrorCode.SASL_AUTHENTICATION_FAILED);
    expect(other.errorMessage).to.equal('Cannot change principals during re-authentication from User:alice: User:bob');
    await c.closedPromise;
  });

  it('closes a connection on its first request after the session expired without re-authentication', async () => {
    const c = await RawClient.connect(port());
    expect((await login(c, 'alice', 'alice-secret')).errorCode).to.equal(ErrorCode.NONE);
    const authenticatedAt = Date.now();
    let answered = 0;
    // Keep asking until the broker cuts the connection; every answer must come before expiry.
    const answeredLate: number[] = [];
    await eventually(async () => {
      if (c.closed) return true;
      const sentAt = Date.now();
      const ok = await metadata(c).then(
        () => true,
        () => false,
      );
      if (ok) {
        answered++;
        if (sentAt - authenticatedAt > LIFETIME_MS + 50) answeredLate.push(sentAt - authenticatedAt);
      }
      return false;
    }, 'the broker to close the expired session', { ms: 10 * LIFETIME_MS, intervalMs: 50 });
    expect(answeredLate, 'requests answered after the session expired (ms after login)').to.deep.equal([]);
    expect(c.closed).to.equal(true);
    expect(answered).to.be.greaterThan(0);
    expect(Date.now() - authenticatedAt).to.be.at.least(LIFETIME_MS);
    expect(log.entries.some((e) => e.msg === 'SASL session expired without re-authentication; closing connection')).to.equal(true);
  });

  it('kafkajs re-authenticates on its own and keeps producing across several session lifetimes', async () => {
    const kafka = kafkajsClient(broker.saslBootstrap, { protocol: 'SASL_PLAINTEXT', sasl: { mechanism: 'PLAIN', username: 'alice', password: 'alice-secret' } });
    const producer = kafka.producer();
    await producer.connect();
    const before = log.entries.filter((e) => e.msg === 'SASL re-authentication succeeded').length;
    const expiredBefore = log.entries.filter((e) => e.msg === 'SASL session expired without re-authentication; closing connection').length;
    const start = Date.now();
    let sent = 0;
    try {
      // one send every quarter lifetime for three lifetimes
      await eventually(async () => {
        await producer.send({ topic: 'reauth', messages: [{ value: `v${sent}` }] });
        sent++;
        return Date.now() - start >= 3 * LIFETIME_MS;
      }, 'three session lifetimes of producing', { ms: 20 * LIFETIME_MS, intervalMs: LIFETIME_MS / 4 });
    } finally {
      await producer.disconnect();
    }
    expect(sent).to.be.greaterThan(4);
    expect(log.entries.filter((e) => e.msg === 'SASL re-authentication succeeded').length).to.be.greaterThan(before);
    expect(log.entries.filter((e) => e.msg === 'SASL session expired without re-authentication; closing connection').length).to.equal(expiredBefore);
  });
});
