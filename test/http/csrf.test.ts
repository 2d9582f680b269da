import { expect } from 'chai';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Kafka, logLevel } from 'kafkajs';
import { chromium, type Browser } from 'playwright-core';
import { startSecureTestBroker, type SecureTestBroker } from '../helpers/secureBroker';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const USERS = { alice: 'alice-secret', bob: 'bob-secret' };
const basic = (user: string) => `Basic ${Buffer.from(`${user}:${USERS[user as keyof typeof USERS]}`).toString('base64')}`;

/** A raw request (fetch() would add its own headers and refuse some of these). */
function request(url: string, method: string, headers: Record<string, string>, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('HTTP port: cross-site requests cannot change anything (CSRF)', function () {
  this.timeout(120_000);
  let broker: SecureTestBroker;
  let base: string;
  let kafka: Kafka;
  let cluster: string;
  let attacker: http.Server;
  let attackerPort: number;
  let browser: Browser;

  /** Everything the 'orders' topic holds, by value. */
  const values = async (): Promise<string[]> => {
    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets('orders');
    await admin.disconnect();
    const total = offsets.reduce((n, o) => n + Number(o.high) - Number(o.low), 0);
    if (total === 0) return [];
    const consumer = kafka.consumer({ groupId: `csrf-check-${Date.now()}`, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'orders', fromBeginning: true });
    const seen: string[] = [];
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          seen.push(message.value?.toString() ?? '');
          if (seen.length >= total) resolve();
        },
      });
    });
    await consumer.disconnect();
    return seen;
  };
  const retention = async (): Promise<string> => {
    const admin = kafka.admin();
    await admin.connect();
    const d = await admin.describeConfigs({ resources: [{ type: 2, name: 'orders', configNames: ['retention.ms'] }], includeSynonyms: false });
    await admin.disconnect();
    return d.resources[0]!.configEntries[0]!.configValue;
  };

  before(async () => {
    broker = await startSecureTestBroker(USERS, {
      metricsPort: 0,
      console: true,
      config: { 'authorizer.class.name': 'brook', 'super.users': 'User:alice', 'brook.http.rate.limit.per.sec': '0' },
    });
    base = `http://127.0.0.1:${broker.httpPort}`;
    kafka = new Kafka({ brokers: [broker.saslBootstrap], sasl: { mechanism: 'plain', username: 'alice', password: USERS.alice }, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 1, configEntries: [{ name: 'retention.ms', value: '3600000' }] }] });
    await admin.disconnect();
    cluster = JSON.parse((await request(`${base}/v3/clusters`, 'GET', { authorization: basic('alice') })).text).data[0].cluster_id;
    // The attacker's page: the ways a page elsewhere can post without a CORS preflight.
    const page = (target: string) => `<!doctype html><script>
(async () => {
  const t = '${target}';
  const send = (path, init) => fetch(t + path, Object.assign({ method: 'POST', mode: 'no-cors', credentials: 'include' }, init)).then(() => 'sent', (e) => 'err ' + e);
  const out = [];
  out.push(await send('/api/topics/orders/produce', { headers: { 'content-type': 'text/plain; x=application/json' }, body: JSON.stringify({ value: 'csrf-console' }) }));
  out.push(await send('/api/topics/orders/produce', { body: new Blob([JSON.stringify({ value: 'csrf-console-blob' })]) }));
  out.push(await send('/api/topics/orders/configs', { headers: { 'content-type': 'text/plain; x=application/json' }, body: JSON.stringify({ set: { 'retention.ms': '1' } }) }));
  out.push(await send('/v3/clusters/${cluster}/topics/orders/records', { body: new Blob([JSON.stringify({ value: { type: 'STRING', data: 'csrf-rest' } })]) }));
  out.push(await send('/v3/clusters/${cluster}/topics/orders/records', { headers: { 'content-type': 'text/plain; x=application/json' }, body: JSON.stringify({ value: { type: 'STRING', data: 'csrf-rest-text' } }) }));
  document.title = 'done ' + out.join(',');
})();
</script>`;
    attacker = http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(page(base));
    });
    await new Promise<void>((r) => attacker.listen(0, '127.0.0.1', () => r()));
    attackerPort = (attacker.address() as AddressInfo).port;
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  });
  after(async () => {
    await browser?.close();
    attacker?.close();
    await broker?.destroy();
  });

  it('a page on another port or site of a logged-in browser neither produces nor alters configs', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    // the victim logs in to the console, and has used the REST proxy with Basic credentials in this browser
    await page.goto(`${base}/login`);
    await page.fill('input[name=user]', 'alice');
    await page.fill('input[name=password]', USERS.alice);
    await Promise.all([page.waitForURL(`${base}/`), page.click('button, input[type=submit]')]);
    await page.goto(`http://alice:${USERS.alice}@127.0.0.1:${broker.httpPort}/v3/clusters`);
    // same site (another port of this host), then cross-site (localhost is another site than 127.0.0.1)
    for (const host of ['127.0.0.1', 'localhost']) {
      await page.goto(`http://${host}:${attackerPort}/`);
      await page.waitForFunction("document.title.startsWith('done')", null, { timeout: 15_000 });
      // every no-cors fetch resolved: the broker has answered each, so what it did is done
      expect(await page.title()).to.equal('done sent,sent,sent,sent,sent');
    }
    await context.close();
    expect(await values()).to.deep.equal([]);
    expect(await retention()).to.equal('3600000');
  });

  it('refuses a safelisted or missing content type even with valid credentials, and takes JSON types parsed properly', async () => {
    const login = await request(`${base}/login`, 'POST', { 'content-type': 'application/x-www-form-urlencoded' }, `user=alice&password=${USERS.alice}`);
    expect(login.status).to.equal(303);
    const cookie = (await fetch(`${base}/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `user=alice&password=${USERS.alice}` })).headers.get('set-cookie')!.split(';')[0]!;
    const records = `${base}/v3/clusters/${cluster}/topics/orders/records`;
    const record = JSON.stringify({ value: { type: 'STRING', data: 'x' } });
    expect((await request(records, 'POST', { authorization: basic('alice') }, record)).status).to.equal(415);
    expect((await request(records, 'POST', { authorization: basic('alice'), 'content-type': 'text/plain; x=application/json' }, record)).status).to.equal(415);
    expect((await request(`${base}/api/topics/orders/produce`, 'POST', { cookie, 'content-type': 'text/plain; x=application/json' }, JSON.stringify({ value: 'x' }))).status).to.equal(415);
    // the REST proxy takes Basic credentials, not the console's cookie
    expect((await request(records, 'POST', { cookie, 'content-type': 'application/json' }, record)).status).to.equal(401);
    // a browser that says the request came from elsewhere is refused before anything happens
    expect((await request(`${base}/api/topics/orders/produce`, 'POST', { cookie, 'content-type': 'application/json', 'sec-fetch-site': 'same-site' }, JSON.stringify({ value: 'x' }))).status).to.equal(403);
    expect((await request(`${base}/api/topics/orders/produce`, 'POST', { cookie, 'content-type': 'application/json', origin: 'http://127.0.0.1:1' }, JSON.stringify({ value: 'x' }))).status).to.equal(403);
    expect((await request(records, 'POST', { authorization: basic('alice'), 'content-type': 'application/json', origin: 'http://evil.example' }, record)).status).to.equal(403);
    expect(await values()).to.deep.equal([]);
    // API clients (curl: no Origin, no Sec-Fetch-Site) and the console's own page keep working
    expect((await request(records, 'POST', { authorization: basic('alice'), 'content-type': 'application/vnd.kafka.v2+json; charset=utf-8' }, record)).status).to.equal(200);
    expect((await request(`${base}/api/topics/orders/produce`, 'POST', { cookie, 'content-type': 'application/json', origin: base, 'sec-fetch-site': 'same-origin' }, JSON.stringify({ value: 'y' }))).status).to.equal(200);
    expect((await values()).sort()).to.deep.equal(['x', 'y']);
  });
});
