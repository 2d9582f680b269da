import { expect } from 'chai';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, Kafka, logLevel, ResourcePatternTypes } from 'kafkajs';
import * as https from 'node:https';
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { isLoopbackAddress } from '../../src/http/httpServer';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { startSecureTestBroker, type SecureTestBroker } from '../helpers/secureBroker';
import { memoryLogger } from '../helpers/memoryLogger';
import { makeTestCerts, tlsListenerProps, type TestCerts } from '../helpers/certs';
import { credentialFromPassword, SCRAM_SHA_512 } from '../../src/security/scram/credential';

const USERS = { alice: 'alice-secret', bob: 'bob-secret' };
/** An address of this machine that is not loopback, so a request from here to there is not from loopback. */
const otherAddress = () => Object.values(networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal && !isLoopbackAddress(i.address))?.address;
const basic = (u: string, p: string) => ({ authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });

describe('HTTP login', function () {
  describe('without users', () => {
    let broker: TestBroker;
    const log = memoryLogger();
    before(async () => {
      broker = await startTestBroker({ metricsPort: 0, metricsHost: '0.0.0.0', console: true, logger: log });
    });
    after(async () => broker?.destroy());

    it('binds the configured host, says so, and asks loopback callers for no login', async () => {
      const warned = log.entries.find((e) => e.level === 'warn' && /no SASL\/PLAIN or SCRAM users/.test(e.msg));
      expect(warned?.fields).to.include({ host: '0.0.0.0' });
      expect(warned?.msg).to.match(/only \/metrics and \/healthz answer other machines/);
      const listening = log.entries.find((e) => e.msg === 'http listening');
      expect(listening?.fields.host).to.equal('0.0.0.0');
      expect((await fetch(`http://127.0.0.1:${broker.httpPort}/api/overview`)).status).to.equal(200);
      expect((await fetch(`http://127.0.0.1:${broker.httpPort}/v3/clusters`)).status).to.equal(200);
    });

    // A Prometheus in another container (docker-compose) scrapes through a non-loopback address.
    it('serves /metrics and /healthz to other machines, and the unauthenticated console and APIs to none', async function () {
      const other = otherAddress();
      if (!other) return this.skip(); // no non-loopback interface to call from
      const base = `http://${other}:${broker.httpPort}`;
      expect((await fetch(`${base}/metrics`)).status).to.equal(200);
      expect(await (await fetch(`${base}/healthz`)).text()).to.equal('ok\n');
      for (const path of ['/', '/api/overview', '/v3/clusters', '/subjects']) {
        const res = await fetch(`${base}${path}`, { redirect: 'manual' });
        expect(res.status, path).to.equal(403);
        expect(await res.text()).to.match(/no SASL\/PLAIN or SCRAM users are configured/);
      }
    });

    it('knows loopback callers', () => {
      for (const a of ['127.0.0.1', '127.3.4.5', '::1', '::ffff:127.0.0.1']) expect(isLoopbackAddress(a), a).to.equal(true);
      for (const a of ['10.0.0.1', '::ffff:172.17.0.1', 'fd00::2', '0.0.0.0', 'unknown']) expect(isLoopbackAddress(a), a).to.equal(false);
    });

    it('turns the login on as soon as a SCRAM user is created, and takes that user\'s password', async () => {
      await broker.services.scram!.apply([{ user: 'carol', mechanism: SCRAM_SHA_512, credential: credentialFromPassword(SCRAM_SHA_512, 'carol-secret') }]);
      expect((await fetch(`http://127.0.0.1:${broker.httpPort}/v3/clusters`)).status).to.equal(401);
      expect((await fetch(`http://127.0.0.1:${broker.httpPort}/v3/clusters`, { headers: basic('carol', 'wrong') })).status).to.equal(401);
      expect((await fetch(`http://127.0.0.1:${broker.httpPort}/v3/clusters`, { headers: basic('carol', 'carol-secret') })).status).to.equal(200);
      // with a user to log in as, other machines are served too (behind the login)
      const other = otherAddress();
      if (other) expect((await fetch(`http://${other}:${broker.httpPort}/v3/clusters`, { headers: basic('carol', 'carol-secret') })).status).to.equal(200);
      // A deleted credential stops working at once (no stale cache).
      await broker.services.scram!.apply([{ user: 'carol', mechanism: SCRAM_SHA_512, credential: null }]);
      await broker.services.scram!.apply([{ user: 'dave', mechanism: SCRAM_SHA_512, credential: credentialFromPassword(SCRAM_SHA_512, 'dave-secret') }]);
      expect((await fetch(`http://127.0.0.1:${broker.httpPort}/v3/clusters`, { headers: basic('carol', 'carol-secret') })).status).to.equal(401);
    });
  });

  describe('console session', () => {
    let broker: SecureTestBroker;
    let base: string;
    before(async () => {
      broker = await startSecureTestBroker(USERS, {
        metricsPort: 0,
        console: true,
        config: { 'authorizer.class.name': 'brook', 'super.users': 'User:alice', 'brook.http.rate.limit.per.sec': '0' },
      });
      base = `http://127.0.0.1:${broker.httpPort}`;
      await fetch(`${base}/v3/clusters`, { headers: basic('alice', USERS.alice) })
        .then((r) => r.json())
        .then((c: any) => fetch(`${base}/v3/clusters/${c.data[0].cluster_id}/topics`, { method: 'POST', headers: { ...basic('alice', USERS.alice), 'content-type': 'application/json' }, body: '{"topic_name":"secret-stuff"}' }));
    });
    after(async () => broker?.destroy());

    const login = (user: string, password: string) =>
      fetch(`${base}/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ user, password }).toString() });

    it('sends a visitor without a session to the login form, and API calls get 401', async () => {
      const page = await fetch(`${base}/`, { redirect: 'manual' });
      expect(page.status).to.equal(303);
      expect(page.headers.get('location')).to.equal('/login');
      expect((await fetch(`${base}/login`)).status).to.equal(200);
      expect((await fetch(`${base}/api/topics`)).status).to.equal(401);
      // Probes and scrapes need no login.
      expect((await fetch(`${base}/healthz`)).status).to.equal(200);
      expect((await fetch(`${base}/metrics`)).status).to.equal(200);
    });

    it('logs in with the form, serves the console under the session cookie, and logs out', async () => {
      expect((await login('alice', 'nope')).status).to.equal(401);
      const ok = await login('alice', USERS.alice);
      expect(ok.status).to.equal(303);
      const cookie = ok.headers.get('set-cookie')!;
      expect(cookie).to.match(/^brook_session=[^;]+; Path=\/; HttpOnly; SameSite=Strict/);
      const session = cookie.split(';')[0]!;
      const who = await (await fetch(`${base}/api/whoami`, { headers: { cookie: session } })).json();
      expect(who).to.deep.equal({ principal: 'User:alice' });
      const topics = (await (await fetch(`${base}/api/topics`, { headers: { cookie: session } })).json()) as Array<{ name: string }>;
      expect(topics.map((t) => t.name)).to.include('secret-stuff');
      expect((await fetch(`${base}/logout`, { redirect: 'manual', headers: { cookie: session } })).status).to.equal(303);
      expect((await fetch(`${base}/api/topics`, { headers: { cookie: session } })).status).to.equal(401);
    });

    it('answers client mistakes with 400, not 500: malformed JSON logins, malformed %-escapes in console paths', async () => {
      const json = { 'content-type': 'application/json' };
      for (const body of ['{bad', 'null', '"alice"']) expect((await fetch(`${base}/login`, { method: 'POST', redirect: 'manual', headers: json, body })).status, body).to.equal(400);
      const ok = await fetch(`${base}/login`, { method: 'POST', redirect: 'manual', headers: json, body: JSON.stringify({ user: 'alice', password: USERS.alice }) });
      expect(ok.status).to.equal(303);
      const session = ok.headers.get('set-cookie')!.split(';')[0]!;
      for (const [method, path] of [['GET', '/api/topics/%E0'], ['GET', '/api/topics/%E0/messages'], ['GET', '/api/groups/%ZZ'], ['DELETE', '/api/topics/%E0'], ['GET', '/api/topics/%E0/search']]) {
        const r = await fetch(`${base}${path}`, { method, headers: { cookie: session } });
        expect(r.status, `${method} ${path}`).to.equal(400);
        expect(((await r.json()) as { message: string }).message).to.include('malformed percent-encoding');
      }
      // a malformed cookie is no session
      expect((await fetch(`${base}/api/topics`, { headers: { cookie: 'brook_session=%ZZ' } })).status).to.equal(401);
    });

    it('shows a principal only what its ACLs let it describe or read', async () => {
      const session = (await login('bob', USERS.bob)).headers.get('set-cookie')!.split(';')[0]!;
      const topics = (await (await fetch(`${base}/api/topics`, { headers: { cookie: session } })).json()) as Array<{ name: string }>;
      expect(topics.map((t) => t.name)).to.not.include('secret-stuff');
      expect((await fetch(`${base}/api/topics/secret-stuff/messages`, { headers: { cookie: session } })).status).to.equal(403);
    });

    it('leaves topics a principal may not describe out of the cluster view, the counts and its groups\' offsets', async () => {
      const kafka = new Kafka({ brokers: [broker.saslBootstrap], sasl: { mechanism: 'plain', username: 'alice', password: USERS.alice }, logLevel: logLevel.NOTHING });
      const admin = kafka.admin();
      await admin.connect();
      try {
        await admin.createTopics({ topics: [{ topic: 'bob-topic', numPartitions: 1 }] });
        await admin.createAcls({
          acl: [
            { resourceType: AclResourceTypes.TOPIC, resourceName: 'bob-topic', resourcePatternType: ResourcePatternTypes.LITERAL, principal: 'User:bob', host: '*', operation: AclOperationTypes.DESCRIBE, permissionType: AclPermissionTypes.ALLOW },
            { resourceType: AclResourceTypes.GROUP, resourceName: 'g-mixed', resourcePatternType: ResourcePatternTypes.LITERAL, principal: 'User:bob', host: '*', operation: AclOperationTypes.DESCRIBE, permissionType: AclPermissionTypes.ALLOW },
          ],
        });
      } finally {
        await admin.disconnect();
      }
      // one group with offsets on a topic bob may describe and on one he may not
      await broker.services.groups!.commitOffsets({
        groupId: 'g-mixed', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1,
        offsets: [{ topic: 'bob-topic', partition: 0, offset: 0, leaderEpoch: -1, metadata: null }, { topic: 'secret-stuff', partition: 0, offset: 0, leaderEpoch: -1, metadata: null }],
      });
      const as = async (cookie: string, p: string): Promise<any> => (await fetch(`${base}${p}`, { headers: { cookie } })).json();
      const bob = (await login('bob', USERS.bob)).headers.get('set-cookie')!.split(';')[0]!;
      const alice = (await login('alice', USERS.alice)).headers.get('set-cookie')!.split(';')[0]!;
      expect((await as(bob, '/api/cluster')).partitions.map((p: { topic: string }) => p.topic)).to.deep.equal(['bob-topic']);
      expect((await as(alice, '/api/cluster')).partitions.map((p: { topic: string }) => p.topic)).to.include.members(['bob-topic', 'secret-stuff']);
      const groups = (await as(bob, '/api/groups')) as Array<{ groupId: string; partitions: Array<{ topic: string }> }>;
      expect(groups.map((g) => g.groupId)).to.deep.equal(['g-mixed']);
      expect(groups[0]!.partitions.map((p) => p.topic)).to.deep.equal(['bob-topic']);
      expect((await as(bob, '/api/groups/g-mixed')).partitions.map((p: { topic: string }) => p.topic)).to.deep.equal(['bob-topic']);
      expect((await as(alice, '/api/groups/g-mixed')).partitions.map((p: { topic: string }) => p.topic)).to.deep.equal(['bob-topic', 'secret-stuff']);
      expect(await as(bob, '/api/overview')).to.deep.include({ topics: 1, groups: 1 });
      expect((await as(alice, '/api/overview')).topics).to.be.at.least(2);
    });

    it('refuses an offset reset of a group the caller may not read before looking at the group (its state stays hidden)', async () => {
      // an active group: one classic member joining; bob may describe bob-topic (made by the test above), not the groups
      const joined = broker.services.groups!.join({
        groupId: 'g-active', memberId: '', groupInstanceId: null, sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 30_000, protocolType: 'consumer',
        protocols: [{ name: 'range', metadata: Buffer.alloc(0) }], clientId: 'c', clientHost: '/127.0.0.1', requireKnownMemberId: false,
      });
      expect(broker.services.groups!.groupState('g-active')).to.not.equal(undefined);
      const reset = (group: string) =>
        fetch(`${base}/api/groups/${group}/reset`, { method: 'POST', headers: { ...basic('bob', USERS.bob), 'content-type': 'application/json' }, body: '{"topic":"bob-topic","to":"earliest"}' });
      const answers = await Promise.all(['g-active', 'g-missing'].map(async (g) => { const r = await reset(g); return [r.status, ((await r.json()) as { error_code: number }).error_code]; }));
      expect(answers).to.deep.equal([[403, 40301], [403, 40301]]);
      // alice (a super user) is told why she may not reset it
      const r = await fetch(`${base}/api/groups/g-active/reset`, { method: 'POST', headers: { ...basic('alice', USERS.alice), 'content-type': 'application/json' }, body: '{"topic":"bob-topic","to":"earliest"}' });
      expect(r.status).to.equal(409);
      void joined.catch(() => undefined);
    });
  });

  describe('password guessing', () => {
    it('refuses an address with 429, unchecked, after 10 failed logins within 10 s', async () => {
      const broker = await startSecureTestBroker(USERS, { metricsPort: 0, config: { 'brook.http.rate.limit.per.sec': '0' } });
      try {
        const url = `http://127.0.0.1:${broker.httpPort}/v3/clusters`;
        for (let i = 0; i < 10; i++) expect((await fetch(url, { headers: basic('bob', `guess-${i}`) })).status).to.equal(401);
        const locked = await fetch(url, { headers: basic('bob', USERS.bob) });
        expect(locked.status).to.equal(429);
        expect(locked.headers.get('retry-after')).to.equal('10');
      } finally {
        await broker.destroy();
      }
    });
  });

  describe('HTTPS with a listener\'s certificates', () => {
    let certs: TestCerts;
    let broker: SecureTestBroker;
    before(async () => {
      certs = makeTestCerts();
      broker = await startSecureTestBroker(USERS, {
        metricsPort: 0,
        config: {
          listeners: 'SASL_PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0',
          ...tlsListenerProps(certs, 'SSL'),
          'brook.http.tls.listener': 'SSL',
        },
      });
    });
    after(async () => {
      await broker?.destroy();
      certs?.remove();
    });

    const get = (path: string, headers: Record<string, string>, ca?: Buffer) =>
      new Promise<{ status: number; error?: string }>((resolve) => {
        const req = https.get({ host: '127.0.0.1', port: broker.httpPort!, path, headers, ca, servername: 'localhost' }, (res) => {
          res.resume();
          resolve({ status: res.statusCode! });
        });
        req.on('error', (err) => resolve({ status: 0, error: err.message }));
      });

    it('serves HTTPS that a client trusting the listener\'s CA accepts, and Basic logins over it', async () => {
      const ca = readFileSync(certs.caCert);
      expect((await get('/v3/clusters', basic('alice', USERS.alice), ca)).status).to.equal(200);
      expect((await get('/v3/clusters', basic('alice', 'wrong'), ca)).status).to.equal(401);
      // Without the CA the certificate is not trusted: it really is the listener's, not a throwaway one.
      expect((await get('/v3/clusters', basic('alice', USERS.alice))).error).to.match(/self[- ]signed|unable to (get|verify)/i);
    });
  });
});
