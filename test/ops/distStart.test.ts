import { expect } from 'chai';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { Kafka, logLevel } from 'kafkajs';
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
    const args = ['bin/brook.js', 'start', '--port', '0', '--host', '127.0.0.1', '--data-dir', dir, '--metrics-port', '0', '--metrics-host', '127.0.0.1', '--console'];
    const c = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    let stderr = '';
    c.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const ports: { kafka?: number; http?: number } = {};
    createInterface({ input: c.stdout! }).on('line', (line) => {
      try {
        const m = JSON.parse(line) as { msg?: string; port?: number };
        if (m.msg === 'listening' && typeof m.port === 'number') ports.kafka = m.port;
        if (m.msg === 'http listening' && typeof m.port === 'number') ports.http = m.port;
      } catch {
        // not a log line
      }
    });
    await eventually(() => {
      if (c.exitCode !== null) throw new Error(`the broker exited with ${c.exitCode}: ${stderr}`);
      return ports.kafka !== undefined && ports.http !== undefined;
    }, 'Kafka and HTTP listening', { ms: 60_000 });

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
});
