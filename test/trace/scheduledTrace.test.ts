import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { chromium } from 'playwright-core';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { eventually } from '../helpers/eventually';
import { brook } from '../ops/cliHarness';

/* eslint-disable @typescript-eslint/no-explicit-any */

const ARTIFACTS = path.resolve(__dirname, '../../test-artifacts/console-trace');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

describe('trace: scheduled, retried and dead-lettered records (kafkajs, HTTP and brook messages trace)', function () {
  this.timeout(120_000);
  let broker: TestBroker;
  let admin: Admin;
  let producer: Producer;
  let base: string;
  const trace = async (topic: string, offset: number): Promise<any> => {
    const r = await fetch(`${base}/api/topics/${topic}/trace?partition=0&offset=${offset}`);
    const body = (await r.json()) as any;
    if (!r.ok) throw new Error(`${r.status} ${JSON.stringify(body)}`);
    return body.traces[0];
  };
  const high = async (topic: string): Promise<number> => Number((await admin.fetchTopicOffsets(topic))[0]!.high);
  const events = (t: any, kind: string): any[] => t.timeline.filter((e: any) => e.kind === kind);

  before(async () => {
    broker = await startTestBroker({ metricsPort: 0, console: true });
    base = `http://127.0.0.1:${broker.httpPort}`;
    const kafka = new Kafka({ clientId: 'kjs-sched', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        { topic: 'timed', numPartitions: 1 },
        { topic: 'orders', numPartitions: 1, configEntries: [{ name: 'brook.index.keys', value: 'true' }] },
        {
          topic: 'orders.retry',
          numPartitions: 1,
          configEntries: [
            { name: 'brook.retry.for', value: 'orders' },
            { name: 'brook.retry.delays', value: '100ms,300ms' },
            { name: 'brook.retry.dead.letter.topic', value: 'orders.dlq' },
          ],
        },
      ],
    });
    producer = kafka.producer();
    await producer.connect();
  });

  after(async () => {
    await producer?.disconnect();
    await admin?.disconnect();
    await broker?.destroy();
  });

  it('a record scheduled with brook-delay-ms shows when it was scheduled, when it was due and that the scheduler delivered it', async () => {
    await producer.send({ topic: 'timed', messages: [{ key: 'reminder', value: 'call back', headers: { 'brook-delay-ms': '400' } }] });
    await eventually(async () => (await high('timed')) === 1, 'the scheduled record delivered');
    const t = await trace('timed', 0);
    const [scheduled] = events(t, 'scheduled');
    const [due] = events(t, 'due');
    const [delivered] = events(t, 'delivered');
    expect(scheduled.detail).to.match(/^accepted by the scheduler \(__brook_scheduled 0:\d+\): brook-delay-ms 400 ms$/);
    expect(due.at - scheduled.at).to.equal(400);
    expect(scheduled.at).to.equal(Number(t.headers['brook-scheduled-at']));
    expect(delivered.detail).to.equal(`delivered by the scheduler into timed-0@0 (at or after ${new Date(due.at).toISOString()})`);
    // a plain record has none of these
    await producer.send({ topic: 'timed', messages: [{ value: 'now' }] });
    const plain = await trace('timed', 1);
    expect(plain.timeline.map((e: any) => e.kind)).to.deep.equal(['created']);
  });

  it('a record that failed its consumer: its retried copies (attempt n of 2 via orders.retry) and its dead letter, from each side', async () => {
    const msg = (attempt?: number) => ({ key: 'order-7', value: 'pay 7', headers: attempt ? { 'brook-attempt': String(attempt), 'brook-error': 'payment service down' } : {} });
    await producer.send({ topic: 'orders', messages: [msg()] });
    // the consumer fails each time and sends a copy to the retry topic with the next attempt number
    for (const attempt of [1, 2]) {
      await producer.send({ topic: 'orders.retry', messages: [msg(attempt)] });
      await eventually(async () => (await high('orders')) === attempt + 1, `attempt ${attempt} back in orders`);
    }
    await producer.send({ topic: 'orders.retry', messages: [msg(3)] });
    await eventually(async () => (await admin.listTopics()).includes('orders.dlq') && (await high('orders.dlq')) === 1, 'the dead letter');

    const second = await trace('orders', 2);
    const [retried] = events(second, 'retried');
    expect(retried.detail).to.equal('attempt 2 of 2 via retry topic orders.retry: produced to the retry topic with brook-attempt: 2, back into orders after 300 ms');
    expect(events(second, 'due')[0].at - events(second, 'scheduled')[0].at).to.equal(300);
    expect(events(second, 'delivered')[0].detail).to.match(/^delivered by the scheduler into orders-0@2 /);

    const dead = await trace('orders.dlq', 0);
    const [dl] = events(dead, 'dead-lettered');
    expect(dl.detail).to.equal('dead-lettered here (retries-exhausted) after 2 attempt(s) of a retry of orders through retry topic orders.retry (partition 0)');
    expect(dl.at).to.equal(Number(dead.headers['brook-dlq-time']));

    // the original record: where its copies went (found through the key index of orders and the dead-letter topic)
    const source = await trace('orders', 0);
    expect(events(source, 'retried').map((e: any) => e.detail)).to.deep.equal([
      'a copy sent to a retry topic (attempt 1) came back as orders-0@1',
      'a copy sent to a retry topic (attempt 2) came back as orders-0@2',
    ]);
    expect(events(source, 'dead-lettered').map((e: any) => e.detail)).to.deep.equal(['a copy was dead-lettered as orders.dlq-0@0 (retries-exhausted after 2 attempt(s))']);
    // times ascend along the record's path
    const ats = source.timeline.filter((e: any) => e.at !== null).map((e: any) => e.at);
    expect(ats).to.deep.equal([...ats].sort((a, b) => a - b));

    const cli = await brook(['messages', 'trace', '--http', base, '--topic', 'orders.dlq', '--partition', '0', '--offset', '0']);
    expect(cli.code, cli.stderr).to.equal(0);
    expect(cli.stdout).to.match(/dead-lettered\s+dead-lettered here \(retries-exhausted\) after 2 attempt\(s\) of a retry of orders through retry topic orders\.retry/);
    expect(cli.stdout).to.match(/scheduled\s+accepted by the scheduler \(__brook_scheduled 0:\d+\): into the dead-letter topic at once/);
    const cliSource = await brook(['messages', 'trace', '--http', base, '--topic', 'orders', '--partition', '0', '--offset', '0']);
    expect(cliSource.stdout).to.match(/retried\s+a copy sent to a retry topic \(attempt 2\) came back as orders-0@2/);
    expect(cliSource.stdout).to.match(/dead-lettered\s+a copy was dead-lettered as orders\.dlq-0@0/);
  });

  it('the console trace page shows the same timeline entries (headless Chromium)', async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const profile = mkdtempSync(path.join(tmpdir(), 'brook-chromium-'));
    const context = await chromium.launchPersistentContext(profile, { executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 900 } });
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      for (const [topic, kinds] of [
        ['orders', ['created', 'retried', 'dead-lettered']],
        ['orders.dlq', ['created', 'scheduled', 'due', 'dead-lettered', 'delivered']],
      ] as const) {
        await page.goto(`${base}/?refresh=300#/trace/${topic}/0/0`);
        await page.getByTestId('trace-title').filter({ hasText: `Trace of ${topic}-0 @ 0` }).waitFor({ timeout: 15_000 });
        const items = page.locator('[data-testid="trace-timeline"] li');
        await items.first().waitFor();
        const shown = await items.evaluateAll((lis) => lis.map((li) => li.getAttribute('data-kind')));
        expect(shown).to.include.members([...kinds]);
        if (topic === 'orders.dlq') expect((await items.allInnerTexts()).join('\n')).to.include('dead-lettered here (retries-exhausted) after 2 attempt(s) of a retry of orders');
        await page.screenshot({ path: path.join(ARTIFACTS, `trace-${topic}.png`), fullPage: true });
      }
    } finally {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    }
  });
});
