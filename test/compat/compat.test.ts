import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startBroker } from '../../src/broker';
import type { ClientDriver, Codec, CompatMessage, ConsumedMessage, GroupProtocol, SecureEndpoint } from './types';
import { kafkajsDriver } from './drivers/kafkajs';
import { platformaticDriver } from './drivers/platformatic';
import { kcatDriver, kcatCurrentDriver } from './drivers/kcat';
import { confluentCurrentDriver, confluentDriver, kafkaPythonDriver } from './drivers/python';
import { confluentKafkaJsDriver, confluentRdkafkaDriver } from './drivers/confluentJs';
import { kafkaGoDriver, saramaDriver } from './drivers/go';
import { kafkaNodeDriver } from './drivers/kafkaNode';
import { CompatMatrix } from './matrix';
import { readCommittedValues } from './readCommitted';
import { startSecureEndpoint, type SecureBroker } from './secureEndpoint';
import { eventually } from '../helpers/eventually';

const DRIVERS: ClientDriver[] = [
  kafkajsDriver,
  platformaticDriver,
  confluentKafkaJsDriver,
  confluentRdkafkaDriver,
  kcatDriver,
  kcatCurrentDriver,
  confluentDriver,
  confluentCurrentDriver,
  kafkaPythonDriver,
  saramaDriver,
  kafkaGoDriver,
  kafkaNodeDriver,
];
const PARTITIONS = 3;
const MESSAGES = 30;
const GROUP_PROTOCOLS: GroupProtocol[] = ['classic', 'consumer'];
const matrix = new CompatMatrix();
matrix.columns([
  ...['none', 'gzip', 'snappy', 'lz4', 'zstd'].map((c) => `codec ${c}`),
  'list offsets',
  'create/delete topic',
  'restart',
  ...GROUP_PROTOCOLS.map((p) => `group ${p}`),
  'transactions',
  'SASL_SSL',
]);

type Broker = Awaited<ReturnType<typeof startBroker>>;

function startBrook(port: number, dataDir: string): Promise<Broker> {
  const logLevel = process.env.BROOK_TEST_LOG === '1' ? 'info' : 'silent';
  // No initial rebalance delay: each group scenario's member is alone, and the 3 s wait only slows the suite.
  return startBroker({ host: '127.0.0.1', port, dataDir, logLevel, config: { 'num.partitions': String(PARTITIONS), 'group.initial.rebalance.delay.ms': '0' } });
}

function messagesFor(driver: ClientDriver, run: string, count = MESSAGES): CompatMessage[] {
  const base = Date.now() - 60_000;
  const out: CompatMessage[] = [];
  for (let i = 0; i < count; i++) {
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
function checkConsumed(sent: CompatMessage[], got: ConsumedMessage[], producedAfter: number, driver: ClientDriver): void {
  expect(got.length, 'message count').to.equal(sent.length);
  for (let p = 0; p < PARTITIONS; p++) {
    const want = sent.filter((m) => m.partition === p);
    const have = got.filter((m) => m.partition === p).sort((a, b) => a.offset - b.offset);
    expect(have.map((m) => m.value), `partition ${p} order`).to.deep.equal(want.map((m) => m.value));
    for (let i = 0; i < want.length; i++) {
      expect(have[i].key, 'key').to.equal(want[i].key);
      // A client without record headers (message format v0/v1) reads none back.
      expect(have[i].headers, 'headers').to.deep.equal(noHeaders(driver) ? [] : want[i].headers);
      if (want[i].timestamp !== null) expect(have[i].timestamp, 'timestamp').to.equal(want[i].timestamp);
      else if (!noTimestamps(driver)) expect(have[i].timestamp, 'broker-side timestamp').to.be.at.least(producedAfter - 1000);
      if (i > 0) expect(have[i].offset, 'offsets grow by one').to.equal(have[i - 1].offset + 1);
    }
  }
}

/** Clients on message format v0 carry no headers at all (kafka-node, kafka-go 0.2). */
const noHeaders = (d: ClientDriver) => d.notApplicable?.headers !== undefined;
/** ... and v0 carries no timestamps. */
const noTimestamps = (d: ClientDriver) => d.notApplicable?.timestamps !== undefined;

const sortedValues = (ms: Array<{ value: string | null }>) => ms.map((m) => m.value ?? '').sort();

async function createTopic(driver: ClientDriver, bootstrap: string, topic: string, broker: Broker): Promise<void> {
  // kcat has no admin API: its topics are created on the broker directly (auto-creation is tested by its codec runs).
  if (driver.hasAdmin) await driver.createTopic(bootstrap, topic, PARTITIONS);
  else await broker.services.metadata.createTopic(topic, { partitions: PARTITIONS, configs: {} });
}

describe('compatibility with real Kafka clients', function () {
  this.timeout(240_000);
  let secure: SecureBroker | null = null;
  const started = Date.now();

  after(async () => {
    await secure?.close();
    console.log(matrix.render());
    console.log(`compat suite: ${((Date.now() - started) / 1000).toFixed(0)} s`);
    // Only a run of the whole matrix rewrites the document (a --grep run would leave out rows).
    if (!process.argv.some((a) => a === '--grep' || a === '-g' || a.startsWith('--grep=') || a === '--fgrep')) {
      const file = path.join(__dirname, '..', '..', 'docs', 'COMPATIBILITY.md');
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, matrix.markdown({ date: new Date().toISOString().slice(0, 10), command: 'npm run test:compat' }));
    }
  });

  async function secureEndpoint(): Promise<SecureEndpoint> {
    secure ??= await startSecureEndpoint();
    return secure.endpoint;
  }

  for (const driver of DRIVERS) {
    describe(driver.name, () => {
      let broker: Broker;
      let dataDir: string;
      let bootstrap: string;
      let skipReason: string | null = null;

      before(async function () {
        // The first run on a machine builds librdkafka 2.15.1 and the Go drivers into the cache (a few minutes
        // on a busy machine); later runs find them there.
        this.timeout(20 * 60_000);
        skipReason = await driver.unavailableReason();
        if (skipReason) {
          console.log(`  skipping ${driver.name}: ${skipReason}`);
          matrix.unavailable(driver.name, skipReason);
          this.skip();
        }
        try {
          matrix.version(driver.name, await driver.version());
        } catch (err) {
          // The row still shows up in the matrix, as the failure it is.
          matrix.unavailable(driver.name, `FAIL: setup: ${(err as Error).message.split('\n')[0]}`);
          throw err;
        }
        // Passing codec cells of such clients checked keys, values, order and offsets, not headers or timestamps.
        for (const what of ['headers', 'timestamps']) {
          const why = driver.notApplicable?.[what];
          if (why) matrix.remark(driver.name, what, `not checked: ${why}`);
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
            matrix.fail(driver.name, scenario, (err as Error).message.split('\n')[0]);
            throw err;
          }
        };

      /** Marks the scenario n/a with the driver's reason and skips it, when the driver says it cannot run it. */
      function notApplicable(ctx: Mocha.Context, scenario: string, cannot: boolean, fallback: string): void {
        if (!cannot) return;
        matrix.notApplicable(driver.name, scenario, driver.notApplicable?.[scenario] ?? fallback);
        ctx.skip();
      }

      const ALL_CODECS: Codec[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
      // A codec the client itself cannot produce (@platformatic/kafka's zstd needs Node 22's zlib) is n/a, not a pass.
      for (const codec of ALL_CODECS) {
        if (!driver.codecs.includes(codec)) {
          it(`codec ${codec}: not supported by the client`, function () {
            notApplicable(this, `codec ${codec}`, true, `the client cannot produce ${codec}`);
          });
        }
      }
      for (const codec of driver.codecs as Codec[]) {
        it(`produces and consumes keyed messages with headers, codec ${codec}`, record(`codec ${codec}`, async () => {
          const topic = `compat-${codec}-${Date.now()}`;
          // kcat's topics come from auto-creation on first produce here.
          if (driver.hasAdmin) await driver.createTopic(bootstrap, topic, PARTITIONS);
          const sent = messagesFor(driver, codec);
          const before = Date.now();
          await driver.produce(bootstrap, topic, sent, codec);
          const got = await driver.consume(bootstrap, topic, PARTITIONS, sent.length);
          checkConsumed(sent, got, before, driver);
        }));
      }

      it('lists earliest and latest offsets', record('list offsets', async () => {
        const topic = `compat-offsets-${Date.now()}`;
        await createTopic(driver, bootstrap, topic, broker);
        await driver.produce(bootstrap, topic, messagesFor(driver, 'offsets'), 'none');
        const offsets = await driver.listOffsets(bootstrap, topic, PARTITIONS);
        for (let p = 0; p < PARTITIONS; p++) expect(offsets.get(p), `partition ${p}`).to.deep.equal([0, MESSAGES / PARTITIONS]);
      }));

      it('creates and deletes a topic', async function () {
        notApplicable(this, 'create/delete topic', !driver.hasAdmin || driver.notApplicable?.['create/delete topic'] !== undefined, 'the client has no admin API');
        await record('create/delete topic', async () => {
          const topic = `compat-delete-${Date.now()}`;
          await driver.createTopic(bootstrap, topic, PARTITIONS);
          await driver.deleteTopic(bootstrap, topic);
          // Kafka removes a deleted topic's files in the background; wait for that, with a deadline.
          await eventually(() => !fs.readdirSync(dataDir).some((d) => d.startsWith(`${topic}-`)), 'partition folders removed', 10_000);
          // The name is free again: creating it anew gives empty partitions.
          await driver.createTopic(bootstrap, topic, PARTITIONS);
          const offsets = await driver.listOffsets(bootstrap, topic, PARTITIONS);
          for (let p = 0; p < PARTITIONS; p++) expect(offsets.get(p)).to.deep.equal([0, 0]);
        })();
      });

      it('reads everything back after Brook restarts between produce and consume', record('restart', async () => {
        const topic = `compat-restart-${Date.now()}`;
        await createTopic(driver, bootstrap, topic, broker);
        const sent = messagesFor(driver, 'restart');
        const before = Date.now();
        await driver.produce(bootstrap, topic, sent, 'none');
        const port = broker.port;
        await broker.close();
        broker = await startBrook(port, dataDir);
        const got = await driver.consume(bootstrap, topic, PARTITIONS, sent.length);
        checkConsumed(sent, got, before, driver);
      }));

      for (const protocol of GROUP_PROTOCOLS) {
        const column = `group ${protocol}`;
        it(`consumer group (${protocol} protocol): reads, commits, and a new member resumes after the commit`, async function () {
          notApplicable(this, column, !driver.groupConsume || !driver.groupProtocols?.includes(protocol), `the client has no ${protocol}-protocol group consumer`);
          await record(column, async () => {
            const topic = `compat-group-${protocol}-${Date.now()}`;
            const group = `compat-group-${protocol}-${Date.now()}`;
            await createTopic(driver, bootstrap, topic, broker);
            const first = messagesFor(driver, `${protocol}-first`, 12);
            await driver.produce(bootstrap, topic, first, 'none');
            const got = await driver.groupConsume!(bootstrap, topic, group, protocol, first.length);
            expect(sortedValues(got), 'first member reads everything').to.deep.equal(sortedValues(first));
            const second = messagesFor(driver, `${protocol}-second`, 6);
            await driver.produce(bootstrap, topic, second, 'none');
            const resumed = await driver.groupConsume!(bootstrap, topic, group, protocol, second.length);
            expect(sortedValues(resumed), 'the next member starts at the committed offsets').to.deep.equal(sortedValues(second));
          })();
        });
      }

      it('transactions: a read_committed consumer sees the committed transaction, not the aborted one', async function () {
        notApplicable(this, 'transactions', !driver.transactionalProduce, 'the client has no transactional producer');
        await record('transactions', async () => {
          const topic = `compat-txn-${Date.now()}`;
          await createTopic(driver, bootstrap, topic, broker);
          const committed = messagesFor(driver, 'committed', 9);
          const aborted = messagesFor(driver, 'aborted', 9);
          await driver.transactionalProduce!(bootstrap, topic, `compat-txn-${driver.name}-${Date.now()}`, committed, aborted);
          const values = await readCommittedValues(bootstrap, topic, PARTITIONS);
          expect(values.sort()).to.deep.equal(sortedValues(committed));
        })();
      });

      it('SASL_SSL: produces and consumes over TLS with SASL authentication', async function () {
        notApplicable(this, 'SASL_SSL', !driver.secureRoundTrip, 'the client has no SASL_SSL support');
        await record('SASL_SSL', async () => {
          const endpoint = await secureEndpoint();
          const topic = `compat-secure-${Date.now()}`;
          await secure!.createTopic(topic);
          const values = Array.from({ length: 5 }, (_, i) => `secure-${i}`);
          expect(await driver.secureRoundTrip!(endpoint, topic, values)).to.deep.equal(values);
        })();
      });
    });
  }
});
