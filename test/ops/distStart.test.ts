import { expect } from 'chai';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { Kafka, logLevel } from 'kafkajs';
import { BROKER_NODE_FLAGS } from '../../src/cli/nodeFlags';
import { eventually } from '../helpers/eventually';

const ROOT = path.join(__dirname, '..', '..');

/** Runs the compiled CLI (bin/brook.js) and resolves with its stdout. */
function cli(args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(process.execPath, ['bin/brook.js', ...args], { cwd: ROOT, timeout: 60_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout))),
  );
}

/**
 * `npm start` runs the compiled broker (bin/brook.js -> dist/), which the rest of the suite never does: it runs
 * src/ through tsx. tsc and tsx do not always emit the same thing (tsc turned `new (require(x) as T).C()` into
 * `new require(x).C()`, so `--metrics-port` crashed the compiled broker at start), so the user's path is run here
 * with the options that load code lazily: the metrics server and the console.
 */
describe('ops: the compiled broker (npm start) with metrics and console', function () {
  this.timeout(120_000);
  let child: ChildProcess | null = null;
  let dir = '';

  after(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('starts from dist/, serves Kafka, /metrics and the console, answers the compiled admin CLI, and stops cleanly on SIGTERM', async () => {
    expect(fs.existsSync(path.join(ROOT, 'dist', 'src', 'cli', 'main.js')), 'dist/ is built (npm test runs npm run build first)').to.equal(true);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'brook-dist-start-'));
    const args = ['start', '--port', '0', '--host', '127.0.0.1', '--data-dir', dir, '--metrics-port', '0', '--metrics-host', '127.0.0.1', '--console'];
    // run as `brook start` is: the executable itself, whose first line starts node with the broker's V8 flags
    // (the node found on PATH, as for a user; this one's directory goes first)
    const env = { ...process.env, PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? ''}` };
    const c = spawn(path.join(ROOT, 'bin', 'brook.js'), args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    let stderr = '';
    c.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const ports: { kafka?: number; http?: number } = {};
    let nodeFlags: string[] = [];
    createInterface({ input: c.stdout! }).on('line', (line) => {
      try {
        const m = JSON.parse(line) as { msg?: string; port?: number; nodeFlags?: string[] };
        if (m.msg === 'listening' && typeof m.port === 'number') {
          ports.kafka = m.port;
          nodeFlags = m.nodeFlags ?? [];
        }
        if (m.msg === 'http listening' && typeof m.port === 'number') ports.http = m.port;
      } catch {
        // not a log line
      }
    });
    await eventually(() => {
      if (c.exitCode !== null) throw new Error(`the broker exited with ${c.exitCode}: ${stderr}`);
      return ports.kafka !== undefined && ports.http !== undefined;
    }, 'Kafka and HTTP listening', { ms: 60_000 });
    expect(nodeFlags, 'the V8 flags of bin/brook.js\'s first line reached the broker').to.include.members([...BROKER_NODE_FLAGS]);

    const kafka = new Kafka({ brokers: [`127.0.0.1:${ports.kafka}`], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'dist-start', messages: [{ key: 'k', value: 'from the compiled broker' }] });
    await producer.disconnect();

    // the admin CLI from dist/ as well: Kafka protocol (topics, consume) and the HTTP API (messages find)
    const bootstrap = `127.0.0.1:${ports.kafka}`;
    expect((await cli(['topics', 'list', '-b', bootstrap])).split('\n')).to.include('dist-start');
    expect(await cli(['consume', '-t', 'dist-start', '--from-beginning', '--max-messages', '1', '-b', bootstrap])).to.equal('from the compiled broker\n');
    const found = await cli(['messages', 'find', '--http', `http://127.0.0.1:${ports.http}`, '--topic', 'dist-start', '--key', 'k']);
    expect(found).to.include('from the compiled broker');

    const metrics = await (await fetch(`http://127.0.0.1:${ports.http}/metrics`)).text();
    expect(metrics).to.match(/^brook_/m);
    const page = await fetch(`http://127.0.0.1:${ports.http}/`);
    expect(page.status).to.equal(200);

    const exited = new Promise<number | null>((r) => c.once('exit', (code) => r(code)));
    c.kill('SIGTERM');
    expect(await exited, stderr).to.equal(0);
  });

  it('npm start and the first line of bin/brook.js carry the same V8 flags (src/cli/nodeFlags.ts)', () => {
    const flags = BROKER_NODE_FLAGS.join(' ');
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.start).to.equal(`node ${flags} bin/brook.js start`);
    expect(fs.readFileSync(path.join(ROOT, 'bin', 'brook.js'), 'utf8').split('\n')[0]).to.equal(`#!/usr/bin/env -S node ${flags}`);
    expect(fs.statSync(path.join(ROOT, 'bin', 'brook.js')).mode & 0o111, 'executable').to.not.equal(0);
  });
});
