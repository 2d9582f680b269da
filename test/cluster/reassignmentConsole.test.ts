import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { expect } from 'chai';
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { chromium } from 'playwright-core';
import type { ReassignmentRow } from '../../src/console/consoleData';
import { EtcdTestCluster, eventually } from './helpers/etcdCluster';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

describe('console: reassignments in progress on the cluster page (headless Chromium)', function () {
  this.timeout(180_000);
  let c: EtcdTestCluster | null = null;

  afterEach(async () => {
    await c?.stop();
    c = null;
  });

  it("the leader's console lists the move with the new replica's catch-up progress, and nothing once it is done", async () => {
    c = await EtcdTestCluster.start([1], { config: { 'replica.fetch.wait.max.ms': '200' } });
    // broker 1 (the partition's leader) serves the console
    await c.stopBroker(1);
    await c.startBroker(1, {}, { metricsPort: 0, console: true });
    await c.startBroker(2);
    await c.startBroker(3);
    await c.awaitRegistered();
    const kafka = new Kafka({ clientId: 'console-move', brokers: c.bootstrap, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'cm', replicaAssignment: [{ partition: 0, replicas: [1, 2] }] }] });
    const producer = kafka.producer();
    await producer.connect();
    for (let b = 0; b < 10; b++) await producer.send({ topic: 'cm', acks: -1, messages: Array.from({ length: 100 }, (_, i) => ({ partition: 0, value: `${b}-${i}-${'c'.repeat(1000)}` })) });
    await producer.disconnect();
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.BROKER, name: '3', configEntries: [{ name: 'follower.replication.throttled.rate', value: '50000' }] }] });
    await eventually(() => c!.broker(3).services.replication!.throttle.follower.limited, 'the throttle on broker 3');
    await admin.alterPartitionReassignments({ topics: [{ topic: 'cm', partitionAssignment: [{ partition: 0, replicas: [2, 3] }] }] });

    const base = `http://127.0.0.1:${c.broker(1).httpPort}`;
    const rows = await eventually(async () => {
      const r = (await (await fetch(`${base}/api/reassignments`)).json()) as ReassignmentRow[];
      const p = r[0]?.progress[0];
      return p && p.logEndOffset !== null && p.logEndOffset > 0 && !p.inSync ? r : undefined;
    }, 'catch-up progress on the console', 30_000);
    expect(rows[0]).to.deep.include({ topic: 'cm', partition: 0, replicas: [2, 3, 1], adding: [3], removing: [1], leader: 1, leaderLogEnd: 1000 });

    const profile = mkdtempSync(path.join(tmpdir(), 'brook-chromium-'));
    const context = await chromium.launchPersistentContext(profile, { executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      await page.goto(`${base}/#/cluster`);
      const row = page.getByTestId('reassignments').locator('tr', { hasText: 'cm' });
      await row.waitFor({ timeout: 20_000 });
      expect(await row.innerText()).to.match(/2,3,1\s+3\s+1\s+1\s+3: [\d,]+ \/ 1,000 \(\d+%\)/);
      // lift the throttle: the move completes and the page shows none
      await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.BROKER, name: '3', configEntries: [] }] });
      await page.getByTestId('reassignments-empty').waitFor({ timeout: 60_000 });
    } finally {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    }
    await admin.disconnect();
  });
});
