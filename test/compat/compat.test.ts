import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startBroker } from '../../src/broker';
import type { ClientDriver, Codec, CompatMessage, ConsumedMessage } from './types';
import { kafkajsDriver } from './drivers/kafkajs';
import { platformaticDriver } from './drivers/platformatic';
import { kcatDriver } from './drivers/kcat';
import { confluentDriver, kafkaPythonDriver } from './drivers/python';
import { CompatMatrix } from './matrix';

const DRIVERS: ClientDriver[] = [kafkajsDriver, platformaticDriver, kcatDriver, confluentDriver, kafkaPythonDriver];
const PARTITIONS = 3;
const MESSAGES = 30;
const matrix = new CompatMatrix();
matrix.columns([...['none', 'gzip', 'snappy', 'lz4', 'zstd'].map((c) => `codec ${c}`), 'list offsets', 'create/delete topic', 'restart']);

type Broker = Awaited<ReturnType<typeof startBroker>>;

function startBrook(port: number, dataDir: string): Promise<Broker> {
  const logLevel = process.env.BROOK_TEST_LOG === '1' ? 'info' : 'silent';
  return startBroker({ host: '127.0.0.1', port, dataDir, logLevel, config: { 'num.partitions': String(PARTITIONS) } });
}

function messagesFor(driver: ClientDriver, run: string): CompatMessage[] {
  const base = Date.now() - 60_000;
  const out: CompatMessage[] = [];
  for (let i = 0; i < MESSAGES; i++) {
    out.push({
      partition: i % PARTITIONS,
      key: `key-${i % 7}`,
      // Repetitive values so that every codec really compresses something.
      value: `${run}-value-${i}-` + 'brook'.repeat(20),
      headers: driver.perMessageHeaders
        ? [['h-index', String(i)], ['h-run', run]]
        : [['h-run', run], ['h-client', driver.name]],
      timestamp: driver.setsTimestamps ? base + i : null,
    });
  }
  return out;
}

/** Every message back once, in per-partition order, with key, headers and timestamp intact. */
function checkConsumed(sent: CompatMessage[], got: ConsumedMessage[], producedAfter: number): void {
  expect(got.length, 'message count').to.equal(sent.length);
  for (let p = 0; p < PARTITIONS; p++) {
    const want = sent.filter((m) => m.partition === p);
    const have = got.filter((m) => m.partition === p).sort((a, b) => a.offset - b.offset);
    expect(have.map((m) => m.value), `partition ${p} order`).to.deep.equal(want.map((m) => m.value));
    for (let i = 0; i < want.length; i++) {
      expect(have[i].key, 'key').to.equal(want[i].key);
      expect(have[i].headers, 'headers').to.deep.equal(want[i].headers);
      if (want[i].timestamp !== null) expect(have[i].timestamp, 'timestamp').to.equal(want[i].timestamp);
      else expect(have[i].timestamp, 'broker-side timestamp').to.be.at.least(producedAfter - 1000);
      if (i > 0) expect(have[i].offset, 'offsets grow by one').to.equal(have[i - 1].offset + 1);
    }
  }
}

async function waitFor(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function createTopic(driver: ClientDriver, bootstrap: string, topic: string): Promise<void> {
  // kcat has no admin API: its topics come from auto-creation on first produce.
  if (driver.hasAdmin) await driver.createTopic(bootstrap, topic, PARTITIONS);
}

describe('compatibility with real Kafka clients', function () {
  this.timeout(180_000);

  after(() => {
    console.log(matrix.render());
  });

  for (const driver of DRIVERS) {
    describe(driver.name, () => {
      let broker: Broker;
      let dataDir: string;
      let bootstrap: string;
      let skipReason: string | null = null;

      before(async function () {
        skipReason = await driver.unavailableReason();
        if (skipReason) {
          console.log(`  skipping ${driver.name}: ${skipReason}`);
          matrix.unavailable(driver.name, skipReason);
          this.skip();
        }
        dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'brook-compat-'));
        broker = await startBrook(0, dataDir);
        bootstrap = `127.0.0.1:${broker.port}`;
      });

      after(async () => {
        if (broker) await broker.close();
        if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
      });

      const record = (scenario: string, fn: () => Promise<void>) =>
        async () => {
          try {
            await fn();
            matrix.pass(driver.name, scenario);
          } catch (err) {
            matrix.fail(driver.name, scenario);
            throw err;
          }
        };

      const ALL_CODECS: Codec[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
      // A codec the client itself cannot produce (@platformatic/kafka's zstd needs Node 22's zlib) is n/a, not a pass.
      for (const codec of ALL_CODECS) if (!driver.codecs.includes(codec)) matrix.notApplicable(driver.name, `codec ${codec}`);
      for (const codec of driver.codecs as Codec[]) {
        it(`produces and consumes keyed messages with headers, codec ${codec}`, record(`codec ${codec}`, async () => {
          const topic = `compat-${codec}-${Date.now()}`;
          await createTopic(driver, bootstrap, topic);
          const sent = messagesFor(driver, codec);
          const before = Date.now();
          await driver.produce(bootstrap, topic, sent, codec);
          const got = await driver.consume(bootstrap, topic, PARTITIONS, sent.length);
          checkConsumed(sent, got, before);
        }));
      }

      it('lists earliest and latest offsets', record('list offsets', async () => {
        const topic = `compat-offsets-${Date.now()}`;
        await createTopic(driver, bootstrap, topic);
        await driver.produce(bootstrap, topic, messagesFor(driver, 'offsets'), 'none');
        const offsets = await driver.listOffsets(bootstrap, topic, PARTITIONS);
        for (let p = 0; p < PARTITIONS; p++) expect(offsets.get(p), `partition ${p}`).to.deep.equal([0, MESSAGES / PARTITIONS]);
      }));

      it('creates and deletes a topic', async function () {
        if (!driver.hasAdmin) {
          // kcat has no admin API; its topics come from auto-creation, tested above.
          matrix.notApplicable(driver.name, 'create/delete topic');
          this.skip();
        }
        await record('create/delete topic', async () => {
        const topic = `compat-delete-${Date.now()}`;
        await driver.createTopic(bootstrap, topic, PARTITIONS);
        await driver.deleteTopic(bootstrap, topic);
        // Kafka removes a deleted topic's files in the background; wait for that, with a deadline.
        await waitFor(() => !fs.readdirSync(dataDir).some((d) => d.startsWith(`${topic}-`)), 'partition folders removed');
        // The name is free again: creating it anew gives empty partitions.
        await driver.createTopic(bootstrap, topic, PARTITIONS);
        const offsets = await driver.listOffsets(bootstrap, topic, PARTITIONS);
        for (let p = 0; p < PARTITIONS; p++) expect(offsets.get(p)).to.deep.equal([0, 0]);
        })();
      });

      it('reads everything back after Brook restarts between produce and consume', record('restart', async () => {
        const topic = `compat-restart-${Date.now()}`;
        await createTopic(driver, bootstrap, topic);
        const sent = messagesFor(driver, 'restart');
        const before = Date.now();
        await driver.produce(bootstrap, topic, sent, 'none');
        const port = broker.port;
        await broker.close();
        broker = await startBrook(port, dataDir);
        const got = await driver.consume(bootstrap, topic, PARTITIONS, sent.length);
        checkConsumed(sent, got, before);
      }));
    });
  }
});
