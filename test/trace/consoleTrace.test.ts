import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { eventually } from '../helpers/eventually';

const ARTIFACTS = path.resolve(__dirname, '../../test-artifacts/console-trace');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

describe('console: search box on the key index and the message trace page, in headless Chromium', function () {
  this.timeout(120_000);
  let broker: TestBroker;
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  let base: string;

  const go = async (hash: string) => {
    await page.goto(`${base}/?refresh=300#${hash}`);
    await page.getByTestId('status').filter({ hasText: 'updated' }).waitFor({ timeout: 15_000 });
  };
  const submit = async (formId: string, values: Record<string, string>) => {
    for (const [k, v] of Object.entries(values)) await page.getByTestId(formId).getByTestId(`f-${k}`).fill(v);
    await page.getByTestId(`${formId}-submit`).click();
    const result = page.getByTestId(`${formId}-result`);
    await result.filter({ hasNotText: 'working…' }).filter({ hasText: /./ }).waitFor();
    return result;
  };

  before(async () => {
    broker = await startTestBroker({ metricsPort: 0, console: true, config: { 'group.initial.rebalance.delay.ms': '0', 'offsets.topic.num.partitions': '1' } });
    base = `http://127.0.0.1:${broker.httpPort}`;
    const kafka = new Kafka({ clientId: 'checkout-service', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 2, configEntries: [{ name: 'brook.index.keys', value: 'true' }, { name: 'brook.trace.enable', value: 'true' }] }] });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'orders', messages: Array.from({ length: 40 }, (_, i) => ({ key: `order-${i}`, value: `{"order":${i}}`, partition: i % 2 })) });
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId: 'shipping', maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'orders', fromBeginning: true });
    let seen = 0;
    await consumer.run({ autoCommitInterval: 1, eachMessage: async () => void seen++ });
    await eventually(() => seen >= 40, 'shipping reads all 40');
    await consumer.disconnect();
    await admin.setOffsets({ groupId: 'audit', topic: 'orders', partitions: [{ partition: 1, offset: '3' }] });
    await admin.disconnect();

    mkdirSync(ARTIFACTS, { recursive: true });
    profile = mkdtempSync(path.join(tmpdir(), 'brook-chromium-'));
    context = await chromium.launchPersistentContext(profile, { executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 900 } });
    page = context.pages()[0] ?? (await context.newPage());
  });

  after(async () => {
    await context?.close();
    await broker?.destroy();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('finds a message by key from the index and opens its trace timeline', async () => {
    await go('/topics/orders');
    const result = await submit('search', { key: 'order-13' });
    expect(await page.getByTestId('search-summary').innerText()).to.equal('1 found, from the key index (1 batches read)');
    expect(await page.getByTestId('search-results').innerText()).to.include('{"order":13}');
    await page.screenshot({ path: path.join(ARTIFACTS, 'search.png'), fullPage: true });
    expect(await result.innerText()).to.include('order-13');
    // order-13 is the 7th record of partition 1: offset 6
    await page.getByTestId('trace-link').filter({ hasText: /^6$/ }).click();
    await page.getByTestId('trace-title').filter({ hasText: 'Trace of orders-1 @ 6' }).waitFor();
    expect(await page.getByTestId('trace-client').innerText()).to.include('checkout-service');
    expect(await page.getByTestId('trace-principal').innerText()).to.include('User:ANONYMOUS');
    const kinds = await page.locator('[data-testid="trace-timeline"] li').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-kind')));
    expect(kinds).to.include.members(['created', 'appended', 'committed-past']);
    const groups = await page.locator('[data-testid="trace-groups"] tbody tr').allInnerTexts();
    expect(groups.find((g) => g.startsWith('shipping'))).to.match(/shipping\s+20\s+\S+\s+yes/);
    expect(groups.find((g) => g.startsWith('audit'))).to.match(/audit\s+3\s+\S+\s+no/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'trace.png'), fullPage: true });
  });

  it('says when there is no such message', async () => {
    await go('/trace/orders/0/999');
    await page.getByTestId('trace-none').waitFor();
  });
});
