import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, Kafka, logLevel, ResourcePatternTypes, type Producer } from 'kafkajs';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startSecureTestBroker, type SecureTestBroker } from '../helpers/secureBroker';
import { eventually } from '../helpers/eventually';

const ARTIFACTS = path.resolve(__dirname, '../../test-artifacts/console-actions');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const USERS = { alice: 'alice-secret', bob: 'bob-secret' };

describe('console actions in headless Chromium, logged in as a broker user', function () {
  this.timeout(120_000);
  let broker: SecureTestBroker;
  let kafka: Kafka;
  let producer: Producer;
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  let base: string;

  /** A screenshot of the current page at desktop and phone width. */
  const shots = async (name: string) => {
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      // Re-render so charts take the new width.
      await page.evaluate("window.dispatchEvent(new HashChangeEvent('hashchange'))");
      await page.getByTestId('status').filter({ hasText: 'updated' }).waitFor();
      await page.screenshot({ path: path.join(ARTIFACTS, `${name}-${width}.png`), fullPage: true });
      // Nothing sticks out sideways at this width.
      const overflow = (await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')) as number;
      expect(overflow, `${name} at ${width}px scrolls sideways`).to.be.at.most(0);
    }
    await page.setViewportSize({ width: 1280, height: 900 });
  };
  const go = async (hash: string) => {
    await page.goto(`${base}/?refresh=300#${hash}`);
    await page
      .getByTestId('status')
      .filter({ hasText: 'updated' })
      .waitFor({ timeout: 15_000 })
      .catch(async (err: Error) => {
        throw new Error(`${hash} did not render: status "${await page.getByTestId('status').innerText()}" (${err.message.split('\n')[0]})`);
      });
  };
  const submit = async (formId: string, values: Record<string, string>) => {
    for (const [k, v] of Object.entries(values)) {
      const f = page.getByTestId(formId).getByTestId(`f-${k}`);
      if ((await f.evaluate((e) => e.tagName)) === 'SELECT') await f.selectOption(v);
      else await f.fill(v);
    }
    await page.getByTestId(`${formId}-submit`).click();
    const result = page.getByTestId(`${formId}-result`);
    await result.filter({ hasNotText: 'working…' }).filter({ hasText: /./ }).waitFor();
    return result;
  };

  before(async () => {
    broker = await startSecureTestBroker(USERS, {
      metricsPort: 0,
      console: true,
      consoleSampleMs: 200,
      config: { 'authorizer.class.name': 'brook', 'super.users': 'User:alice', 'group.initial.rebalance.delay.ms': '0', 'offsets.topic.num.partitions': '1' },
    });
    base = `http://127.0.0.1:${broker.httpPort}`;
    kafka = new Kafka({ brokers: [broker.saslBootstrap], sasl: { mechanism: 'plain', username: 'alice', password: USERS.alice }, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'payments', numPartitions: 2 }] });
    await admin.disconnect();
    producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'payments', messages: Array.from({ length: 20 }, (_, i) => ({ key: `acct-${i}`, value: JSON.stringify({ amount: i * 10, note: i === 7 ? 'refund for order 42' : 'ok' }), partition: i % 2 })) });
    // A group that read everything and left: lag 0 until it is reset.
    const consumer = kafka.consumer({ groupId: 'billing', maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'payments', fromBeginning: true });
    let seen = 0;
    await consumer.run({ eachMessage: async () => void seen++ });
    await eventually(() => seen >= 20, 'billing reads all 20');
    await consumer.disconnect();

    mkdirSync(ARTIFACTS, { recursive: true });
    profile = mkdtempSync(path.join(tmpdir(), 'brook-chromium-'));
    context = await chromium.launchPersistentContext(profile, { executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 900 } });
    page = context.pages()[0] ?? (await context.newPage());
  });

  after(async () => {
    await context?.close();
    await producer?.disconnect();
    await broker?.destroy();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('sends a visitor to the login form and logs in with a broker user', async () => {
    await page.goto(`${base}/`);
    await page.getByTestId('login-form').waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, 'login-1280.png') });
    await page.fill('#user', 'alice');
    await page.fill('#password', 'wrong');
    await page.click('button[type=submit]');
    await page.getByRole('alert').filter({ hasText: 'Wrong user or password' }).waitFor();
    await page.fill('#user', 'alice');
    await page.fill('#password', USERS.alice);
    await page.click('button[type=submit]');
    await page.getByTestId('card-topics').waitFor();
    await shots('overview');
  });

  it('charts the message rate moving while a producer runs', async () => {
    await go('/topics/payments');
    let running = true;
    const load = (async () => {
      while (running) await producer.send({ topic: 'payments', messages: Array.from({ length: 20 }, (_, i) => ({ key: `load-${i}`, value: 'x' })) });
    })();
    try {
      await eventually(async () => Number(await page.getByTestId('rate-chart').getAttribute('data-last')) > 0, 'the in-rate on the chart rises above 0', 30_000);
      await page.locator('[data-testid="rate-chart"] canvas').waitFor();
    } finally {
      running = false;
      await load;
    }
    await shots('topic');
  });

  it('finds a record by key and by a text in its value', async () => {
    await go('/topics/payments');
    let result = await submit('search', { key: 'acct-7' });
    expect(await result.innerText()).to.include('1 found');
    expect(await page.getByTestId('search-results').innerText()).to.include('refund for order 42');
    result = await submit('search', { key: '', text: 'ORDER 42' });
    expect(await result.innerText()).to.match(/^1 found/);
    result = await submit('search', { text: '', partition: '1', offset: '0', key: 'acct-3' });
    expect(await page.getByTestId('search-results').locator('tbody tr').count()).to.equal(1);
  });

  it('produces a record with key and headers and sees it in the browser', async () => {
    await go('/topics/payments');
    const r = await submit('produce', { partition: '0', key: 'from-console', headers: 'source=ui\ntrace=a,b', value: 'hello from the console' });
    expect(await r.innerText()).to.match(/written to partition 0 at offset \d+/);
    await page.getByTestId('messages').filter({ hasText: 'hello from the console' }).waitFor();
    const found = await submit('search', { key: 'from-console', text: '', partition: '', offset: '' });
    expect(await found.innerText()).to.include('1 found');
    expect(await page.getByTestId('search-results').innerText()).to.include('source=ui, trace=a,b');
  });

  it('resets a group to the earliest offsets and shows its lag change', async () => {
    await go('/groups/billing');
    const lagBefore = Number((await page.getByTestId('card-lag').innerText()).replace(/\D/g, ''));
    const r = await submit('reset', { topic: 'payments', to: 'earliest' });
    expect(await r.innerText()).to.include('reset payments-0 to 0');
    await eventually(async () => Number((await page.getByTestId('card-lag').innerText()).replace(/\D/g, '')) > lagBefore, 'lag grows after the reset');
    const total = Number((await page.getByTestId('card-lag').innerText()).replace(/\D/g, ''));
    const end = (await broker.services.logs.get('payments', 0)!.highWatermark) + broker.services.logs.get('payments', 1)!.highWatermark;
    expect(total).to.equal(end);
    await page.locator(`[data-testid="lag-chart"][data-last="${total}"]`).waitFor({ timeout: 10_000 });
    await shots('group');
  });

  it('creates, alters and deletes a topic from the forms', async () => {
    await go('/topics');
    const r = await submit('create-topic', { name: 'ui-made', partitions: '3', configs: 'retention.ms=3600000' });
    expect(await r.innerText()).to.equal('created ui-made with 3 partition(s)');
    await page.locator('[data-testid="topics"] tbody tr').filter({ hasText: 'ui-made' }).waitFor();
    await shots('topics');
    await go('/topics/ui-made');
    // a value with a comma stays whole
    await submit('configs', { set: 'retention.ms=7200000\ncleanup.policy=compact,delete' });
    await page.getByTestId('topic-configs').filter({ hasText: 'retention.ms=7200000' }).waitFor();
    expect(broker.services.metadata.topic('ui-made')!.configs).to.include({ 'retention.ms': '7200000', 'cleanup.policy': 'compact,delete' });
    const wrong = await submit('delete-topic', { confirm: 'nope' });
    expect(await wrong.innerText()).to.equal('the name does not match');
    await page.getByTestId('delete-topic').getByTestId('f-confirm').fill('ui-made');
    await page.getByTestId('delete-topic-submit').click();
    // Deleted: the page goes back to the topic list, without the topic.
    await page.waitForURL(/#\/topics$/);
    await eventually(() => broker.services.metadata.topic('ui-made') === undefined, 'the topic is gone');
  });

  it('shows the cluster with partition leaders and ISR, the ACLs and the quotas', async () => {
    await go('/cluster');
    expect(await page.getByTestId('cluster-partitions').innerText()).to.include('payments');
    await shots('cluster');
    await go('/acls');
    await page.getByTestId('acls-title').waitFor();
    await shots('acls');
    await go('/quotas');
    await page.getByTestId('quotas-title').waitFor();
    await shots('quotas');
  });

  it('refuses actions the principal has no ACL for, in the page', async () => {
    await page.goto(`${base}/logout`);
    await page.fill('#user', 'bob');
    await page.fill('#password', USERS.bob);
    await page.click('button[type=submit]');
    await page.getByTestId('card-topics').waitFor();
    await go('/topics');
    const r = await submit('create-topic', { name: 'bobs-topic', partitions: '1' });
    expect(await r.getAttribute('class')).to.include('error');
    expect(broker.services.metadata.topic('bobs-topic')).to.equal(undefined);
    // Bob's topic list does not have payments, and a produce sent by hand from his session is refused.
    expect(await page.getByTestId('view').innerText()).to.not.include('payments');
    const status = await page.evaluate(() => fetch('/api/topics/payments/produce', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"value":"sneaky"}' }).then((r) => r.status));
    expect(status).to.equal(403);
  });

  it('shows a topic bob may describe but not read without its messages, and clears the view on a page he may not see', async () => {
    // still logged in as bob
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: 'described', numPartitions: 2 }] });
      await admin.createAcls({ acl: [{ resourceType: AclResourceTypes.TOPIC, resourceName: 'described', resourcePatternType: ResourcePatternTypes.LITERAL, principal: 'User:bob', host: '*', operation: AclOperationTypes.DESCRIBE, permissionType: AclPermissionTypes.ALLOW }] });
    } finally {
      await admin.disconnect();
    }
    await go('/topics/described');
    await page.getByTestId('topic-title').filter({ hasText: 'described' }).waitFor();
    expect(await page.getByTestId('partitions').locator('tbody tr').count()).to.equal(2);
    expect(await page.getByTestId('messages-forbidden').innerText()).to.include('Not authorized');
    // the ACLs need DESCRIBE on the cluster: the topic view goes away and the page says why
    await page.goto(`${base}/?refresh=300#/acls`);
    await page.getByTestId('view-error').filter({ hasText: 'not authorized' }).waitFor();
    expect(await page.getByTestId('topic-title').count()).to.equal(0);
    expect(await page.getByTestId('status').innerText()).to.not.include('unreachable');
  });
});
