import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { brook } from './cliHarness';

const ARTIFACTS = path.resolve(__dirname, '../../test-artifacts/console');
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

describe('web console in headless Chromium', function () {
  let broker: TestBroker;
  let producer: Producer;
  let member: Consumer;
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  let base: string;
  let b: string[];

  const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
  const row = (table: string, text: string) => page.locator(`[data-testid="${table}"] tbody tr`).filter({ hasText: text });
  /** Cells of the first row of `table` that contains `text`, once it shows `expected` in column `col`. */
  const waitForCell = async (table: string, text: string, col: number, expected: string) => {
    await row(table, text).locator('td').nth(col).filter({ hasText: new RegExp(`^${expected.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }).waitFor({ timeout: 10_000 });
  };

  before(async () => {
    broker = await startTestBroker({
      metricsPort: 0,
      console: true,
      consoleSampleMs: 200,
      config: { 'group.initial.rebalance.delay.ms': '0', 'offsets.topic.num.partitions': '2' },
    });
    base = `http://127.0.0.1:${broker.httpPort}`;
    b = ['--bootstrap-server', broker.bootstrap];
    const kafka = new Kafka({ clientId: 'console-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    producer = kafka.producer();
    await producer.connect();

    // A topic with traffic, a group that fell behind, and a live member.
    expect((await brook(['topics', 'create', '-t', 'clicks', '-p', '3', ...b])).code).to.equal(0);
    await producer.send({ topic: 'clicks', messages: Array.from({ length: 30 }, (_, i) => ({ key: `user-${i % 3}`, value: `click-${i}`, partition: i % 3 })) });
    expect((await brook(['consume', '-t', 'clicks', '--group', 'dashboard', '--from-beginning', '--max-messages', '30', ...b])).code).to.equal(0);
    const reset = await brook(['groups', 'reset-offsets', '-g', 'dashboard', '-t', 'clicks', '--to-offset', '5', '--execute', ...b]);
    expect(reset.code, reset.stderr).to.equal(0); // 5 of 10 behind on each of 3 partitions
    expect((await brook(['topics', 'create', '-t', 'audit', '-p', '1', ...b])).code).to.equal(0);
    member = new Kafka({ clientId: 'live-reader', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).consumer({ groupId: 'live', maxWaitTimeInMs: 100 });
    await member.connect();
    await member.subscribe({ topic: 'audit', fromBeginning: true });
    await member.run({ eachMessage: async () => undefined });

    mkdirSync(ARTIFACTS, { recursive: true });
    profile = mkdtempSync(path.join(tmpdir(), 'brook-chromium-'));
    context = await chromium.launchPersistentContext(profile, { executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
    page = context.pages()[0] ?? (await context.newPage());
  });

  after(async () => {
    await context?.close();
    await member?.disconnect();
    await producer?.disconnect();
    await broker?.destroy();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('shows the cluster overview', async () => {
    await page.goto(`${base}/?refresh=300#/`);
    await page.getByTestId('card-topics').filter({ hasText: /Topics\s*2/ }).waitFor();
    expect(await page.getByTestId('card-brokers').innerText()).to.match(/Brokers\s*1/);
    expect(await page.getByTestId('card-partitions').innerText()).to.match(/Partitions\s*6/); // 3 + 1 + 2 offsets partitions
    await page.getByTestId('card-groups').filter({ hasText: /Consumer groups\s*2/ }).waitFor();
    expect(await row('brokers', String(broker.port)).count()).to.equal(1);
    await waitForCell('overview-topics', 'clicks', 1, '30');
    await waitForCell('overview-groups', 'dashboard', 2, '15');
    expect(await page.locator('nav a.active').innerText()).to.equal('Overview');
    await shot('overview');
  });

  it('lists topics with partitions, sizes and live throughput', async () => {
    await page.goto(`${base}/?refresh=300#/topics`);
    await waitForCell('topics', 'clicks', 1, '3');
    await waitForCell('topics', 'clicks', 2, '30');
    const size = await row('topics', 'clicks').locator('td').nth(3).innerText();
    expect(size).to.match(/^\d+(\.\d)? (B|KiB)$/);
    expect(size).not.to.equal('0 B');

    // Live refresh: new messages show up without reloading, with a non-zero rate while they flow.
    await producer.send({ topic: 'clicks', messages: Array.from({ length: 5 }, (_, i) => ({ value: `late-${i}`, partition: 0 })) });
    await waitForCell('topics', 'clicks', 2, '35');
    await page
      .locator('[data-testid="topics"] tbody tr')
      .filter({ hasText: 'clicks' })
      .locator('td')
      .nth(4)
      .filter({ hasNotText: /^0\.0$/ })
      .waitFor({ timeout: 10_000 });
    await shot('topics');
  });

  it('shows a topic\'s partitions and its latest messages', async () => {
    await page.getByRole('link', { name: 'clicks' }).first().click();
    await page.getByTestId('topic-title').filter({ hasText: 'Topic clicks' }).waitFor();
    expect(await page.locator('[data-testid="partitions"] tbody tr').count()).to.equal(3);
    await waitForCell('partitions', '', 2, '15'); // partition 0: 10 + 5 late messages
    const messages = page.getByTestId('messages');
    await messages.locator('tbody tr').first().waitFor();
    // Newest first: the late messages, then the last clicks.
    expect(await messages.locator('tbody tr').first().locator('td').nth(4).innerText()).to.equal('late-4');
    const values = await messages.locator('tbody tr td:nth-child(5)').allInnerTexts();
    expect(values).to.include.members(['late-0', 'click-29']);
    expect(values).not.to.include('click-0'); // the oldest are beyond the newest 20
    expect(await messages.innerText()).to.include('user-2');
    expect(await messages.locator('tbody tr').count()).to.equal(20);
    await shot('topic-clicks');
  });

  it('lists consumer groups, and shows a group\'s members and lag over time as a chart', async () => {
    await page.goto(`${base}/?refresh=300#/groups`);
    await waitForCell('groups', 'dashboard', 4, '20');
    await waitForCell('groups', 'live', 2, '1');

    await page.getByRole('link', { name: 'dashboard' }).click();
    await page.getByTestId('group-title').filter({ hasText: 'Group dashboard — Empty' }).waitFor();
    expect(await page.locator('[data-testid="lag"] tbody tr').count()).to.equal(3);
    await page.locator('[data-testid="lag-chart"][data-last="20"]').waitFor({ timeout: 10_000 });
    // Lag grows while nobody consumes; the chart follows.
    await producer.send({ topic: 'clicks', messages: Array.from({ length: 10 }, (_, i) => ({ value: `more-${i}`, partition: 1 })) });
    await page.locator('[data-testid="lag-chart"][data-last="30"]').waitFor({ timeout: 10_000 });
    await page.getByTestId('card-lag').filter({ hasText: '30' }).waitFor();
    // The chart library (uPlot) drew the series on its canvas, with more than one sample.
    expect(Number(await page.getByTestId('lag-chart').getAttribute('data-count'))).to.be.greaterThan(1);
    await page.locator('[data-testid="lag-chart"] canvas').waitFor();
    await shot('group-dashboard');

    await page.goto(`${base}/?refresh=300#/groups/live`);
    await page.getByTestId('group-title').filter({ hasText: 'Group live — Stable' }).waitFor();
    expect(await page.getByTestId('members').innerText()).to.include('live-reader');
    await shot('group-live');
  });

  it('says so when a topic or group does not exist', async () => {
    await page.goto(`${base}/?refresh=300#/topics/nope`);
    await page.getByTestId('not-found').filter({ hasText: 'Topic nope does not exist' }).waitFor();
    await page.goto(`${base}/?refresh=300#/groups/nope`);
    await page.getByTestId('not-found').filter({ hasText: 'Group nope does not exist' }).waitFor();
  });

  it('shows that the broker went away instead of stale numbers looking live', async () => {
    await page.goto(`${base}/?refresh=300#/topics`);
    await page.getByTestId('status').filter({ hasText: 'updated' }).waitFor();
    await broker.close();
    await page.locator('#status.error').filter({ hasText: 'broker unreachable' }).waitFor({ timeout: 10_000 });
    await shot('broker-gone');
  });
});
