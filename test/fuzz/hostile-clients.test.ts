import { expect } from 'chai';
import * as net from 'node:net';
import { Kafka, logLevel } from 'kafkajs';
import { apiDescriptor, ApiKey } from '../../protocol/generated/apis';
import { RawClient } from '../helpers/rawClient';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { memoryLogger, type LogEntry } from '../helpers/memoryLogger';
import { Reader } from '../../protocol/codec/reader';
import { seededRandom as prng } from '../helpers/seededRandom';


const SEED = Number(process.env.BROOK_FUZZ_SEED ?? 20261125);
const CONNECTIONS = 1200;
const FRAMES_PER_CONNECTION = 8;
const PARALLEL = 16;
/** The APIs whose requests are mutated; all are served by the broker. */
const TARGETS = [
  ApiKey.Produce,
  ApiKey.Fetch,
  ApiKey.ListOffsets,
  ApiKey.Metadata,
  ApiKey.ApiVersions,
  ApiKey.CreateTopics,
  ApiKey.FindCoordinator,
  ApiKey.JoinGroup,
  ApiKey.OffsetCommit,
  ApiKey.DescribeConfigs,
];

type Outcome = 'answered' | 'closed';

interface FrameFactory {
  name: string;
  make(rand: () => number, raw: RawClient): Buffer;
  /** What a broker must do with this frame. */
  expect: 'close' | 'answer-or-close';
}

function pick<T>(rand: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rand() * xs.length)];
}

function validRequest(rand: () => number, raw: RawClient): Buffer {
  const key = pick(rand, TARGETS);
  const d = apiDescriptor(key)!;
  const version = d.minVersion + Math.floor(rand() * (d.maxVersion - d.minVersion + 1));
  // Every field of an Input is optional: {} encodes a well-formed request of defaults.
  return raw.encode(key, version, {});
}

function withSize(body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(4 + body.length);
  out.writeInt32BE(body.length, 0);
  body.copy(out, 4);
  return out;
}

const FACTORIES: FrameFactory[] = [
  {
    name: 'valid header, random body',
    expect: 'answer-or-close',
    make(rand, raw) {
      const frame = validRequest(rand, raw);
      const headerEnd = Math.min(frame.length, 14);
      const junk = Buffer.alloc(Math.floor(rand() * 200));
      for (let i = 0; i < junk.length; i++) junk[i] = Math.floor(rand() * 256);
      return withSize(Buffer.concat([frame.subarray(4, headerEnd), junk]));
    },
  },
  {
    name: 'mutated valid request',
    expect: 'answer-or-close',
    make(rand, raw) {
      const body = Buffer.from(validRequest(rand, raw).subarray(4));
      const flips = 1 + Math.floor(rand() * 6);
      for (let i = 0; i < flips; i++) {
        // Leave api key and version alone half of the time so the body decoder gets exercised.
        const from = rand() < 0.5 ? 4 : 0;
        const at = from + Math.floor(rand() * Math.max(1, body.length - from));
        if (at < body.length) body[at] = Math.floor(rand() * 256);
      }
      return withSize(body);
    },
  },
  {
    name: 'truncated body',
    expect: 'answer-or-close',
    make(rand, raw) {
      const body = validRequest(rand, raw).subarray(4);
      return withSize(body.subarray(0, Math.max(8, Math.floor(rand() * body.length))));
    },
  },
  {
    name: 'huge size prefix',
    expect: 'close',
    make(rand) {
      const b = Buffer.alloc(8);
      b.writeInt32BE(0x7ff00000 + Math.floor(rand() * 0xfffff), 0);
      return b;
    },
  },
  {
    name: 'negative size prefix',
    expect: 'close',
    make() {
      const b = Buffer.alloc(8);
      b.writeInt32BE(-5, 0);
      return b;
    },
  },
  {
    name: 'frame too short for a header',
    expect: 'close',
    make() {
      return withSize(Buffer.from([0, 3, 0]));
    },
  },
  {
    name: 'unknown api key',
    expect: 'close',
    make(rand) {
      const body = Buffer.alloc(10);
      body.writeInt16BE(900 + Math.floor(rand() * 99), 0);
      body.writeInt16BE(0, 2);
      body.writeInt32BE(7, 4);
      body.writeInt16BE(-1, 8);
      return withSize(body);
    },
  },
  {
    name: 'unsupported version of a non-ApiVersions api',
    expect: 'close',
    make(rand) {
      const key = pick(rand, TARGETS.filter((k) => k !== ApiKey.ApiVersions));
      const body = Buffer.alloc(10);
      body.writeInt16BE(key, 0);
      body.writeInt16BE(apiDescriptor(key)!.maxVersion + 1 + Math.floor(rand() * 100), 2);
      body.writeInt32BE(8, 4);
      body.writeInt16BE(-1, 8);
      return withSize(body);
    },
  },
];

const FATAL = FACTORIES.filter((f) => f.expect === 'close');
const SURVIVABLE = FACTORIES.filter((f) => f.expect !== 'close');

/** Sends hostile frames on a fresh connection; resolves with what the broker did. */
function attack(port: number, frames: Buffer[], mustClose: boolean): Promise<{ outcome: Outcome | 'hung'; bytesBack: number }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let bytesBack = 0;
    let done = false;
    const finish = (outcome: Outcome | 'hung') => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ outcome, bytesBack });
    };
    // A frame whose body never fully arrives leaves the broker waiting, which is
    // right; the deadline then only bounds how long we watch.
    const timer = setTimeout(() => finish(bytesBack > 0 && !mustClose ? 'answered' : 'hung'), 5000);
    socket.on('data', (d: Buffer) => {
      bytesBack += d.length;
      if (!mustClose) finish('answered');
    });
    socket.on('close', () => finish('closed'));
    socket.on('error', () => finish('closed'));
    socket.on('connect', () => {
      for (const f of frames) socket.write(f);
    });
  });
}

describe('hostile clients', function () {
  this.timeout(240_000);
  let broker: TestBroker;
  const log: LogEntry[] = [];

  before(async () => {
    broker = await startTestBroker({ logger: memoryLogger(log) });
  });

  after(async () => {
    if (broker) await broker.destroy();
  });

  it('answers an unknown ApiVersions version with UNSUPPORTED_VERSION and the supported range', async () => {
    const raw = await RawClient.connect(broker.port);
    try {
      const body = Buffer.alloc(10);
      body.writeInt16BE(ApiKey.ApiVersions, 0);
      body.writeInt16BE(999, 2);
      body.writeInt32BE(42, 4);
      body.writeInt16BE(-1, 8);
      raw.send(withSize(body));
      const frame = await raw.nextFrame();
      const r = new Reader(frame);
      expect(r.int32(), 'correlation id').to.equal(42);
      expect(r.int16(), 'error code').to.equal(35);
      const count = r.arrayLength();
      expect(count).to.be.greaterThan(5);
    } finally {
      raw.close();
    }
  });

  it('survives thousands of random and mutated frames while a real client keeps producing and consuming', async () => {
    const logFrom = log.length; // the broker and its log are shared with the other test of this file
    const kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'steady', logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'steady', numPartitions: 2 }] });
    await admin.disconnect();

    const producer = kafka.producer();
    await producer.connect();
    let produced = 0;
    let producing = true;
    const producerErrors: unknown[] = [];
    const producing$ = (async () => {
      while (producing) {
        const messages = Array.from({ length: 10 }, (_, i) => ({ key: `k${(produced + i) % 4}`, value: `m${produced + i}` }));
        try {
          await producer.send({ topic: 'steady', acks: -1, messages });
          produced += messages.length;
        } catch (err) {
          producerErrors.push(err);
        }
      }
    })();

    const rand = prng(SEED);
    const raw = await RawClient.connect(broker.port); // only used to encode frames
    const heapBefore = process.memoryUsage().rss;
    const results: Array<{ factory: string; mustClose: boolean; outcome: string }> = [];
    let next = 0;
    const worker = async () => {
      while (next < CONNECTIONS) {
        next++;
        const frames: Buffer[] = [];
        let mustClose = false;
        const names: string[] = [];
        for (let i = 0; i < FRAMES_PER_CONNECTION; i++) {
          // Fatal frames end a connection, so they are drawn less often to keep most frames reaching the decoders.
          const f = rand() < 0.2 ? pick(rand, FATAL) : pick(rand, SURVIVABLE);
          frames.push(f.make(rand, raw));
          names.push(f.name);
          if (f.expect === 'close') {
            mustClose = true;
            break; // nothing after a fatal frame is read anyway
          }
        }
        const { outcome } = await attack(broker.port, frames, mustClose);
        results.push({ factory: names.join(' + '), mustClose, outcome });
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
    raw.close();
    const rssGrowth = process.memoryUsage().rss - heapBefore;

    producing = false;
    await producing$;
    await producer.disconnect();

    const framesSent = results.reduce((n, r) => n + r.factory.split(' + ').length, 0);
    const tally = new Map<string, number>();
    for (const r of results) tally.set(r.outcome, (tally.get(r.outcome) ?? 0) + 1);
    console.log(`    ${framesSent} hostile frames on ${results.length} connections: ${[...tally].map(([k, v]) => `${v} ${k}`).join(', ')}; ${produced} messages produced meanwhile`);
    expect(framesSent, 'frames sent').to.be.greaterThan(1000);
    const mustClose = results.filter((r) => r.mustClose);
    expect(mustClose.length, 'connections with a fatal frame').to.be.greaterThan(50);
    for (const r of mustClose) expect(r.outcome, `${r.factory}`).to.equal('closed');
    const others = results.filter((r) => !r.mustClose);
    const hung = others.filter((r) => r.outcome === 'hung');
    // Only a frame whose declared size exceeds what was sent may leave the broker waiting.
    for (const r of hung) expect(r.factory, 'a connection neither answered nor closed').to.match(/truncated|random body|mutated/);
    expect(hung.length, 'connections left waiting').to.be.lessThan(others.length / 2);

    expect(producerErrors, 'errors seen by the real producer').to.deep.equal([]);
    expect(produced, 'messages produced during the attack').to.be.greaterThan(0);
    expect(rssGrowth, 'resident memory growth (bytes)').to.be.lessThan(300 * 1024 * 1024);
    expect(log.slice(logFrom).some((e) => e.level === 'warn' || e.level === 'info'), 'closed connections are logged').to.equal(true);

    // Everything acknowledged during the attack reads back through a consumer group.
    const consumer = kafka.consumer({ groupId: 'steady-readers', maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'steady', fromBeginning: true });
    const seen = new Set<string>();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`consumed ${seen.size} of ${produced}`)), 60_000);
      consumer
        .run({
          eachMessage: async ({ message }) => {
            seen.add(message.value!.toString());
            if (seen.size >= produced) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();
    expect(seen.size).to.equal(produced);

    // And a new client is served normally afterwards.
    const after = await RawClient.connect(broker.port);
    try {
      const res = await after.request<{ errorCode: number }>(ApiKey.ApiVersions, 3, { clientSoftwareName: 'x', clientSoftwareVersion: '1' });
      expect(res.errorCode).to.equal(0);
    } finally {
      after.close();
    }
  });
});
