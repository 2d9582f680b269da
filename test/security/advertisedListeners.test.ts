import { expect } from 'chai';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { rmSync } from 'node:fs';
import { hostname } from 'node:os';
import * as path from 'node:path';
import { buildConfig } from '../../src/config/load';
import { startTestBroker, tempDataDir } from '../helpers/broker';

const REPO = path.resolve(__dirname, '../..');
const execFileAsync = promisify(execFile);

/** `brook start ARGS` from source, as an operator runs it; resolves when the process exits. */
function brookStart(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', "require('./src/cli/main').main(process.argv.slice(1))", '--', 'start', ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Kafka's KafkaConfig checks of advertised.listeners, and the canonical host name for an empty host. */
describe('advertised.listeners validation', function () {
  this.timeout(60_000);
  const two = { listeners: 'PLAINTEXT://127.0.0.1:0,INTERNAL://127.0.0.1:0', 'listener.security.protocol.map': 'INTERNAL:PLAINTEXT' };

  it('refuses the meta-address, a name twice and names listeners does not declare', () => {
    expect(() => buildConfig({ 'advertised.listeners': 'PLAINTEXT://0.0.0.0:19092' })).to.throw(/non-routable meta-address 0\.0\.0\.0/);
    expect(() => buildConfig({ 'advertised.listeners': 'PLAINTEXT://[::]:19092' })).to.throw(/non-routable meta-address ::/);
    expect(() => buildConfig({ ...two, 'advertised.listeners': 'INTERNAL://a:1,internal://b:2' })).to.throw(/INTERNAL appears more than once/);
    expect(() => buildConfig({ ...two, 'advertised.listeners': 'INTERNL://int.example:7777' })).to.throw(/INTERNL is not in listeners \(PLAINTEXT, INTERNAL\)/);
    // an explicit single listener is no excuse either (Kafka: names must be a subset)
    expect(() => buildConfig({ listeners: 'PLAINTEXT://127.0.0.1:0', 'advertised.listeners': 'EXTERNAL://a.example:1' })).to.throw(/EXTERNAL is not in listeners/);
  });

  it('advertises an empty host as this machine\'s host name', () => {
    const c = buildConfig({ ...two, 'advertised.listeners': 'INTERNAL://:19092' });
    expect(c.listeners.map((l) => l.advertised)).to.deep.equal([null, { host: hostname(), port: 19092 }]);
  });

  it('clients (kcat) are sent to the host name for an empty advertised host', async () => {
    const b = await startTestBroker({ config: { 'advertised.listeners': 'PLAINTEXT://:19092' } });
    try {
      const { stdout } = await execFileAsync('kcat', ['-L', '-b', b.bootstrap, '-m', '10'], { timeout: 20_000 });
      expect(stdout).to.include(`broker 1 at ${hostname()}:19092`);
    } finally {
      await b.destroy();
    }
  });

  it('advertises the bound port for an advertised port 0, as Kafka does (kcat)', async () => {
    const b = await startTestBroker({ config: { 'advertised.listeners': 'PLAINTEXT://localhost:0' } });
    try {
      const { stdout } = await execFileAsync('kcat', ['-L', '-b', b.bootstrap, '-m', '10'], { timeout: 20_000 });
      expect(stdout).to.include(`broker 1 at localhost:${b.port}`);
    } finally {
      await b.destroy();
    }
  });

  it('brook start fails with one log line and exit 1 on an invalid advertised.listeners', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--set', 'advertised.listeners=PLAINTEXT://0.0.0.0:19092'], /meta-address 0\.0\.0\.0/],
      [['--set', 'listeners=PLAINTEXT://127.0.0.1:0,INTERNAL://127.0.0.1:0', '--set', 'listener.security.protocol.map=INTERNAL:PLAINTEXT', '--set', 'advertised.listeners=INTERNL://int.example:7777'], /INTERNL is not in listeners/],
    ];
    for (const [args, why] of cases) {
      const dataDir = tempDataDir();
      const r = await brookStart(['--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir, ...args]).finally(() => rmSync(dataDir, { recursive: true, force: true }));
      expect(r.code, r.stdout + r.stderr).to.equal(1);
      const lines = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg: string; level: number; err?: string });
      const failed = lines.find((l) => l.msg === 'broker failed to start');
      expect(failed?.level, r.stdout).to.equal(50);
      expect(failed?.err).to.match(why);
      expect(lines.some((l) => l.msg === 'listening')).to.equal(false);
    }
  });
});
