import { expect } from 'chai';
import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/generated/apis';
import type { ApiVersionsResponse } from '../../protocol/generated/messages/ApiVersionsResponse';
import type { MetadataResponse } from '../../protocol/generated/messages/MetadataResponse';
import type { SaslAuthenticateResponse } from '../../protocol/generated/messages/SaslAuthenticateResponse';
import type { SaslHandshakeResponse } from '../../protocol/generated/messages/SaslHandshakeResponse';
import type { AlterUserScramCredentialsResponse } from '../../protocol/generated/messages/AlterUserScramCredentialsResponse';
import type { DescribeUserScramCredentialsResponse } from '../../protocol/generated/messages/DescribeUserScramCredentialsResponse';
import { randomBytes } from 'node:crypto';
import { credentialFromPassword, saltedPassword, SCRAM_SHA_256, SCRAM_SHA_512 } from '../../src/security/scram/credential';
import { RawClient } from '../helpers/rawClient';
import { ScramTestClient } from '../helpers/scramClient';
import { startSecureTestBroker, type SecureTestBroker } from '../helpers/secureBroker';

const plainToken = (user: string, password: string) => Buffer.from(`\u0000${user}\u0000${password}`);
const port = (bootstrap: string) => Number(bootstrap.split(':')[1]);

function rawToken(token: Buffer): Buffer {
  const prefix = Buffer.alloc(4);
  prefix.writeInt32BE(token.length);
  return Buffer.concat([prefix, token]);
}

async function handshake(c: RawClient, mechanism: string, version = 1): Promise<SaslHandshakeResponse> {
  return c.request<SaslHandshakeResponse>(ApiKey.SaslHandshake, version, { mechanism });
}

async function authenticate(c: RawClient, token: Buffer, version = 2): Promise<SaslAuthenticateResponse> {
  return c.request<SaslAuthenticateResponse>(ApiKey.SaslAuthenticate, version, { authBytes: token });
}

async function metadata(c: RawClient): Promise<MetadataResponse> {
  return c.request<MetadataResponse>(ApiKey.Metadata, 12, { topics: null, allowAutoTopicCreation: false });
}

/** Waits for the broker to close the connection (or fails after the deadline). */
async function closedWithin(c: RawClient, ms: number): Promise<void> {
  await Promise.race([c.closedPromise, new Promise((_, reject) => setTimeout(() => reject(new Error('connection still open')), ms))]);
}

function principals(b: SecureTestBroker): string[] {
  return b.servers.flatMap((s) => s.liveConnections().map((c) => c.info.principal));
}

describe('SASL gate (raw protocol)', () => {
  let broker: SecureTestBroker;
  before(async () => {
    broker = await startSecureTestBroker({ alice: 'alice-secret', bob: 'bob-secret' });
  });
  after(async () => broker.destroy());

  it('serves ApiVersions before authentication and advertises the SASL and SCRAM admin APIs', async () => {
    const c = await RawClient.connect(port(broker.saslBootstrap));
    try {
      const res = await c.request<ApiVersionsResponse>(ApiKey.ApiVersions, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' });
      const keys = res.apiKeys.map((k) => k.apiKey);
      expect(keys).to.include.members([ApiKey.SaslHandshake, ApiKey.SaslAuthenticate, ApiKey.DescribeUserScramCredentials, ApiKey.AlterUserScramCredentials]);
    } finally {
      c.close();
    }
  });

  it('closes a connection that sends any other API before authenticating', async () => {
    const c = await RawClient.connect(port(broker.saslBootstrap));
    c.send(c.encode(ApiKey.Metadata, 12, { topics: null, allowAutoTopicCreation: false }));
    await closedWithin(c, 5000);
    const d = await RawClient.connect(port(broker.saslBootstrap));
    // SaslAuthenticate before SaslHandshake is out of order too.
    d.send(d.encode(ApiKey.SaslAuthenticate, 2, { authBytes: plainToken('alice', 'alice-secret') }));
    await closedWithin(d, 5000);
  });

  it('PLAIN with SaslHandshake v1 + SaslAuthenticate: authenticates, sets the principal, then serves every API', async () => {
    const c = await RawClient.connect(port(broker.saslBootstrap));
    try {
      const hs = await handshake(c, 'PLAIN');
      expect(hs.errorCode).to.equal(ErrorCode.NONE);
      expect(hs.mechanisms).to.deep.equal(['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']);
      const auth = await authenticate(c, plainToken('alice', 'alice-secret'));
      expect(auth.errorCode).to.equal(ErrorCode.NONE);
      expect(auth.sessionLifetimeMs).to.equal(0n);
      expect(principals(broker)).to.include('User:alice');
      const md = await metadata(c);
      expect(md.brokers).to.have.length(1);
      // The broker answers with the address of the listener the request came in on.
      expect(`${md.brokers[0].host}:${md.brokers[0].port}`).to.equal(broker.saslBootstrap);
      // After authentication the SASL APIs are out of place (Kafka: ILLEGAL_SASL_STATE); without
      // connections.max.reauth.ms there is no re-authentication either.
      expect((await authenticate(c, plainToken('alice', 'alice-secret'))).errorCode).to.equal(ErrorCode.ILLEGAL_SASL_STATE);
      expect((await handshake(c, 'PLAIN')).errorCode).to.equal(ErrorCode.ILLEGAL_SASL_STATE);
      expect((await metadata(c)).brokers).to.have.length(1);
    } finally {
      c.close();
    }
  });

  it('a wrong password gets SASL_AUTHENTICATION_FAILED with a message after connection.failed.authentication.delay.ms (100), then the connection is closed', async () => {
    for (const [user, pw] of [['alice', 'wrong'], ['nobody', 'alice-secret']]) {
      const c = await RawClient.connect(port(broker.saslBootstrap));
      await handshake(c, 'PLAIN');
      const sentAt = Date.now();
      const auth = await authenticate(c, plainToken(user, pw));
      expect(Date.now() - sentAt).to.be.at.least(95);
      expect(auth.errorCode).to.equal(ErrorCode.SASL_AUTHENTICATION_FAILED);
      expect(auth.errorMessage).to.match(/Invalid username or password/);
      await closedWithin(c, 5000);
    }
  });

  it('an unsupported mechanism gets UNSUPPORTED_SASL_MECHANISM and the enabled list, then the connection is closed', async () => {
    const c = await RawClient.connect(port(broker.saslBootstrap));
    const hs = await handshake(c, 'GSSAPI');
    expect(hs.errorCode).to.equal(ErrorCode.UNSUPPORTED_SASL_MECHANISM);
    expect(hs.mechanisms).to.include('PLAIN');
    await closedWithin(c, 5000);
  });

  it('SaslHandshake v0 switches to raw tokens without Kafka headers (old clients, kafka-python)', async () => {
    const c = await RawClient.connect(port(broker.saslBootstrap));
    try {
      expect((await handshake(c, 'PLAIN', 0)).errorCode).to.equal(ErrorCode.NONE);
      c.send(rawToken(plainToken('bob', 'bob-secret')));
      expect((await c.nextFrame()).length).to.equal(0); // PLAIN's empty success token
      expect(principals(broker)).to.include('User:bob');
      expect((await metadata(c)).brokers).to.have.length(1);
    } finally {
      c.close();
    }
    const bad = await RawClient.connect(port(broker.saslBootstrap));
    await handshake(bad, 'PLAIN', 0);
    bad.send(rawToken(plainToken('bob', 'nope')));
    await closedWithin(bad, 5000);
  });

  it('a SaslHandshake on a PLAINTEXT listener is answered ILLEGAL_SASL_STATE and other APIs work without authentication', async () => {
    const c = await RawClient.connect(port(broker.plainBootstrap));
    try {
      expect((await handshake(c, 'PLAIN')).errorCode).to.equal(ErrorCode.ILLEGAL_SASL_STATE);
      const md = await metadata(c);
      expect(`${md.brokers[0].host}:${md.brokers[0].port}`).to.equal(broker.plainBootstrap);
    } finally {
      c.close();
    }
  });
});

describe('SCRAM over SASL_PLAINTEXT (raw protocol) and the SCRAM admin APIs', () => {
  let broker: SecureTestBroker;
  before(async () => {
    broker = await startSecureTestBroker({ admin: 'admin-secret' });
  });
  after(async () => broker.destroy());

  async function scramLogin(user: string, password: string, mech = SCRAM_SHA_256, handshakeVersion = 1): Promise<{ c: RawClient; error: number; message: string | null }> {
    const c = await RawClient.connect(port(broker.saslBootstrap));
    expect((await handshake(c, mech.name, handshakeVersion)).errorCode).to.equal(ErrorCode.NONE);
    const client = new ScramTestClient(mech, user, password);
    if (handshakeVersion === 0) {
      c.send(rawToken(client.first()));
      c.send(rawToken(client.final(await c.nextFrame())));
      const final = await c.nextFrame();
      expect(client.verifyServerFinal(final)).to.equal(true);
      return { c, error: 0, message: null };
    }
    const first = await authenticate(c, client.first());
    if (first.errorCode !== 0) return { c, error: first.errorCode, message: first.errorMessage };
    const final = await authenticate(c, client.final(first.authBytes));
    if (final.errorCode === 0) expect(client.verifyServerFinal(final.authBytes)).to.equal(true);
    return { c, error: final.errorCode, message: final.errorMessage };
  }

  it('creates users with AlterUserScramCredentials (salted by the client), describes them, and they can log in', async () => {
    const admin = await RawClient.connect(port(broker.plainBootstrap));
    try {
      const salt = randomBytes(24);
      const upsertions = [
        { name: 'carol', mechanism: SCRAM_SHA_256.code, iterations: 4096, salt, saltedPassword: saltedPassword(SCRAM_SHA_256, 'carol-pw', salt, 4096) },
        { name: 'carol', mechanism: SCRAM_SHA_512.code, iterations: 8192, salt, saltedPassword: saltedPassword(SCRAM_SHA_512, 'carol-pw', salt, 8192) },
      ];
      const res = await admin.request<AlterUserScramCredentialsResponse>(ApiKey.AlterUserScramCredentials, 0, { deletions: [], upsertions });
      expect(res.results).to.deep.equal([{ user: 'carol', errorCode: 0, errorMessage: null }]);
      const desc = await admin.request<DescribeUserScramCredentialsResponse>(ApiKey.DescribeUserScramCredentials, 0, { users: [{ name: 'carol' }, { name: 'dave' }] });
      expect(desc.results.map((r) => [r.user, r.errorCode, r.credentialInfos.map((i) => [i.mechanism, i.iterations])])).to.deep.equal([
        ['carol', 0, [[1, 4096], [2, 8192]]],
        ['dave', ErrorCode.RESOURCE_NOT_FOUND, []],
      ]);
    } finally {
      admin.close();
    }
    for (const mech of [SCRAM_SHA_256, SCRAM_SHA_512]) {
      const ok = await scramLogin('carol', 'carol-pw', mech);
      expect(ok.error, mech.name).to.equal(0);
      expect((await metadata(ok.c)).brokers).to.have.length(1);
      ok.c.close();
    }
    const v0 = await scramLogin('carol', 'carol-pw', SCRAM_SHA_512, 0);
    expect((await metadata(v0.c)).brokers).to.have.length(1);
    v0.c.close();
    const bad = await scramLogin('carol', 'wrong');
    expect(bad.error).to.equal(ErrorCode.SASL_AUTHENTICATION_FAILED);
    expect(bad.message).to.match(/invalid credentials with SASL mechanism SCRAM-SHA-256/);
    await closedWithin(bad.c, 5000);
  });

  it("answers Kafka's per-user errors: unknown mechanism, too few/many iterations, duplicates, deleting what is not there", async () => {
    const admin = await RawClient.connect(port(broker.plainBootstrap));
    try {
      const s = Buffer.alloc(16, 7);
      const up = (name: string, mechanism: number, iterations: number) => ({ name, mechanism, iterations, salt: s, saltedPassword: Buffer.alloc(32, 1) });
      const res = await admin.request<AlterUserScramCredentialsResponse>(ApiKey.AlterUserScramCredentials, 0, {
        deletions: [
          { name: 'ghost', mechanism: 1 },
          { name: 'twice', mechanism: 1 },
        ],
        upsertions: [up('m', 0, 4096), up('few', 1, 100), up('many', 2, 100_000), up('twice', 1, 4096), up('', 1, 4096), up('fine', 1, 4096)],
      });
      const byUser = Object.fromEntries(res.results.map((r) => [r.user, r.errorCode]));
      expect(byUser).to.deep.equal({
        ghost: ErrorCode.RESOURCE_NOT_FOUND,
        twice: ErrorCode.DUPLICATE_RESOURCE,
        m: ErrorCode.UNSUPPORTED_SASL_MECHANISM,
        few: ErrorCode.UNACCEPTABLE_CREDENTIAL,
        many: ErrorCode.UNACCEPTABLE_CREDENTIAL,
        '': ErrorCode.UNACCEPTABLE_CREDENTIAL,
        fine: ErrorCode.NONE,
      });
      const all = await admin.request<DescribeUserScramCredentialsResponse>(ApiKey.DescribeUserScramCredentials, 0, { users: null });
      expect(all.results.map((r) => r.user)).to.include('fine').and.not.include('twice').and.not.include('few');
      const dup = await admin.request<DescribeUserScramCredentialsResponse>(ApiKey.DescribeUserScramCredentials, 0, { users: [{ name: 'fine' }, { name: 'fine' }] });
      expect(dup.results).to.deep.equal([{ user: 'fine', errorCode: ErrorCode.DUPLICATE_RESOURCE, errorMessage: 'Cannot describe SCRAM credentials for the same user twice in a single request', credentialInfos: [] }]);
      const del = await admin.request<AlterUserScramCredentialsResponse>(ApiKey.AlterUserScramCredentials, 0, { deletions: [{ name: 'fine', mechanism: 1 }], upsertions: [] });
      expect(del.results).to.deep.equal([{ user: 'fine', errorCode: 0, errorMessage: null }]);
      const after = await admin.request<DescribeUserScramCredentialsResponse>(ApiKey.DescribeUserScramCredentials, 0, { users: [{ name: 'fine' }] });
      expect(after.results[0].errorCode).to.equal(ErrorCode.RESOURCE_NOT_FOUND);
    } finally {
      admin.close();
    }
  });

  it('keeps credentials (salted, no password) across a restart', async () => {
    await broker.services.scram!.apply([{ user: 'erin', mechanism: SCRAM_SHA_512, credential: credentialFromPassword(SCRAM_SHA_512, 'erin-pw') }]);
    const dataDir = broker.dataDir;
    await broker.close();
    const { readFileSync } = await import('node:fs');
    const text = readFileSync(`${dataDir}/scram-credentials.json`, 'utf8');
    expect(text).to.include('erin').and.not.include('erin-pw');
    broker = await startSecureTestBroker({ admin: 'admin-secret' }, { dataDir });
    const ok = await scramLogin('erin', 'erin-pw', SCRAM_SHA_512);
    expect(ok.error).to.equal(0);
    ok.c.close();
  });
});
