/**
 * Produce and consume throughput of the Node clients against one Brook broker, same run:
 * kafkajs, @platformatic/kafka and @confluentinc/kafka-javascript (its KafkaJS-compatible API).
 *
 *   npm run build && npx tsx bench/js-clients.ts [--quick]
 *
 * Brook runs from dist/ in a child process. Each client produces N records of 100 B and of 1 KiB to its own
 * 3-partition topic (acks=1, batches of 1,000 records per send, one send in flight, the client's default
 * compression: none), then one consumer in a fresh group reads them all back from the beginning.
 */
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Kafka, logLevel } from 'kafkajs';
import { Consumer as PConsumer, Producer as PProducer } from '@platformatic/kafka';
import { brokerNodeFlags } from './brokerNodeFlags';

const ROOT = path.join(__dirname, '..');
const quick = process.argv.includes('--quick');
const BATCH = 1000;
const SIZES = [
  { label: '100 B', bytes: 100, count: quick ? 20_000 : 200_000 },
  { label: '1 KiB', bytes: 1024, count: quick ? 10_000 : 100_000 },
];

function startBrook(dataDir: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [...brokerNodeFlags(), path.join(ROOT, 'bin', 'brook.js'), 'start', '--port', '0', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString();
      for (const line of buf.split('\n')) {
        try {
          const entry = JSON.parse(line) as { msg?: string; port?: number };
          if (entry.port && /listening/i.test(entry.msg ?? '')) {
            child.stdout!.off('data', onData);
            child.stdout!.resume();
            resolve({ child, port: entry.port });
            return;
          }
        } catch {
          /* partial line */
        }
      }
    };
    child.stdout!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`brook exited with ${code} before listening`)));
  });
}

interface Client {
  name: string;
  produce(topic: string, value: Buffer, count: number): Promise<void>;
  consume(topic: string, count: number): Promise<void>;
}

function kafkajsClient(bootstrap: string): Client {
  const kafka = new Kafka({ brokers: [bootstrap], clientId: 'bench', logLevel: logLevel.NOTHING });
  return {
    name: 'kafkajs',
    async produce(topic, value, count) {
      const p = kafka.producer();
      await p.connect();
      const messages = Array.from({ length: BATCH }, () => ({ value }));
      for (let sent = 0; sent < count; sent += BATCH) await p.send({ topic, acks: 1, messages });
      await p.disconnect();
    },
    async consume(topic, count) {
      const c = kafka.consumer({ groupId: `bench-${topic}`, maxBytes: 16 << 20 });
      await c.connect();
      await c.subscribe({ topic, fromBeginning: true });
      let n = 0;
      await new Promise<void>((resolve, reject) => {
        c.run({ autoCommit: false, eachBatch: async ({ batch }) => { if ((n += batch.messages.length) >= count) resolve(); } }).catch(reject);
      });
      await c.disconnect();
    },
  };
}

function platformaticClient(bootstrap: string): Client {
  return {
    name: '@platformatic/kafka',
    async produce(topic, value, count) {
      const p = new PProducer({ clientId: 'bench', bootstrapBrokers: [bootstrap], autocreateTopics: false });
      const messages = Array.from({ length: BATCH }, () => ({ topic, value }));
      for (let sent = 0; sent < count; sent += BATCH) await p.send({ acks: 1, messages });
      await p.close();
    },
    async consume(topic, count) {
      const c = new PConsumer({ clientId: 'bench', groupId: `bench-${topic}`, bootstrapBrokers: [bootstrap], maxBytes: 16 << 20 });
      const stream = await c.consume({ topics: [topic], mode: 'earliest', autocommit: false });
      let n = 0;
      await new Promise<void>((resolve, reject) => {
        stream.on('data', () => {
          if (++n === count) resolve();
        });
        stream.on('error', reject);
      });
      await stream.close();
      await c.close(true);
    },
  };
}

function confluentClient(bootstrap: string): Client {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Kafka: CKafka, logLevel: ckLog } = (require('@confluentinc/kafka-javascript') as typeof import('@confluentinc/kafka-javascript')).KafkaJS;
  const kafka = new CKafka({ kafkaJS: { brokers: [bootstrap], clientId: 'bench', logLevel: ckLog.NOTHING } });
  return {
    name: '@confluentinc/kafka-javascript (KafkaJS API)',
    async produce(topic, value, count) {
      const p = kafka.producer({ kafkaJS: { acks: 1 } });
      await p.connect();
      const messages = Array.from({ length: BATCH }, () => ({ value }));
      for (let sent = 0; sent < count; sent += BATCH) await p.send({ topic, messages });
      await p.disconnect();
    },
    async consume(topic, count) {
      const c = kafka.consumer({ kafkaJS: { groupId: `bench-${topic}`, fromBeginning: true, autoCommit: false } });
      await c.connect();
      await c.subscribe({ topics: [topic] });
      let n = 0;
      await new Promise<void>((resolve, reject) => {
        c.run({ eachBatch: async ({ batch }) => { if ((n += batch.messages.length) >= count) resolve(); } }).catch(reject);
      });
      await c.disconnect();
    },
  };
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'brook-bench-js-'));
  const { child, port } = await startBrook(dataDir);
  const bootstrap = `127.0.0.1:${port}`;
  const admin = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  console.log(`date ${new Date().toISOString()}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}, ${os.cpus().length} cores`);
  console.log('| client | record | produce msgs/s | produce MB/s | consume msgs/s | consume MB/s |');
  console.log('|---|---|---|---|---|---|');
  try {
    for (const make of [kafkajsClient, platformaticClient, confluentClient]) {
      const client = make(bootstrap);
      for (const size of SIZES) {
        const topic = `bench-${client.name.replace(/\W+/g, '-')}-${size.bytes}`;
        await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] });
        const value = Buffer.alloc(size.bytes, 'x');
        const p = await timed(() => client.produce(topic, value, size.count));
        const c = await timed(() => client.consume(topic, size.count));
        const mb = (s: number) => (size.count * size.bytes) / s / 1e6;
        console.log(`| ${client.name} | ${size.label} | ${fmt(size.count / p)} | ${mb(p).toFixed(1)} | ${fmt(size.count / c)} | ${mb(c).toFixed(1)} |`);
      }
    }
  } finally {
    console.log(`load average after: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    await admin.disconnect();
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
