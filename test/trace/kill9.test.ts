import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { Kafka, logLevel } from 'kafkajs';
import { eventually } from '../helpers/eventually';
import { tempDataDir } from '../helpers/tempDir';

/* eslint-disable @typescript-eslint/no-explicit-any */

const ROOT = path.resolve(__dirname, '..', '..');

interface Child {
  child: ChildProcess;
  kafka: number;
  http: number;
  exited: Promise<void>;
  lines: string[];
}

/** `brook start --console` in a child process; resolves once both the Kafka and the HTTP port are known. */
async function startChild(dataDir: string): Promise<Child> {
  const args = ['start', '--port', '0', '--data-dir', dataDir, '--metrics-port', '0', '--metrics-host', '127.0.0.1', '--console'];
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', `require('./src/cli/main').main(${JSON.stringify(args)}).catch((e) => { console.error(e); process.exit(1); })`], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines: string[] = [];
  const ports = await new Promise<{ kafka: number; http: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`broker did not start: ${stderr}`)), 90_000);
    child.once('exit', (code) => reject(new Error(`child exited ${code}: ${stderr}`)));
    let kafka = 0;
    let http = 0;
    createInterface({ input: child.stdout! }).on('line', (l) => {
      lines.push(l);
      try {
        const m = JSON.parse(l) as { msg?: string; port?: number };
        if (m.msg === 'http listening' && typeof m.port === 'number') http = m.port;
        else if (typeof m.port === 'number' && /listening/i.test(m.msg ?? '') && kafka === 0) kafka = m.port;
      } catch {
        // not a log line
      }
      if (kafka && http) {
        clearTimeout(timer);
        resolve({ kafka, http });
      }
    });
  });
  return { child, exited, lines, ...ports };
}

describe('key index and __brook_trace after kill -9', function () {
  this.timeout(240_000);
  const dataDir = tempDataDir('brook-trace-kill9-');
  after(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('rebuilds a truncated key index file and keeps the producer identities acknowledged to __brook_trace', async () => {
    const first = await startChild(dataDir);
    try {
      const kafka = new Kafka({ clientId: 'before-crash', brokers: [`127.0.0.1:${first.kafka}`], logLevel: logLevel.NOTHING });
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: 'crashy', numPartitions: 1, configEntries: [{ name: 'brook.index.keys', value: 'true' }, { name: 'brook.trace.enable', value: 'true' }, { name: 'segment.bytes', value: '8000' }] }] });
      const producer = kafka.producer();
      await producer.connect();
      for (let b = 0; b < 20; b++) await producer.send({ topic: 'crashy', messages: Array.from({ length: 50 }, (_, i) => ({ key: `key-${(b * 50 + i) % 100}`, value: `value ${b * 50 + i}`.padEnd(40, '.') })) });
      await producer.disconnect();
      // wait until every producer range is acknowledged in __brook_trace
      const before = await eventually(async () => {
        const t = (await fetch(`http://127.0.0.1:${first.http}/api/topics/crashy/trace?partition=0&offset=999`).then((r) => r.json())) as any;
        return t.traces[0].unwrittenRanges === 0 && t;
      }, '__brook_trace written');
      expect(before.traces[0].producer.clientId).to.equal('before-crash');
      expect(Number((await admin.fetchTopicOffsets('__brook_trace'))[0]!.high)).to.be.greaterThan(0);
      // a rolled segment's key index is written after the roll: wait for them before the crash
      await eventually(() => fs.readdirSync(path.join(dataDir, 'crashy-0')).filter((f) => f.endsWith('.keyindex')).length > 2, 'closed segments have key index files');
      await admin.disconnect();
    } finally {
      first.child.kill('SIGKILL');
      await first.exited;
    }
    const partDir = path.join(dataDir, 'crashy-0');
    const indexes = fs.readdirSync(partDir).filter((f) => f.endsWith('.keyindex')).sort();
    expect(indexes.length, `closed segments have key index files: ${fs.readdirSync(partDir).join(' ')}`).to.be.greaterThan(2);
    const victim = path.join(partDir, indexes[1]!);
    const size = fs.statSync(victim).size;
    fs.truncateSync(victim, Math.floor(size / 2));

    const second = await startChild(dataDir);
    try {
      // after a crash logs are recovered in the background, after the broker listens
      await eventually(() => second.lines.some((l) => l.includes(`key index of segment ${indexes[1]!.slice(0, 20)} was damaged`)), 'recovery logs the rebuild');
      expect(fs.statSync(victim).size).to.equal(size);
      const found = (await fetch(`http://127.0.0.1:${second.http}/api/topics/crashy/search?key=key-7&limit=500`).then((r) => r.json())) as any;
      expect(found.messages.map((m: any) => Number(m.offset))).to.deep.equal(Array.from({ length: 10 }, (_, i) => 7 + i * 100));
      expect(found.keyIndex.batchesRead).to.equal(10);
      // producer identities replayed from __brook_trace, for the first and the last batch
      for (const offset of [0, 999]) {
        const t = (await fetch(`http://127.0.0.1:${second.http}/api/topics/crashy/trace?partition=0&offset=${offset}`).then((r) => r.json())) as any;
        expect(t.traces[0].producer, `offset ${offset}`).to.include({ clientId: 'before-crash', principal: 'User:ANONYMOUS' });
      }
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  });
});
