import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Kafka, logLevel, type Admin, type Consumer, type Producer } from 'kafkajs';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { eventually } from '../helpers/eventually';
import { tempDataDir } from '../helpers/tempDir';
import { PYTHON } from '../helpers/python';
import { spawn, type ChildProcess } from 'node:child_process';
import { readAll } from './helpers/read';

const README = path.resolve(__dirname, '..', '..', 'README.md');

/** The code block right after `<!-- recipe:NAME -->` in README.md, exactly as documented. */
function recipe(name: string): string {
  const text = readFileSync(README, 'utf8');
  const m = new RegExp(`<!-- recipe:${name} -->\\s*\`\`\`\\w+\\n([\\s\\S]*?)\`\`\``).exec(text);
  if (!m) throw new Error(`README has no recipe:${name}`);
  return m[1]!;
}

const DELAYS = ['200ms', '400ms', '600ms'];

async function retryTopics(admin: Admin): Promise<void> {
  await admin.createTopics({
    topics: [
      { topic: 'orders', numPartitions: 1 },
      {
        topic: 'orders.retry',
        numPartitions: 1,
        configEntries: [
          { name: 'brook.retry.for', value: 'orders' },
          { name: 'brook.retry.delays', value: DELAYS.join(',') },
          { name: 'brook.retry.dead.letter.topic', value: 'orders.dlq' },
        ],
      },
    ],
  });
}

/** What a failing record leaves behind once it went through every delay: 1 + 3 copies in orders, one in the DLQ. */
async function expectFullCircle(kafka: Kafka): Promise<void> {
  const dlq = await eventually(async () => {
    try {
      const r = await readAll(kafka, 'orders.dlq');
      return r.length > 0 ? r : undefined;
    } catch {
      return undefined;
    }
  }, 'the record in the dead-letter topic', 60_000);
  expect(dlq).to.have.length(1);
  const d = dlq[0]!;
  expect(d.key).to.equal('order-7');
  expect(d.value).to.equal('pay 7');
  expect(d.headers['brook-dlq-topic']).to.equal('orders');
  expect(d.headers['brook-dlq-reason']).to.equal('retries-exhausted');
  expect(d.headers['brook-dlq-attempts']).to.equal(String(DELAYS.length));
  expect(d.headers['brook-error']).to.match(/payment service down/);
  const orders = await readAll(kafka, 'orders');
  expect(orders.map((o) => o.headers['brook-attempt'] ?? '-')).to.deep.equal(['-', '1', '2', '3']);
  expect(orders.every((o) => o.key === 'order-7' && o.value === 'pay 7')).to.equal(true);
}

describe('retry topics: the README recipes, run as written', function () {
  this.timeout(120_000);
  let broker: TestBroker;
  let kafka: Kafka;
  let admin: Admin;

  beforeEach(async () => {
    broker = await startTestBroker();
    kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
    await retryTopics(admin);
    const p = kafka.producer();
    await p.connect();
    await p.send({ topic: 'orders', messages: [{ key: 'order-7', value: 'pay 7' }] });
    await p.disconnect();
  });

  afterEach(async () => {
    await admin.disconnect();
    await broker.destroy();
  });

  it('kafkajs', async () => {
    const consumer: Consumer = kafka.consumer({ groupId: 'billing' });
    const producer: Producer = kafka.producer();
    await Promise.all([consumer.connect(), producer.connect()]);
    try {
      await consumer.subscribe({ topic: 'orders', fromBeginning: true });
      const handle = async (): Promise<void> => {
        throw new Error('payment service down');
      };
      const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (...args: string[]) => (...a: unknown[]) => Promise<void>;
      await new AsyncFunction('consumer', 'producer', 'handle', recipe('kafkajs'))(consumer, producer, handle);
      await expectFullCircle(kafka);
    } finally {
      await Promise.all([consumer.disconnect(), producer.disconnect()]);
    }
  });

  it('confluent-kafka', async () => {
    const indented = recipe('confluent-kafka')
      .split('\n')
      .map((l) => `    ${l}`)
      .join('\n');
    const script = [
      'import sys, time',
      'from confluent_kafka import Consumer, Producer',
      'consumer = Consumer({"bootstrap.servers": sys.argv[1], "group.id": "billing", "auto.offset.reset": "earliest"})',
      'consumer.subscribe(["orders"])',
      'producer = Producer({"bootstrap.servers": sys.argv[1]})',
      'def handle(msg):',
      '    raise RuntimeError("payment service down")',
      'while True:',
      indented,
    ].join('\n');
    const file = path.join(tempDataDir('brook-recipe-'), 'recipe.py');
    writeFileSync(file, script);
    const child: ChildProcess = spawn(PYTHON, [file, broker.bootstrap], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    try {
      await expectFullCircle(kafka);
    } catch (e) {
      throw new Error(`${(e as Error).message}\npython stderr: ${err}`);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
