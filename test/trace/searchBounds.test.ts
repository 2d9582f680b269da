import { expect } from 'chai';
import * as net from 'node:net';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { searchLimits } from '../../src/console/messageSearch';
import { brook } from '../ops/cliHarness';
import { kcatWithInput } from '../helpers/kcat';

/* eslint-disable @typescript-eslint/no-explicit-any */

/**
 * The per-request bounds of the console's message search (src/console/messageSearch.ts), lowered so that a few
 * hundred records stand for the 100,000-record window and the 10,000 key-index matches of a real broker.
 */
describe('message search bounds: time ranges and key lookups past the per-request limits (kafkajs, kcat)', function () {
  this.timeout(120_000);
  const saved = { ...searchLimits };
  let broker: TestBroker;
  let admin: Admin;
  let producer: Producer;
  let base: string;
  const get = async (p: string): Promise<any> => {
    const r = await fetch(base + p);
    const body = await r.json();
    if (!r.ok) throw new Error(`${r.status} ${JSON.stringify(body)}`);
    return body;
  };

  before(async () => {
    broker = await startTestBroker({ metricsPort: 0, console: true });
    base = `http://127.0.0.1:${broker.httpPort}`;
    const kafka = new Kafka({ clientId: 'bounds', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
    producer = kafka.producer();
    await producer.connect();
  });

  afterEach(() => Object.assign(searchLimits, saved));

  after(async () => {
    await producer?.disconnect();
    await admin?.disconnect();
    await broker?.destroy();
  });

  it('finds records of a time range older than the newest window, and says when the window cut the answer', async () => {
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    const t1 = Date.parse('2026-01-02T00:00:00Z');
    await admin.createTopics({ topics: [{ topic: 'timed', numPartitions: 1 }] });
    // 60 records a second apart from t0, then 60 from t1: with a 50-record window the old ones are outside the newest window
    await producer.send({ topic: 'timed', messages: Array.from({ length: 60 }, (_, i) => ({ value: `old-${i}`, timestamp: String(t0 + i * 1000) })) });
    await producer.send({ topic: 'timed', messages: Array.from({ length: 60 }, (_, i) => ({ value: `new-${i}`, timestamp: String(t1 + i * 1000) })) });
    searchLimits.scanRecords = 50;
    const range = await get(`/api/topics/timed/search?from=${t0 + 5000}&to=${t1 - 1}&limit=3`);
    expect(range.messages.map((m: any) => m.value)).to.deep.equal(['old-5', 'old-6', 'old-7']);
    expect(range.truncated).to.equal(true);
    // 55 old records match but the window of 50 ends before them all: said, not silently cut
    const whole = await get(`/api/topics/timed/search?from=${t0 + 5000}&to=${t1 - 1}&limit=500`);
    expect(whole.messages.map((m: any) => m.value)).to.deep.equal(Array.from({ length: 50 }, (_, i) => `old-${i + 5}`));
    expect(whole.truncated).to.equal(true);
    // a window holding the whole range is not truncated
    searchLimits.scanRecords = 100;
    const all = await get(`/api/topics/timed/search?from=${t0 + 5000}&to=${t1 - 1}&limit=500`);
    expect(all.messages).to.have.length(55);
    expect(all.truncated).to.equal(false);
    // from alone: the first records at or after the time, as ListOffsets by time finds them
    const fromOnly = await get(`/api/topics/timed/search?from=${t0 + 58_000}&limit=3`);
    expect(fromOnly.messages.map((m: any) => m.value)).to.deep.equal(['old-58', 'old-59', 'new-0']);
    // to alone: the newest window ending at `to`
    searchLimits.scanRecords = 50;
    const toOnly = await get(`/api/topics/timed/search?to=${t1 - 1}&limit=500`);
    expect(toOnly.messages.map((m: any) => m.value)).to.deep.equal(Array.from({ length: 50 }, (_, i) => `old-${i + 10}`));
    expect(toOnly.truncated).to.equal(true);
  });

  it('finds key-index matches past the first cap when an offset is given, and says when the cap cut the answer', async () => {
    await admin.createTopics({ topics: [{ topic: 'hot', numPartitions: 1, configEntries: [{ name: 'brook.index.keys', value: 'true' }] }] });
    await producer.send({ topic: 'hot', messages: Array.from({ length: 120 }, (_, i) => ({ key: 'hot', value: `v${i}` })) });
    searchLimits.keyMatches = 50;
    const late = await get('/api/topics/hot/search?key=hot&offset=100&limit=500');
    expect(late.keyIndex).to.include({ partitionsProbed: 1 });
    expect(late.messages.map((m: any) => m.value)).to.deep.equal(Array.from({ length: 20 }, (_, i) => `v${i + 100}`));
    expect(late.truncated).to.equal(false);
    // from the start, 50 matches are looked at of 120: fewer than the limit came back, and the answer says it is cut
    const all = await get('/api/topics/hot/search?key=hot&limit=500');
    expect(all.messages).to.have.length(50);
    expect(all.truncated).to.equal(true);
  });

  it('reads only as many key matches as the limit needs (kcat, a hot key with large values)', async () => {
    await admin.createTopics({ topics: [{ topic: 'bigvals', numPartitions: 1, configEntries: [{ name: 'brook.index.keys', value: 'true' }] }] });
    // one record per batch, 20 KB values: a limit=1 search used to read and stringify every one of them
    const lines = Array.from({ length: 200 }, (_, i) => `big:${i}-${'x'.repeat(20_000)}`).join('\n') + '\n';
    await kcatWithInput(['-P', '-b', broker.bootstrap, '-t', 'bigvals', '-K:', '-X', 'linger.ms=0', '-X', 'batch.num.messages=1'], lines);
    expect(broker.services.logs.get('bigvals', 0)!.highWatermark).to.equal(200);
    const res = await get('/api/topics/bigvals/search?key=big&limit=1');
    expect(res.messages.map((m: any) => m.offset)).to.deep.equal(['0']);
    expect(res.truncated).to.equal(true);
    // the match returned and one more to know the answer is cut
    expect(res.scanned).to.equal(2);
    expect(res.keyIndex.batchesRead).to.equal(2);
    const two = await get('/api/topics/bigvals/search?key=big&offset=198&limit=5');
    expect(two.messages.map((m: any) => m.offset)).to.deep.equal(['198', '199']);
    expect(two.truncated).to.equal(false);
  });

  it('traces the newest 20 records of a key, past the key-index cap and through a scan (kcat)', async () => {
    for (const [topic, indexed] of [['hot-traced', 'true'], ['hot-scanned', 'false']] as const) {
      await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'brook.index.keys', value: indexed }] }] });
      const lines = Array.from({ length: 60 }, (_, i) => `${i % 2 === 0 ? 'hot' : 'cold'}:v${i}`).join('\n') + '\n';
      await kcatWithInput(['-P', '-b', broker.bootstrap, '-t', topic, '-K:', '-X', 'linger.ms=5'], lines);
    }
    searchLimits.keyMatches = 25;
    searchLimits.scanRecords = 50;
    const newest = Array.from({ length: 20 }, (_, i) => 20 + 2 * i);
    for (const topic of ['hot-traced', 'hot-scanned']) {
      const res = await get(`/api/topics/${topic}/trace?key=hot`);
      expect(res.traces.map((t: any) => t.offset), topic).to.deep.equal(newest);
    }
  });

  it('brook messages find/trace list and take only the flags they use, and honour --timeout-ms', async () => {
    for (const cmd of ['find', 'trace']) {
      const help = await brook(['messages', cmd, '--help']);
      expect(help.code).to.equal(0);
      for (const unused of ['--bootstrap-server', '--command-config', '--client-id', '--verbose']) expect(help.stdout, `${cmd} ${unused}`).not.to.include(unused);
      expect(help.stdout).to.match(/--timeout-ms\b.*default 30000/);
      const refused = await brook(['messages', cmd, '--bootstrap-server', broker.bootstrap, '--topic', 'timed', '--key', 'k']);
      expect(refused.code, refused.stderr).to.equal(2);
      expect(refused.stderr).to.include('--bootstrap-server');
    }
    // an HTTP port that accepts and never answers: the command gives up after --timeout-ms, not 30 s
    const silent = net.createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const started = Date.now();
      const res = await brook(['messages', 'find', '--http', `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`, '--topic', 'timed', '--key', 'k', '--timeout-ms', '300']);
      expect(res.code).to.equal(3);
      expect(res.stderr).to.match(/cannot reach/);
      expect(Date.now() - started).to.be.lessThan(10_000);
    } finally {
      silent.close();
    }
  });
});

