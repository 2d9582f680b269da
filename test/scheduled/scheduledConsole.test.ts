import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { expect } from 'chai';
import { Kafka, logLevel } from 'kafkajs';
import { chromium } from 'playwright-core';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { eventually } from '../helpers/eventually';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Pending scheduled records per topic on the console (headless Chromium) and in /metrics. */
describe('scheduled delivery on the console and in the metrics', function () {
  this.timeout(120_000);
  let broker: TestBroker;

  before(async () => {
    broker = await startTestBroker({ metricsPort: 0, console: true });
    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'invoices', numPartitions: 1 }, { topic: 'pings', numPartitions: 1 }] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'invoices', messages: Array.from({ length: 3 }, (_, i) => ({ key: `i${i}`, value: 'x', headers: { 'brook-delay-ms': '600000', 'brook-schedule-id': `inv-${i}` } })) });
    await producer.send({ topic: 'pings', messages: [{ key: 'p', value: 'now', headers: { 'brook-delay-ms': '0' } }, { key: 'p', value: 'later', headers: { 'brook-delay-ms': '600000' } }] });
    await producer.disconnect();
    await eventually(() => broker.services.logs.get('pings', 0)?.highWatermark === 1, 'the due ping delivered');
  });

  after(() => broker.destroy());

  it('the Scheduled page lists pending records per topic and the next ones due', async () => {
    const base = `http://127.0.0.1:${broker.httpPort}`;
    const profile = mkdtempSync(path.join(tmpdir(), 'brook-chromium-'));
    const context = await chromium.launchPersistentContext(profile, { executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      await page.goto(`${base}/#/scheduled`);
      const invoices = page.getByTestId('scheduled-topics').locator('tr', { hasText: 'invoices' });
      await invoices.waitFor({ timeout: 20_000 });
      expect((await invoices.innerText()).split('\t').map((s) => s.trim())).to.deep.equal(['invoices', '3', '0']);
      const pings = page.getByTestId('scheduled-topics').locator('tr', { hasText: 'pings' });
      expect((await pings.innerText()).split('\t').map((s) => s.trim())).to.deep.equal(['pings', '1', '1']);
      expect(await page.getByTestId('card-scheduled-pending').innerText()).to.match(/4$/);
      expect(await page.getByTestId('scheduled-next').locator('tbody tr').count()).to.equal(4);
      expect(await page.getByTestId('scheduled-next').innerText()).to.include('inv-2');
    } finally {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    }
  });

  it('/metrics has the pending gauge, the delivered counter and the lateness histogram', async () => {
    const text = await (await fetch(`http://127.0.0.1:${broker.httpPort}/metrics`)).text();
    expect(text).to.match(/^brook_scheduled_pending\{topic="invoices"\} 3$/m);
    expect(text).to.match(/^brook_scheduled_pending\{topic="pings"\} 1$/m);
    expect(text).to.match(/^brook_scheduled_delivered_total\{topic="pings"\} 1$/m);
    expect(text).to.match(/^brook_scheduled_delivery_lateness_seconds_count 1$/m);
    expect(text).to.match(/^brook_scheduled_delivery_lateness_seconds_bucket\{le="\+Inf"\} 1$/m);
  });
});
